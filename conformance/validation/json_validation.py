"""Validating JSON payloads: the one entry point is :func:`validate_json`.

A document is read safely (:mod:`conformance.inputs.json_input`), decided by the
native validator, and only when it fails are errors turned into located
findings (JSON Pointer, line, column, keyword, schema location,
requirement). Valid documents never pay for that detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urljoin

import jsonschema_rs

from conformance.errors import SchemaError
from conformance.inputs.caps import DEFAULT_MAX_FINDINGS, FindingCap
from conformance.inputs.excerpts import quoted
from conformance.inputs.json_input import (
    DEFAULT_LIMITS,
    NEEDS_FINDINGS,
    JsonLimits,
    parse_json,
    read_fast,
)
from conformance.inputs.json_locate import Locator, pointer
from conformance.model import Finding, JsonValue, Level, Severity
from conformance.registry.manifest import StandardVersion
from conformance.registry.schema_resources import (
    ResourceLoader,
    file_uri,
    load_json_file,
)
from conformance.registry.standards import Registry
from conformance.validation.json_schemas import (
    INSTANCE_MASK,
    lint_schema,
    native_validator,
    reference_validator,
)

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from jsonschema.protocols import Validator

# A schema node holding a keyword, the nearest x-requirement above it and
# the standard that requirement belongs to.
_Annotations = tuple[dict[str, JsonValue] | None, str | None, str | None]

# Keywords whose failure is about the value itself: the schema node's title
# helps a reader ("FIN", "Postal code"). For structural keywords it does not.
_VALUE_KEYWORDS = frozenset(
    {
        "pattern",
        "format",
        "enum",
        "const",
        "type",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)
_BRANCHING = frozenset({"oneOf", "anyOf"})
# What a finding takes from the schema: the node's title (for a value
# keyword), requirement, standard, severity and short schema location.
_Facts = tuple[str | None, str | None, str | None, Severity, str | None]
_DISCRIMINATING = frozenset({"const", "enum"})


@dataclass(frozen=True)
class JsonValidator:
    """A compiled JSON Schema for one standard (or one draft schema file)."""

    native: jsonschema_rs.Validator
    loader: ResourceLoader
    standard: str | None
    requirement: str | None
    base_uri: str | None = None
    registry: Registry | None = None
    schema: JsonValue = None
    """The compiled schema, for the lazy reference validator of huge documents."""
    _severities: dict[tuple[str | None, str | None], Severity] = field(
        default_factory=dict, repr=False, compare=False
    )
    _nodes: dict[str | None, _Annotations] = field(
        default_factory=dict, repr=False, compare=False
    )
    _lazy: list[Validator] = field(default_factory=list, repr=False, compare=False)
    _locations: dict[tuple[str | int, ...], str | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    _shorts: dict[str | None, str | None] = field(
        default_factory=dict, repr=False, compare=False
    )
    _facts: dict[tuple[str | None, str], _Facts] = field(
        default_factory=dict, repr=False, compare=False
    )

    def is_valid(self, value: JsonValue) -> bool:
        """The fast verdict."""
        return bool(self.native.is_valid(value))

    def findings(
        self,
        value: JsonValue,
        text: str | None = None,
        *,
        first_line: int = 1,
        max_findings: int = DEFAULT_MAX_FINDINGS,
    ) -> list[Finding]:
        """Located findings for a value the fast verdict rejected.

        With the ``text`` the value was read from, each finding also gets
        its line and column; the text is scanned only as far as needed.
        Past ``max_findings``, a final finding counts the rest.
        """
        cap = FindingCap(max_findings)
        self.explain(value, text, cap, first_line=first_line)
        return cap.findings()

    def explain(
        self,
        value: JsonValue,
        text: str | None,
        cap: FindingCap,
        *,
        first_line: int = 1,
    ) -> None:
        """Give ``cap`` the findings of a value the fast verdict rejected.

        Only the errors there is room for are located and made findings;
        the others are counted, with their severity, as they come.
        """
        room = cap.room
        limit = _lazy_above(room)
        if (
            self.schema is not None
            # Every value takes at least one character of its text: a short
            # text needs no count of its nodes.
            and (text is None or len(text) > limit)
            and _more_nodes_than(value, limit)
            and self._explain_lazily(value, text, cap, first_line=first_line)
        ):
            return
        errors: list[jsonschema_rs.ValidationError] = []
        for error in self.native.iter_errors(value):
            explained = _explained(error) if error.kind.name in _BRANCHING else (error,)
            for one in explained:
                if len(errors) < room:
                    errors.append(one)
                else:
                    cap.omit(self._severity_of(one))
        pointers = [pointer(error.instance_path) for error in errors]
        locator = (
            Locator(text, first_line=first_line, wanted=frozenset(pointers))
            if text is not None
            else None
        )
        add = cap.add
        for error, where in zip(errors, pointers, strict=True):
            add(self._finding(error, where, locator))

    def _explain_lazily(
        self,
        value: JsonValue,
        text: str | None,
        cap: FindingCap,
        *,
        first_line: int,
    ) -> bool:
        """Explain a huge document past the cap, holding no more than the cap.

        jsonschema-rs builds every error of a document before giving the
        first (a document with 200,000 errors: 280 MB), so a document with
        more nodes than :func:`_lazy_above` allows is first counted by the
        reference validator, which yields its errors one at a time. With no
        more errors than there is room for, ``False``: the native validator
        explains it as any other, and its findings are the same. Past the
        room, the reference validator's errors are the findings, up to the
        room, and the rest are counted, each with its severity.
        """
        room = cap.room
        lazy = self._reference()
        counted = 0
        for _ in lazy.iter_errors(value):
            counted += 1
            if counted > room:
                break
        if counted <= room:
            return False
        # Only what a finding needs is kept of an error: an error object
        # holds its instance, schema and context.
        kept: list[_Kept] = []
        for error in lazy.iter_errors(value):
            best = _best_python(error)
            location = self._python_location(best)
            if len(kept) < room:
                kept.append(
                    _Kept(
                        str(best.validator),
                        _capped(best.message),
                        pointer(list(best.absolute_path)),
                        location,
                    )
                )
            else:
                cap.omit(self._severity_of_location(location))
        locator = (
            Locator(
                text, first_line=first_line, wanted=frozenset(k.where for k in kept)
            )
            if text is not None
            else None
        )
        cap.extend(self._python_finding(k, locator) for k in kept)
        return True

    def _reference(self) -> Validator:
        if not self._lazy:
            self._lazy.append(reference_validator(self.schema, self.loader))
        return self._lazy[0]

    def _python_location(self, error: ValidationError) -> str | None:
        """The absolute keyword location of a python-jsonschema error, as
        jsonschema-rs writes it (through every ``$ref``), when it can be found."""
        tokens = tuple(error.absolute_schema_path)
        try:
            return self._locations[tokens]
        except KeyError:
            found = self._locations[tokens] = _keyword_location(
                self.schema, tokens, self.loader
            )
            return found

    def _severity_of_location(self, location: str | None) -> Severity:
        _, requirement, standard = self._annotations(location)
        return self._severity(
            standard or self.standard, requirement or self.requirement
        )

    def _python_finding(self, kept: _Kept, locator: Locator | None) -> Finding:
        position = locator.locate(kept.where) if locator else None
        node, requirement, standard = self._annotations(kept.location)
        message = kept.message
        if kept.keyword in _VALUE_KEYWORDS and node is not None:
            title = node.get("title")
            if isinstance(title, str):
                message = f"{message} ({title})"
        requirement = requirement or self.requirement
        standard = standard or self.standard
        return Finding(
            message=message,
            rule=kept.keyword,
            pointer=kept.where,
            line=position[0] if position else None,
            column=position[1] if position else None,
            schema_location=self._short(kept.location),
            requirement=requirement,
            standard=standard,
            severity=self._severity(standard, requirement),
        )

    def _finding(
        self,
        error: jsonschema_rs.ValidationError,
        where: str,
        locator: Locator | None,
    ) -> Finding:
        kind = error.kind
        keyword = kind.name
        location = error.absolute_keyword_location
        # What a finding takes from the schema depends on the keyword's place
        # alone: looked up once per place, for every record that breaks it.
        try:
            title, requirement, standard, severity, short = self._facts[
                (location, keyword)
            ]
        except KeyError:
            title, requirement, standard, severity, short = self._facts[
                (location, keyword)
            ] = self._find_facts(location, keyword)
        message = _message(error, kind)
        if title is not None:
            message = f"{message} ({title})"
        position = locator.locate(where) if locator else None
        return Finding(
            message=message,
            rule=keyword,
            pointer=where,
            line=position[0] if position else None,
            column=position[1] if position else None,
            schema_location=short,
            requirement=requirement,
            standard=standard,
            severity=severity,
        )

    def _find_facts(self, location: str | None, keyword: str) -> _Facts:
        """The title (for a value keyword), requirement, standard, severity and
        short schema location of a finding for ``keyword`` at ``location``."""
        node, requirement, standard = self._annotations(location)
        title = node.get("title") if keyword in _VALUE_KEYWORDS and node else None
        requirement = requirement or self.requirement
        standard = standard or self.standard
        return (
            title if isinstance(title, str) else None,
            requirement,
            standard,
            self._severity(standard, requirement),
            self._short(location),
        )

    def _severity_of(self, error: jsonschema_rs.ValidationError) -> Severity:
        """The severity the error's finding would have, without making it."""
        _, requirement, standard = self._annotations(error.absolute_keyword_location)
        return self._severity(
            standard or self.standard, requirement or self.requirement
        )

    def _severity(self, standard: str | None, requirement: str | None) -> Severity:
        key = (standard, requirement)
        try:
            return self._severities[key]
        except KeyError:
            found = self._severities[key] = self._find_severity(standard, requirement)
            return found

    def _find_severity(self, standard: str | None, requirement: str | None) -> Severity:
        # A rule tied to a SHOULD or MAY requirement is a warning, not a failure.
        if self.registry is None or standard is None or requirement is None:
            return Severity.ERROR
        found = self.registry.requirement(standard, requirement)
        if found is not None and found.level is not Level.MUST:
            return Severity.WARNING
        return Severity.ERROR

    def _annotations(self, location: str | None) -> _Annotations:
        """The schema node holding a keyword, and the nearest ``x-requirement``."""
        try:
            return self._nodes[location]
        except KeyError:
            found = self._nodes[location] = self._find_annotations(location)
            return found

    def _find_annotations(self, location: str | None) -> _Annotations:
        if not location or "#" not in location:
            return None, None, None
        uri, fragment = location.split("#", 1)
        document = self.loader.cached(uri)
        if document is None:
            return None, None, None
        tokens = [
            t.replace("~1", "/").replace("~0", "~") for t in fragment.split("/")[1:]
        ]
        nodes: list[JsonValue] = [document]
        for token in tokens[:-1]:
            current = nodes[-1]
            if isinstance(current, dict) and token in current:
                nodes.append(current[token])
            elif (
                isinstance(current, list)
                and token.isdigit()
                and int(token) < len(current)
            ):
                nodes.append(current[int(token)])
            else:
                break
        holder = nodes[-1] if isinstance(nodes[-1], dict) else None
        for candidate in reversed(nodes):
            if isinstance(candidate, dict):
                requirement = candidate.get("x-requirement")
                if isinstance(requirement, str):
                    return holder, requirement, self._standard_of(uri)
        return holder, None, None

    def _standard_of(self, uri: str) -> str | None:
        if self.registry is not None:
            return self.registry.standard_of_uri(uri)
        return _standard_of(uri, self.base_uri)

    def _short(self, location: str | None) -> str | None:
        # Asked for every finding; the schema has few keyword locations.
        try:
            return self._shorts[location]
        except KeyError:
            found = self._shorts[location] = self._find_short(location)
            return found

    def _find_short(self, location: str | None) -> str | None:
        if location and self.registry is not None:
            return self.registry.short_uri(location)
        if location and self.base_uri and location.startswith(self.base_uri):
            return location[len(self.base_uri) :]
        return location


ROOM_FREE_CHARS = 1_000
"""A text of at most this many characters is explained the same way whatever
room its cap has left (a longer one may be counted lazily first: see
:meth:`JsonValidator.explain`)."""

# The longest message of the lazy path, in characters.
_MESSAGE_CHARS = 300


@dataclass(frozen=True, slots=True)
class _Kept:
    """What the lazy path keeps of one error it will make a finding of."""

    keyword: str
    message: str
    where: str
    location: str | None


def _capped(message: str) -> str:
    # python-jsonschema quotes the whole value; a capped quotation keeps a
    # 10 MB string out of the report, as the native path does.
    if len(message) > _MESSAGE_CHARS:
        return message[:_MESSAGE_CHARS] + "…"
    return message


def _lazy_above(room: int) -> int:
    """Nodes past which a failing document is counted lazily first.

    A document has at most a few errors per node (one per keyword that
    applies to it), so up to this many nodes the native validator's errors
    stay within a small multiple of the cap.
    """
    return 2 * room + ROOM_FREE_CHARS


def _more_nodes_than(value: JsonValue, limit: int) -> bool:
    """True when ``value`` holds more than ``limit`` values; stops counting there."""
    seen = 0
    stack = [value]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _best_python(error: ValidationError) -> ValidationError:
    """A branching error's most relevant sub-error (jsonschema's own ranking)."""
    if error.validator in _BRANCHING and error.context:
        from jsonschema.exceptions import best_match

        return best_match([error]) or error
    return error


def _keyword_location(
    schema: JsonValue, tokens: tuple[str | int, ...], loader: ResourceLoader
) -> str | None:
    """Walk a schema path from the root schema through ``$ref``s to a URI#pointer.

    python-jsonschema's schema path leaves a ``$ref`` out (or names it);
    either way the walk follows the reference where the next keyword is
    not in the node, as jsonschema-rs's keyword locations do.
    """
    declared = schema.get("$id", "") if isinstance(schema, dict) else ""
    at = _Place(schema, declared if isinstance(declared, str) else "", [], schema)
    for token in tokens:
        if token == "$ref":
            continue
        while (
            isinstance(at.node, dict)
            and str(token) not in at.node
            and isinstance(at.node.get("$ref"), str)
        ):
            followed = _follow(at, loader)
            if followed is None:
                return None
            at = followed
        at = _Place(_child(at.node, token), at.base, [*at.place, token], at.document)
    if not at.base:
        return None
    return at.base + "#" + pointer(at.place)


@dataclass(frozen=True, slots=True)
class _Place:
    node: JsonValue
    base: str
    place: list[str | int]
    document: JsonValue


def _follow(at: _Place, loader: ResourceLoader) -> _Place | None:
    """Where the ``$ref`` of ``at.node`` leads."""
    assert isinstance(at.node, dict)
    target = urljoin(at.base, str(at.node["$ref"]))
    uri, _, fragment = target.partition("#")
    base, document = at.base, at.document
    if uri and uri != at.base:
        try:
            document = loader.retrieve(uri)
        except SchemaError:
            return None
        own = document.get("$id") if isinstance(document, dict) else None
        base = own if isinstance(own, str) else uri
    node: JsonValue = document
    place: list[str | int] = []
    for raw in fragment.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        node = _child(node, part)
        place.append(part)
    return _Place(node, base, place, document)


def _child(node: JsonValue, token: str | int) -> JsonValue:
    if isinstance(node, dict):
        return node.get(str(token))
    if isinstance(node, list):
        index = int(token)
        return node[index] if 0 <= index < len(node) else None
    return None


# Names listed in an "unexpected members" message, at most.
_NAMES_LISTED = 10


_LISTING = (
    jsonschema_rs.ValidationErrorKind.AdditionalProperties,
    jsonschema_rs.ValidationErrorKind.UnevaluatedProperties,
)
"""The kinds whose message names unexpected members."""


def _message(
    error: jsonschema_rs.ValidationError,
    kind: jsonschema_rs.ValidationErrorKind | None = None,
) -> str:
    """The error's message, quoting values (capped) where jsonschema-rs masked them.

    jsonschema-rs masks the instance; the names of unexpected members and
    a name that fails ``propertyNames`` it writes whole, so those messages
    are written here.
    """
    if kind is None:
        kind = error.kind
    if isinstance(kind, _LISTING):
        names = kind.unexpected
        listed = ", ".join(quoted(name) for name in names[:_NAMES_LISTED])
        if len(names) > _NAMES_LISTED:
            listed += f" and {len(names) - _NAMES_LISTED:,} more"
        which = "Additional" if kind.name == "additionalProperties" else "Unevaluated"
        verb = "was" if len(names) == 1 else "were"
        return f"{which} properties are not allowed ({listed} {verb} unexpected)"
    if isinstance(kind, jsonschema_rs.ValidationErrorKind.PropertyNames):
        error = kind.error
    # The instance is part of the value validated, a JsonValue: jsonschema-rs
    # gives a Decimal only with arbitrary precision, which is off.
    message = error.message
    if INSTANCE_MASK not in message:
        return message
    instance = cast("JsonValue", error.instance)
    return message.replace(INSTANCE_MASK, quoted(instance))


def _standard_of(uri: str, base_uri: str | None) -> str | None:
    if not base_uri or not uri.startswith(base_uri):
        return None
    parts = uri[len(base_uri) :].split("/")
    return f"{parts[0]}@{parts[1]}" if len(parts) >= 3 else None


def _explained(
    error: jsonschema_rs.ValidationError,
) -> list[jsonschema_rs.ValidationError]:
    """The errors that explain ``error``: those of the branch meant, if any.

    When no one branch was evidently meant, the single most relevant error
    of the branches stands for them (:func:`_most_relevant`), so a schema
    whose root is a ``oneOf`` names the real keyword and location, not
    "oneOf at ''".
    """
    if error.kind.name in _BRANCHING:
        branch = _best_branch(error)
        if branch is not None:
            return [sub for item in branch for sub in _explained(item)]
        best = _most_relevant(error)
        if best is not None:
            return _explained(best)
    return [error]


def _relevance(error: jsonschema_rs.ValidationError) -> tuple[int, bool]:
    # As jsonschema's best_match ranks the errors of a branching keyword:
    # deeper in the instance is more specific (the branch got further);
    # at one depth, a keyword of its own beats another branching one.
    return len(error.instance_path), error.kind.name not in _BRANCHING


def _most_relevant(
    error: jsonschema_rs.ValidationError,
) -> jsonschema_rs.ValidationError | None:
    """The one error of a ``oneOf``/``anyOf``'s branches that best explains it.

    Branches whose discriminator failed are left out while any other
    remains. ``None`` when two errors tie for the first place: then no
    branch is more likely than another, and the branching error itself is
    the truthful finding.
    """
    branches: list[list[jsonschema_rs.ValidationError]] | None = getattr(
        error.kind, "context", None
    )
    if not branches:
        return None
    depth = len(error.instance_path)
    meant = [b for b in branches if b and not any(_not_meant(s, depth) for s in b)]
    candidates = [sub for branch in (meant or branches) for sub in branch]
    if not candidates:
        return None
    ranked = sorted(candidates, key=_relevance, reverse=True)
    if len(ranked) > 1 and _relevance(ranked[0]) == _relevance(ranked[1]):
        return None
    return ranked[0]


def _not_meant(sub: jsonschema_rs.ValidationError, depth: int) -> bool:
    """The error shows its branch was not the one meant (a failed discriminator)."""
    at = len(sub.instance_path)
    name = sub.kind.name
    return (name in _DISCRIMINATING and at <= depth + 1) or (
        name == "type" and at == depth
    )


def _best_branch(
    error: jsonschema_rs.ValidationError,
) -> list[jsonschema_rs.ValidationError] | None:
    """The one ``oneOf``/``anyOf`` branch the document evidently meant, if any.

    A branch was not meant when its discriminator failed: a ``const`` or
    ``enum`` on a member of the branching object (``eventType``), or a
    ``type`` on the branching value itself. When exactly one branch
    remains, its errors explain the failure better than "not valid under
    any"; a missing member of that branch is then reported as ``required``.
    """
    # Only the oneOf and anyOf kinds have a context: the errors of each branch.
    branches: list[list[jsonschema_rs.ValidationError]] | None = getattr(
        error.kind, "context", None
    )
    if not branches:
        return None
    depth = len(error.instance_path)
    meant = [
        branch
        for branch in branches
        if branch and not any(_not_meant(sub, depth) for sub in branch)
    ]
    return meant[0] if len(meant) == 1 else None


def validate_json(
    data: bytes | str,
    validator: JsonValidator,
    *,
    limits: JsonLimits = DEFAULT_LIMITS,
    first_line: int = 1,
    max_findings: int = DEFAULT_MAX_FINDINGS,
) -> list[Finding]:
    """Validate one JSON text against a compiled schema; never raises on bad input.

    Returns the findings: input problems (encoding, duplicates, numbers,
    depth, size) and schema violations, each with its location. Past
    ``max_findings``, the rest are counted in one final finding.
    """
    cap = FindingCap(max_findings)
    check_json(data, validator, cap, limits=limits, first_line=first_line)
    return cap.findings()


def check_json(
    data: bytes | str,
    validator: JsonValidator,
    cap: FindingCap,
    *,
    limits: JsonLimits = DEFAULT_LIMITS,
    first_line: int = 1,
) -> None:
    """:func:`validate_json`, giving the findings to ``cap`` (one per file)."""
    fast = read_fast(data, limits)
    if fast is not NEEDS_FINDINGS:
        value, text = fast
        if validator.native.is_valid(value):
            return
        if text is None:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        validator.explain(value, text, cap, first_line=first_line)
        return
    parsed = parse_json(
        data, limits=limits, first_line=first_line, max_findings=cap.room
    )
    cap.extend(parsed.findings)
    cap.omit(Severity.ERROR, parsed.omitted_errors)
    cap.omit(Severity.WARNING, parsed.omitted - parsed.omitted_errors)
    if not parsed.ok or validator.is_valid(parsed.value):
        return
    validator.explain(parsed.value, parsed.text, cap, first_line=first_line)


def registry_loader(registry: Registry) -> ResourceLoader:
    """The registry's shared loader: each schema file is read once per process."""
    return registry.cached(
        ("loader",),
        lambda: ResourceLoader(registry.mounts(), registry.declared_ids),
    )


def json_validator(registry: Registry, standard: StandardVersion) -> JsonValidator:
    """The compiled validator for a standard's JSON binding, built once per process."""
    if standard.json is None:
        raise SchemaError(f"{standard.ref} has no JSON binding")
    binding = standard.json

    def build() -> JsonValidator:
        loader = registry_loader(registry)
        uri = registry.uri_for(binding.path)
        try:
            schema = loader.retrieve(uri)
            problems = lint_schema(schema)
            if problems:
                raise SchemaError("; ".join(problems))
            native = native_validator(schema, loader)
        except SchemaError as exc:
            raise SchemaError(f"{binding.path}: {exc}") from None
        return JsonValidator(
            native=native,
            loader=loader,
            standard=standard.ref,
            requirement=binding.requirement,
            base_uri=registry.base_uri,
            registry=registry,
            schema=schema,
        )

    return registry.cached(("json", standard.ref), build)


def json_validator_for_file(path: Path, registry: Registry | None) -> JsonValidator:
    """A validator for a draft JSON Schema file outside any registry.

    The draft may reference registry standards by their URIs and files in
    its own folder; nothing else.
    """
    folder = path.resolve().parent
    mounts = [(file_uri(folder), folder)]
    if registry is not None:
        mounts[:0] = registry.mounts()
    loader = ResourceLoader(
        mounts, registry.declared_ids if registry is not None else None
    )
    schema = load_json_file(path)
    if isinstance(schema, dict) and "$id" not in schema:
        schema = {**schema, "$id": path.resolve().as_uri()}
    if isinstance(schema, dict) and isinstance(schema["$id"], str):
        # A non-string $id fails the meta-schema when the schema is compiled.
        loader.register(schema["$id"], schema)
    problems = lint_schema(schema)
    if problems:
        raise SchemaError(f"{path}: " + "; ".join(problems))
    try:
        native = native_validator(schema, loader)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc}") from None
    return JsonValidator(
        native=native,
        loader=loader,
        standard=None,
        requirement=None,
        base_uri=registry.base_uri if registry else None,
        schema=schema,
    )
