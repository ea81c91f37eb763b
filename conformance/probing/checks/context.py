"""What a check works with: the service, one operation, and a recording client."""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from typing import Unpack
from urllib.parse import quote, urlencode

from conformance.model import Evidence, Finding, JsonValue, Severity
from conformance.probing.conventions import Conventions
from conformance.probing.fuzzing import CI_SEED, FuzzSettings
from conformance.probing.http import Exchange, RequestOptions, ServiceClient
from conformance.probing.interfaces import Interface, Operation, member_at, with_member
from conformance.probing.profiles import ServiceTarget
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry


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

    def class_not_checked(self, conformance_class: str) -> str | None:
        """Why checks of a class do not run on this service, or ``None``."""
        if not self.conventions.declares(conformance_class):
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
        exchange = self.service.client.request(method, path, **options)
        # The evidence needs an excerpt of the reply; the check gets it whole.
        self.exchanges.append(exchange.kept())
        if exchange.error and not tolerate:
            raise Unavailable(exchange)
        return exchange

    def path(
        self, operation: Operation | None = None, *, which: str = "existing"
    ) -> str:
        """The operation's path with its path parameters filled from test data.

        A key carried in a query parameter (a key-value-pair read's ``id``)
        is added to the query, after the operation's fixed parameters.
        """
        operation = operation or self.operation
        assert operation is not None
        target = self.service.target
        data = target.existing if which == "existing" else target.missing
        path = operation.path
        key = operation.key_parameter()
        query = [key] if key is not None and key.location == "query" else []
        for parameter in [*operation.path_parameters(), *query]:
            values = data.get(parameter.name)
            if not values:
                raise Skip(
                    f"the profile's test_data.{which} has no {parameter.name!r} for"
                    f" {operation.method} {operation.path}; add one to run this check"
                )
            if parameter.location == "query":
                pair = urlencode({parameter.name: values[0]})
                path += ("&" if "?" in path else "?") + pair
            else:
                path = path.replace(f"{{{parameter.name}}}", quote(values[0], safe=""))
        return path

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
        """A valid resource to create: a valid example with a fresh key."""
        for example in self.service.standard.examples:
            if example.valid and example.path.suffix == ".json":
                body = json.loads(example.path.read_text(encoding="utf-8"))
                if isinstance(body, dict):
                    return self.with_fresh_key(body)
        raise Skip(f"{self.service.standard.ref} has no valid JSON example to send")

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
        rng = rng or random.Random()
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
