"""What a check works with: the service, one operation, and a recording client."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Unpack
from urllib.parse import quote, unquote, urljoin

from conformance.model import Evidence, Finding, JsonValue, Severity
from conformance.probing.conventions import Conventions
from conformance.probing.fuzzing import CI_SEED, GENERATION, FuzzSettings
from conformance.probing.http import Exchange, RequestOptions, ServiceClient
from conformance.probing.interfaces import (
    Interface,
    Operation,
    Parameter,
    member_at,
    with_member,
)
from conformance.probing.parameters import (
    belongs,
    sendable,
    serialize,
    text_mutations,
)
from conformance.probing.profiles import ServiceTarget
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry

# OGC API - Features - Part 1's conformance classes, by the name checks give
# them and the URI a service lists in its own /conformance reply. A service of
# that standard is judged by the classes it declares there (docs/ogcapi-features.md).
OGC_FEATURES = "ogcapi-features-1"
OGC_CLASSES: dict[str, str] = {
    "ogcapi-features-core": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "ogcapi-features-geojson": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "ogcapi-features-oas30": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
}


class Skip(Exception):
    """The check cannot run here, for a reason worth reading (never a pass)."""


class NotApplicable(Exception):
    """The requirement does not apply to this service or operation."""


class Unavailable(Exception):
    """The service did not answer: an availability problem, not a finding."""

    def __init__(self, exchange: Exchange) -> None:
        super().__init__(exchange.error)
        self.exchange = exchange


@dataclass
class ServiceContext:
    """One service under test, shared by its checks."""

    target: ServiceTarget
    registry: Registry
    standard: StandardVersion
    interface: Interface
    client: ServiceClient
    conventions: Conventions
    fuzz: FuzzSettings = field(default_factory=lambda: FuzzSettings(seed=CI_SEED))
    # The serialized value each parameter is filled with, worked out once:
    # (operation id, parameter location and name, existing or missing).
    fills: dict[tuple[str, str, str, str], str | None] = field(default_factory=dict)
    # What the service said once that several checks read (its /conformance
    # reply, its API definition), kept for the run by the checks that ask.
    cache: dict[str, object] = field(default_factory=dict)
    # The values generated for a parameter's schema (by its JSON Pointer in
    # the interface) with the run's seed: the same list each time it is asked.
    generated: dict[str, list[JsonValue]] = field(default_factory=dict)

    def class_not_checked(self, conformance_class: str) -> str | None:
        """Why checks of a class do not run on this service, or ``None``."""
        if conformance_class in OGC_CLASSES:
            why = self._ogc_class_not_declared(conformance_class)
            if why is not None:
                return why
        elif not self.conventions.declares(conformance_class):
            return (
                f"{self.standard.ref} does not declare the conformance class"
                f" {conformance_class!r} ([service] conforms_to in"
                f" {self.registry.relative(self.standard.manifest_path)})"
            )
        narrowed = self.target.classes
        if narrowed is not None and conformance_class not in narrowed:
            return (
                f"the profile narrows {self.target.id} to the classes"
                f" {', '.join(narrowed)}"
            )
        return None

    def declared_conformance(self) -> frozenset[str] | None:
        """The class URIs of the service's /conformance reply (read once), or
        ``None`` when it gave none that can be read."""
        if "conformance" not in self.cache:
            exchange = self.client.request(
                "GET", self.interface.prefix + "/conformance"
            )
            declared: frozenset[str] | None = None
            try:
                listed = exchange.json() if exchange.status == 200 else None
            except (ValueError, UnicodeDecodeError):
                listed = None
            uris = listed.get("conformsTo") if isinstance(listed, dict) else None
            if isinstance(uris, list):
                declared = frozenset(str(uri).rstrip("/") for uri in uris)
            self.cache["conformance"] = declared
        found = self.cache["conformance"]
        return found if isinstance(found, frozenset) else None

    def _ogc_class_not_declared(self, conformance_class: str) -> str | None:
        # Core is what makes a service an OGC API - Features service: its
        # checks always run, and the conformance check fails a declaration
        # without it. The other classes run only where the service declares
        # them.
        if conformance_class == "ogcapi-features-core":
            return None
        uri = OGC_CLASSES[conformance_class]
        declared = self.declared_conformance()
        if declared is None:
            return (
                f"the service's {self.interface.prefix}/conformance reply lists no"
                f" classes that can be read, so {uri} is not known to be declared"
                " (the check ogc-conformance says why)"
            )
        if uri not in declared:
            return f"the service does not declare {uri} in its /conformance reply"
        return None


def suite_header_names(service: ServiceContext) -> frozenset[str]:
    """The headers the suite sets itself (lower case), which filling leaves alone.

    The correlation id, the version request, the credentials and the media
    type asked for are the checks' business: a check sets them on purpose.
    The first two are named by the standard's conventions.
    """
    conventions = service.conventions
    return frozenset(
        {
            conventions.correlation_header.lower(),
            conventions.version_request_header.lower(),
            "authorization",
            "accept",
        }
    )


class CheckContext:
    """One check on one operation (or on the service as a whole)."""

    def __init__(
        self,
        service: ServiceContext,
        operation: Operation | None,
        *,
        requirement: str,
        rule: str,
        standard: str,
    ) -> None:
        self.service = service
        self.operation = operation
        self.requirement = requirement
        self.rule = rule
        self.standard_ref = standard
        self.exchanges: list[Exchange] = []
        self.notes = Evidence()
        # Fresh keys come from the run's seed, so a seed repeats a run's
        # requests; each check and operation draws its own sequence.
        where = operation.id if operation is not None else "service"
        self.rng = random.Random(f"{service.fuzz.seed}:{rule}:{where}")
        # Header parameters filled for a path made by path(), by method and
        # path: send() adds them to a request for that path.
        self._filled_headers: dict[tuple[str, str], dict[str, str]] = {}

    # -- talking to the service ---------------------------------------------

    def send(
        self,
        method: str,
        path: str,
        *,
        tolerate: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Exchange:
        """Send a request and keep it (its reply cut to an excerpt) as evidence.

        An exchange without a whole reply (refused, timed out, cut at the
        size cap, redirected off the service) raises :class:`Unavailable`
        unless ``tolerate``: the check is then reported as an error about
        availability, not judged on half a reply.
        """
        filled = self._filled_headers.get((method.upper(), path))
        if filled:
            given = {k.lower() for k in options.get("headers") or {}}
            options["headers"] = {
                **{k: v for k, v in filled.items() if k.lower() not in given},
                **(options.get("headers") or {}),
            }
        exchange = self.service.client.request(method, path, **options)
        # The evidence needs an excerpt of the reply; the check gets it whole.
        self.exchanges.append(exchange.kept())
        if exchange.error and not tolerate:
            raise Unavailable(exchange)
        return exchange

    def path(
        self, operation: Operation | None = None, *, which: str = "existing"
    ) -> str:
        """The operation's path with every required parameter filled.

        Path parameters come from the profile's test data (``existing`` or
        ``missing`` by name); a path parameter with no test data takes the
        parameter's example when ``which`` is existing and the operation is
        not a read, and otherwise the check is skipped. Required query
        parameters are added as a query string, and required header
        parameters go with every request sent to this path (:meth:`send`);
        they come from test data, the parameter's examples, its schema's
        default or examples, or a value generated from its schema with the
        run's seed. Optional parameters are left out. A key carried in a
        query parameter (a key-value-pair read's ``id``) is filled like a
        path parameter, after the operation's fixed parameters.
        """
        operation = operation or self.operation
        assert operation is not None
        path, headers = self.request_parts(operation, which=which)
        if headers:
            self._filled_headers[(operation.method, path)] = headers
        return path

    def request_parts(
        self,
        operation: Operation,
        *,
        which: str = "existing",
        values: Mapping[tuple[str, str], str | None] | None = None,
    ) -> tuple[str, dict[str, str]]:
        """The path (with its query string) and the header parameters of a request.

        Every required parameter is filled as :meth:`path` says; ``values``
        gives serialized values of chosen parameters, by location and name,
        instead (``None`` leaves one out), optional ones included. Headers
        the suite sets itself are filled only when ``values`` names them.
        """
        values = values or {}
        path = operation.path
        query: list[str] = []
        headers: dict[str, str] = {}
        suite = suite_header_names(self.service)
        key = operation.key_parameter()
        for parameter in operation.parameters:
            if (parameter.location, parameter.name) in values:
                text = values[parameter.location, parameter.name]
            elif parameter.location == "path" or parameter == key:
                text = self.fill(operation, parameter, which=which)
                if text is None:
                    raise Skip(
                        f"the profile's test_data.{which} has no {parameter.name!r}"
                        f" for {operation.method} {operation.path}; add one to run"
                        " this check"
                    )
            elif not parameter.required or (
                parameter.location == "header" and parameter.name.lower() in suite
            ):
                continue
            else:
                text = self.fill(operation, parameter, which=which)
            if text is None:
                continue
            if parameter.location == "path":
                path = path.replace(f"{{{parameter.name}}}", text)
            elif parameter.location == "query":
                query.append(text)
            elif parameter.location == "header":
                headers[parameter.name] = text
        if query:
            # A key-value-pair operation's path already has its fixed query.
            path += ("&" if "?" in path else "?") + "&".join(query)
        return path, headers

    def broken_request(
        self, operation: Operation, parameter: Parameter
    ) -> tuple[str, dict[str, str]] | None:
        """The ordinary request with one parameter given an invalid value, or
        None when no sendable text breaks the parameter's schema."""
        text = self.broken_value(operation, parameter)
        if text is None:
            return None
        where = (parameter.location, parameter.name)
        return self.request_parts(operation, values={where: text})

    def broken_value(self, operation: Operation, parameter: Parameter) -> str | None:
        """A sendable serialized value that breaks the parameter's schema.

        Found next to a valid value (a character more or less, ``12a``,
        ``12.5``, an empty text) or as a value of another type, always
        judged on its serialized form: ``12345`` is no invalid string.
        """
        if parameter.location not in ("path", "query", "header"):
            return None
        if parameter.pointer is None:
            return None
        is_valid = self._parameter_validator(parameter)
        # The valid value as plain text: a mutation of it is a string value.
        base = self.fill(operation, parameter) or ""
        if parameter.location == "query":
            base = base.partition("=")[2]
        if parameter.location != "header":
            base = unquote(base)
        values: list[JsonValue] = [*text_mutations(base), 12345, "text", True, "!"]
        for value in values:
            text = serialize(parameter, value)
            if sendable(parameter, text) and not belongs(parameter, text, is_valid):
                return text
        return None

    def fill(
        self, operation: Operation, parameter: Parameter, *, which: str = "existing"
    ) -> str | None:
        """The serialized value a parameter gets on ordinary requests, or None."""
        key = (operation.id, parameter.location, parameter.name, which)
        if key not in self.service.fills:
            self.service.fills[key] = self._fill(operation, parameter, which)
        return self.service.fills[key]

    def _fill(
        self, operation: Operation, parameter: Parameter, which: str
    ) -> str | None:
        target = self.service.target
        data = target.existing if which == "existing" else target.missing
        given = data.get(parameter.name)
        if given:
            # The profile's test data is sent as given: the agency knows its
            # service better than a schema, and a value refused is a finding.
            text = serialize(parameter, given[0])
            if sendable(parameter, text):
                return text
        if parameter.location == "path" or parameter == operation.key_parameter():
            # A path parameter (or a query key) names a resource: a made-up
            # one names nothing,
            # and the resource a read is judged on must be one the agency
            # promised to hold (an example may not exist there).
            if which != "existing" or operation.role == "read":
                return None
            return next(self._acceptable(parameter, list(parameter.examples)), None)
        candidates = [*parameter.examples, *self._schema_examples(parameter)]
        found = next(self._acceptable(parameter, candidates), None)
        return found if found is not None else self._generated(parameter)

    def _acceptable(
        self, parameter: Parameter, values: list[JsonValue]
    ) -> Iterator[str]:
        """The serialized values, in order, that can be sent and are valid."""
        is_valid = self._parameter_validator(parameter)
        for value in values:
            text = serialize(parameter, value)
            if sendable(parameter, text) and belongs(parameter, text, is_valid):
                yield text

    def _parameter_validator(self, parameter: Parameter) -> Callable[[JsonValue], bool]:
        if parameter.pointer is None:
            return lambda value: True
        return self.service.interface.validator(parameter.pointer).is_valid

    def _schema_examples(self, parameter: Parameter) -> list[JsonValue]:
        """The schema's ``default`` and ``examples``, through its ``$ref``s."""
        if parameter.pointer is None:
            return []
        interface = self.service.interface
        node = member_at(interface.document, parameter.pointer)
        base = str(interface.uri)
        found: list[JsonValue] = []
        for _ in range(10):  # a chain of references, not a cycle
            if not isinstance(node, dict):
                break
            if "default" in node:
                found.append(node["default"])
            examples = node.get("examples")
            if isinstance(examples, list):
                found += examples
            ref = node.get("$ref")
            if not isinstance(ref, str):
                break
            target = urljoin(base, ref)
            base, _, fragment = target.partition("#")
            try:
                document = interface.loader.retrieve(base)
            except Exception:  # an unreadable schema is the linter's finding
                break
            node = member_at(document, unquote(fragment)) if fragment else document
        return found

    def _generated(self, parameter: Parameter) -> str | None:
        """A value generated from the parameter's schema with the run's seed."""
        if parameter.pointer is None:
            return None
        known = self.service.generated
        values = known.get(parameter.pointer)
        if values is None:
            values = known[parameter.pointer] = self._generate(parameter.pointer)
        return next(self._acceptable(parameter, values), None)

    def _generate(self, pointer: str) -> list[JsonValue]:
        interface = self.service.interface
        schema: dict[str, JsonValue] = {
            "$ref": f"{interface.uri}#{quote(pointer, safe='/~-._')}"
        }
        try:
            with GENERATION:  # services are checked in threads (see GENERATION)
                # Imported here: the strategies cost ~25 ms to import, and
                # most parameters are filled from examples.
                from conformance.strategies import compiler, fixed_examples

                registry = self.service.registry
                strategy = compiler(registry).strategy(schema, interface.uri)
                return list(fixed_examples(strategy, 10, self.service.fuzz.seed))
        except Exception:  # a schema the generator cannot handle: no value
            return []

    def operation_with_role(self, role: str) -> Operation:
        """The first operation with this role, or :class:`NotApplicable`."""
        found = self.service.interface.by_role(role)
        if not found:
            raise NotApplicable(f"the interface has no {role!r} operation")
        return found[0]

    # -- findings -----------------------------------------------------------

    def finding(
        self,
        message: str,
        *,
        pointer: str | None = None,
        severity: Severity = Severity.ERROR,
        rule: str | None = None,
    ) -> Finding:
        """A finding citing this check's requirement."""
        return Finding(
            message=message,
            rule=rule or self.rule,
            pointer=pointer,
            requirement=self.requirement,
            standard=self.standard_ref,
            severity=severity,
        )

    # -- request bodies -----------------------------------------------------

    def valid_body(self) -> dict[str, JsonValue]:
        """A valid resource to create: a valid example with a fresh key.

        The key is drawn from the run's seed; one the service already holds
        (a run with the same seed created it before) is passed over, so the
        same seed on the same service state gives the same requests.
        """
        for example in self.service.standard.examples:
            if example.valid and example.path.suffix == ".json":
                body = json.loads(example.path.read_text(encoding="utf-8"))
                if isinstance(body, dict):
                    fresh = self.with_fresh_key(body)
                    for _ in range(5):
                        if not self._key_taken(fresh):
                            break
                        fresh = self.with_fresh_key(body)
                    return fresh
        raise Skip(f"{self.service.standard.ref} has no valid JSON example to send")

    def _key_taken(self, body: dict[str, JsonValue]) -> bool:
        """Whether the read operation finds a resource with this body's key."""
        pointer = self.key_pointer()
        reads = self.service.interface.by_role("read")
        key = member_at(body, pointer) if pointer else None
        if key is None or not reads or len(reads[0].path_parameters()) != 1:
            return False
        (parameter,) = reads[0].path_parameters()
        path = reads[0].path.replace(
            f"{{{parameter.name}}}", serialize(parameter, str(key))
        )
        return self.send("GET", path, tolerate=True).status == 200

    def invalid_bodies(self) -> list[tuple[dict[str, JsonValue], str, str]]:
        """Invalid examples that break one value: (body, pointer, rule)."""
        bodies = []
        for example in self.service.standard.examples:
            if example.valid or example.path.suffix != ".json":
                continue
            rule = example.rule
            if rule is None or rule in ("required", "additionalProperties", "oneOf"):
                continue  # the offending field is not one pointer into the body
            if not example.location:
                continue
            try:
                body = json.loads(example.path.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(body, dict):
                bodies.append(
                    (
                        self.with_fresh_key(body, keep=example.location),
                        example.location,
                        rule,
                    )
                )
        return bodies

    def key_pointer(self) -> str | None:
        """Where a resource's key is: the read operation's key parameter."""
        reads = self.service.interface.by_role("read")
        key = reads[0].key_parameter() if reads else None
        return key.key_pointer if key is not None else None

    def with_fresh_key(
        self,
        body: dict[str, JsonValue],
        *,
        keep: str | None = None,
        rng: random.Random | None = None,
    ) -> dict[str, JsonValue]:
        """``body`` with its key replaced by a value unlikely to exist yet."""
        pointer = self.key_pointer()
        if pointer is None or keep == pointer:
            return body
        current = member_at(body, pointer)
        if current is None:
            return body
        value = str(current)
        rng = rng or self.rng
        for _ in range(200):
            candidate = "".join(_same_class(ch, rng) for ch in value)
            if candidate != value and self._valid_key(candidate):
                return with_member(body, pointer, candidate)
        return body

    def _valid_key(self, value: str) -> bool:
        reads = self.service.interface.by_role("read")
        key = reads[0].key_parameter() if reads else None
        if key is None or key.pointer is None:
            return True
        try:
            validator = self.service.interface.validator(key.pointer)
            return validator.is_valid(value)
        except Exception:  # a key we cannot check is still worth trying
            return True


def _same_class(ch: str, rng: random.Random) -> str:
    if ch.isdigit():
        return rng.choice(string.digits)
    if "a" <= ch <= "f" and ch.islower():
        return rng.choice("abcdef")
    if ch.isupper() and ch.isascii():
        return rng.choice(string.ascii_uppercase)
    if ch.islower() and ch.isascii():
        return rng.choice(string.ascii_lowercase)
    return ch
