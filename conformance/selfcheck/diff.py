"""The changes between two versions of a standard, each breaking or compatible.

``diff(registry, old, new)`` compares two versions (docs/standards.md,
"Comparing versions"):

- the JSON Schemas, flattened to what they say about each member (``$ref``
  and ``allOf`` followed, arrays as ``/*``): members added and removed,
  made required or optional, enum values removed or added, patterns,
  formats, lengths, bounds and item counts changed, objects closed to
  other members;
- the business rules: added, removed, their level raised or lowered;
- the code lists the rules use: entries removed or added between versions;
- the HTTP interfaces: operations added and removed, parameters added,
  removed or made required, response statuses added and removed;
- the status of the version.

A change is **breaking** when there is evidence: a document the old
version accepts and the new one refuses (found among the old version's
valid examples, documents generated from its schema, their edge values, and
documents made for the change: the member deleted, the removed enum value
put in, the old pattern's values tried), or a request the old interface
documents and the new one does not serve. A change with no such evidence
is compatible, whatever it looks like: a rewritten pattern that accepts the
same values breaks nobody. A rule added at SHOULD only warns, so it is
compatible; at MUST its evidence is a document of the old version the rule
refuses.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin

from conformance.errors import ConformanceError
from conformance.inputs.json_locate import escape_pointer_token
from conformance.model import Finding, JsonValue, Level, Severity
from conformance.probing.interfaces import Operation, interface_for
from conformance.registry.codelists import CodeList
from conformance.registry.manifest import StandardVersion
from conformance.registry.schema_resources import ResourceLoader
from conformance.registry.standards import Registry
from conformance.selfcheck.edge_values import json_edges
from conformance.strategies import fixed_examples, valid_json
from conformance.strategies.rules import replaced, value_at
from conformance.validation.json_validation import JsonValidator, json_validator
from conformance.validation.rules import RuleSet, check_json_rules, rule_set

SEED = 20261206
DOCUMENTS = 30
_MAX_DEPTH = 14
_SHOWN = 600
_NUMBERS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two versions."""

    kind: str
    where: str
    detail: str
    breaking: bool
    evidence: str | None = None

    def to_dict(self) -> dict[str, JsonValue]:
        """A JSON-ready mapping."""
        return {
            "kind": self.kind,
            "where": self.where,
            "detail": self.detail,
            "breaking": self.breaking,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Diff:
    """The changes from ``old`` to ``new``."""

    old: StandardVersion
    new: StandardVersion
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> tuple[Change, ...]:
        """The breaking changes."""
        return tuple(c for c in self.changes if c.breaking)

    @property
    def is_minor(self) -> bool:
        """``new`` is a later minor or patch of the same major."""
        return (
            self.new.version.major == self.old.version.major
            and self.new.version > self.old.version
        )

    def to_dict(self) -> dict[str, JsonValue]:
        """A JSON-ready mapping."""
        return {
            "old": self.old.ref,
            "new": self.new.ref,
            "breaking": len(self.breaking),
            "changes": [c.to_dict() for c in self.changes],
        }


# -- flattening a JSON Schema --------------------------------------------------


@dataclass
class _Node:
    """What the schema says about the values at one place of a document."""

    types: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    closed: bool = False
    enum: set[str] | None = None
    patterns: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=set)
    bounds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Walk:
    loader: ResourceLoader
    nodes: dict[str, _Node] = field(default_factory=dict)
    seen: set[tuple[int, str]] = field(default_factory=set)


def _flatten(loader: ResourceLoader, uri: str) -> dict[str, _Node]:
    walk = _Walk(loader)
    _visit(walk, loader.retrieve(uri), uri, "", branch=False)
    return walk.nodes


def _resolve(
    loader: ResourceLoader, base: str, ref: str
) -> tuple[JsonValue, str] | None:
    target = urljoin(base, ref)
    document_uri, fragment = urldefrag(target)
    try:
        node = loader.retrieve(document_uri)
    except ConformanceError:
        return None
    for raw in [t for t in fragment.split("/") if t] if fragment else []:
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit():
            node = node[int(token)]
        else:
            return None
    return node, document_uri


def _visit(walk: _Walk, schema: JsonValue, base: str, at: str, *, branch: bool) -> None:
    loader, nodes, seen = walk.loader, walk.nodes, walk.seen
    if not isinstance(schema, dict) or at.count("/") > _MAX_DEPTH:
        return
    key = (id(schema), at)
    if key in seen:
        return
    seen.add(key)
    declared = schema.get("$id")
    if isinstance(declared, str):
        base = urljoin(base, declared)
    node = nodes.setdefault(at, _Node())
    ref = schema.get("$ref")
    if isinstance(ref, str):
        found = _resolve(loader, base, ref)
        if found is not None:
            _visit(walk, found[0], found[1], at, branch=branch)
    all_of = schema.get("allOf")
    for sub in all_of if isinstance(all_of, list) else []:
        _visit(walk, sub, base, at, branch=branch)
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if isinstance(branches, list):
            for sub in branches:
                _visit(walk, sub, base, at, branch=True)
    for keyword in ("then", "else"):
        _visit(walk, schema.get(keyword), base, at, branch=True)
    kind = schema.get("type")
    if not branch:
        if isinstance(kind, str):
            node.types.add(kind)
        elif isinstance(kind, list):
            node.types.update(str(k) for k in kind)
        required = schema.get("required")
        if isinstance(required, list):
            node.required.update(str(r) for r in required)
        if schema.get("additionalProperties") is False or (
            schema.get("unevaluatedProperties") is False
        ):
            node.closed = True
        values = None
        if "enum" in schema and isinstance(schema["enum"], list):
            values = {json.dumps(v, ensure_ascii=False) for v in schema["enum"]}
        elif "const" in schema:
            values = {json.dumps(schema["const"], ensure_ascii=False)}
        if values is not None:
            node.enum = values if node.enum is None else node.enum & values
        if isinstance(schema.get("pattern"), str):
            node.patterns.add(str(schema["pattern"]))
        if isinstance(schema.get("format"), str):
            node.formats.add(str(schema["format"]))
        for keyword in (*_NUMBERS, *_UPPER):
            value = schema.get(keyword)
            if isinstance(value, int | float) and not isinstance(value, bool):
                old = node.bounds.get(keyword)
                tighter = max if keyword in _NUMBERS else min
                node.bounds[keyword] = (
                    float(value) if old is None else tighter(old, float(value))
                )
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            node.members.add(name)
            if sub is True or sub == {}:
                continue  # "true": admits a member described elsewhere
            child = f"{at}/{escape_pointer_token(name)}"
            _visit(walk, sub, base, child, branch=False)
    items = schema.get("items")
    if isinstance(items, dict):
        _visit(walk, items, base, f"{at}/*", branch=False)


# -- comparing -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A change found by comparing, before its evidence is looked for."""

    kind: str
    where: str
    detail: str
    # The finding of the new schema that shows this change: its keyword
    # (rule) and the place it is reported at.
    rule: str
    at: str
    tries: tuple[tuple[str, JsonValue | None, bool], ...] = ()


def _schema_candidates(
    old: dict[str, _Node], new: dict[str, _Node]
) -> list[_Candidate]:
    found: list[_Candidate] = []
    for at in sorted(set(old) | set(new)):
        shown = at or "(the document)"
        before, after = old.get(at), new.get(at)
        parent = at.rsplit("/", 1)[0] if at else ""
        name = at.rsplit("/", 1)[-1] if at else ""
        if before is None and after is not None:
            if name != "*":
                found.append(
                    _Candidate(
                        "member-added",
                        shown,
                        "a member the old version did not describe",
                        "",
                        "",
                    )
                )
            continue
        if after is None and before is not None:
            if name != "*":
                found.append(
                    _Candidate(
                        "member-removed",
                        shown,
                        "the new version no longer describes this member",
                        "additionalProperties",
                        parent,
                    )
                )
            continue
        if before is None or after is None:
            continue
        for member in sorted(after.required - before.required):
            found.append(
                _Candidate(
                    "made-required",
                    f"{at}/{member}",
                    f"{member!r} is now required",
                    "required",
                    at,
                    ((f"{at}/{member}", None, True),),
                )
            )
        for member in sorted(before.required - after.required):
            found.append(
                _Candidate(
                    "made-optional",
                    f"{at}/{member}",
                    f"{member!r} is now optional",
                    "",
                    "",
                )
            )
        if after.closed and not before.closed:
            found.append(
                _Candidate(
                    "closed",
                    shown,
                    "other members are no longer allowed",
                    "additionalProperties",
                    at,
                )
            )
        if before.enum is not None and after.enum is not None:
            for value in sorted(before.enum - after.enum):
                found.append(
                    _Candidate(
                        "enum-value-removed",
                        shown,
                        f"the value {value} is no longer allowed",
                        "enum",
                        at,
                        ((at, json.loads(value), False),),
                    )
                )
            for value in sorted(after.enum - before.enum):
                found.append(
                    _Candidate(
                        "enum-value-added",
                        shown,
                        f"the value {value} is now allowed",
                        "",
                        "",
                    )
                )
        elif before.enum is None and after.enum is not None:
            found.append(
                _Candidate(
                    "enum-added", shown, "values are now limited to a list", "enum", at
                )
            )
        if before.patterns != after.patterns:
            found.append(
                _Candidate(
                    "pattern-changed",
                    shown,
                    f"pattern {_listed(before.patterns)} → {_listed(after.patterns)}",
                    "pattern",
                    at,
                )
            )
        if before.formats != after.formats:
            found.append(
                _Candidate(
                    "format-changed",
                    shown,
                    f"format {_listed(before.formats)} → {_listed(after.formats)}",
                    "format",
                    at,
                )
            )
        for keyword in sorted(set(before.bounds) | set(after.bounds)):
            a, b = before.bounds.get(keyword), after.bounds.get(keyword)
            if a == b:
                continue
            lower = keyword in _NUMBERS
            tightened = (
                a is None or (b is not None and (b > a if lower else b < a))
            ) and b is not None
            found.append(
                _Candidate(
                    "constraint-tightened" if tightened else "constraint-loosened",
                    shown,
                    f"{keyword} {_number(a)} → {_number(b)}",
                    keyword if tightened else "",
                    at,
                )
            )
        if before.types and after.types and after.types < before.types:
            found.append(
                _Candidate(
                    "type-narrowed",
                    shown,
                    f"type {_listed(before.types)} → {_listed(after.types)}",
                    "type",
                    at,
                )
            )
    return found


def _listed(values: set[str]) -> str:
    return ", ".join(sorted(values)) or "(none)"


def _number(value: float | None) -> str:
    if value is None:
        return "(none)"
    return str(int(value)) if value.is_integer() else str(value)


# -- evidence ------------------------------------------------------------------


def _shown(value: JsonValue) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _wild(pointer: str) -> str:
    return re.sub(r"/[0-9]+(?=/|$)", "/*", pointer)


def _concrete(pattern: str, document: JsonValue) -> str | None:
    """The first pointer of ``document`` that the ``/*`` pattern names."""
    tokens = [t for t in pattern.split("/")[1:]] if pattern else []
    here = ""
    node = document
    for token in tokens:
        if token == "*":
            if not isinstance(node, list) or not node:
                return None
            here, node = f"{here}/0", node[0]
            continue
        name = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or name not in node:
            return None
        here, node = f"{here}/{token}", node[name]
    return here


def _deleted(document: JsonValue, pointer: str) -> JsonValue:
    result = copy.deepcopy(document)
    *path, last = [
        t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")
    ]
    node = result
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    if isinstance(node, dict):
        node.pop(last, None)
    return result


class _Evidence:
    """Documents the old version accepts, tried against the new one."""

    def __init__(
        self, registry: Registry, old: StandardVersion, new: StandardVersion
    ) -> None:
        self.old = json_validator(registry, old)
        self.new = json_validator(registry, new)
        examples = []
        for example in old.examples:
            if example.valid and example.path.suffix == ".json":
                examples.append(json.loads(example.path.read_text(encoding="utf-8")))
        try:
            generated = fixed_examples(valid_json(registry, old), DOCUMENTS, SEED)
        except (ConformanceError, ValueError):
            generated = []
        self.documents: list[JsonValue] = [*examples, *generated]
        self._edges: list[JsonValue] | None = None

    def edges(self) -> list[JsonValue]:
        if self._edges is None:
            self._edges = [
                e.document
                for d in self.documents[:3]
                for e in json_edges(d)
                if not isinstance(e.document, bytes)
            ]
        return self._edges

    def refused(self, candidate: _Candidate) -> JsonValue | None:
        """A document the old version accepts and the new refuses for this change."""
        for document in self._made(candidate):
            if self._shows(candidate, document):
                return document
        for document in [*self.documents, *self.edges()]:
            if self._shows(candidate, document):
                return document
        return None

    def _made(self, candidate: _Candidate) -> Iterator[JsonValue]:
        for document in self.documents:
            for pattern, value, delete in candidate.tries:
                where = _concrete(pattern, document)
                if where is None:
                    if delete or pattern.rsplit("/", 1)[0] == "":
                        continue
                    continue
                yield (
                    _deleted(document, where)
                    if delete
                    else replaced(document, where, value)
                )
        if candidate.rule in ("pattern", "format", *_NUMBERS, *_UPPER):
            # The values the old schema admits at the place, each in turn.
            values = []
            for document in self.documents:
                where = _concrete(candidate.at, document)
                if where is not None:
                    values.append(value_at(document, where)[1])
            base = self.documents[0] if self.documents else None
            where = _concrete(candidate.at, base) if base is not None else None
            if base is not None and where is not None:
                for value in values:
                    yield replaced(base, where, value)

    def _shows(self, candidate: _Candidate, document: JsonValue) -> bool:
        return self.showing(candidate, document) is not None

    def showing(self, candidate: _Candidate, document: JsonValue) -> Finding | None:
        """The new version's finding that shows the change on this document."""
        if not self.old.native.is_valid(document) or self.new.native.is_valid(document):
            return None
        rules = (
            {candidate.rule, "const"} if candidate.rule == "enum" else {candidate.rule}
        )
        for finding in self.new.findings(document):
            if finding.rule in rules and _wild(finding.pointer or "") == candidate.at:
                return finding
        return None


def _schema_changes(
    registry: Registry, old: StandardVersion, new: StandardVersion
) -> list[Change]:
    if old.json is None or new.json is None:
        return []
    loader = json_validator(registry, new).loader
    before = _flatten(loader, registry.uri_for(old.json.path))
    after = _flatten(loader, registry.uri_for(new.json.path))
    candidates = _schema_candidates(before, after)
    evidence = _Evidence(registry, old, new) if candidates else None
    changes = []
    for candidate in candidates:
        found = evidence.refused(candidate) if evidence and candidate.rule else None
        changes.append(
            Change(
                candidate.kind,
                candidate.where,
                candidate.detail,
                breaking=found is not None,
                evidence=_evidence_text(old, new, evidence, candidate, found),
            )
        )
    return changes


def _evidence_text(
    old: StandardVersion,
    new: StandardVersion,
    evidence: _Evidence | None,
    candidate: _Candidate,
    document: JsonValue | None,
) -> str | None:
    if evidence is None or document is None:
        return None
    finding = evidence.showing(candidate, document)
    why = f"{finding.rule} at {finding.pointer or '/'}" if finding else candidate.rule
    return f"{old.ref} accepts and {new.ref} refuses ({why}): {_shown(document)}"


# -- rules and code lists -------------------------------------------------------


def _rule_changes(
    registry: Registry, old: StandardVersion, new: StandardVersion
) -> list[Change]:
    before, after = rule_set(registry, old), rule_set(registry, new)
    a = {x.id: x for x in before.schematron.assertions} if before else {}
    b = {x.id: x for x in after.schematron.assertions} if after else {}
    changes: list[Change] = []
    validator = json_validator(registry, old) if old.json is not None else None
    for ident in sorted(set(b) - set(a)):
        level = new.requirement(b[ident].requirement).level
        found = (
            _rule_refuses(registry, after, new, ident, validator)
            if after is not None and level is Level.MUST
            else None
        )
        changes.append(
            Change(
                "rule-added",
                ident,
                f"{level.value} {b[ident].requirement}:"
                f" {new.requirement(b[ident].requirement).text}",
                breaking=found is not None,
                evidence=(
                    f"{old.ref} accepts and the rule refuses: {_shown(found)}"
                    if found is not None
                    else None
                ),
            )
        )
    for ident in sorted(set(a) - set(b)):
        changes.append(
            Change("rule-removed", ident, "the rule is no longer checked", False)
        )
    for ident in sorted(set(a) & set(b)):
        was = old.requirement(a[ident].requirement).level
        now = new.requirement(b[ident].requirement).level
        if was is not now:
            raised = now is Level.MUST
            found = (
                _rule_refuses(registry, after, new, ident, validator)
                if raised and after is not None
                else None
            )
            changes.append(
                Change(
                    "rule-level-raised" if raised else "rule-level-lowered",
                    ident,
                    f"{was.value} → {now.value}",
                    breaking=found is not None,
                    evidence=(
                        f"{old.ref} accepts and the rule refuses: {_shown(found)}"
                        if found is not None
                        else None
                    ),
                )
            )
    changes.extend(_code_list_changes(before, after, new))
    return changes


def _rule_refuses(
    registry: Registry,
    rules: RuleSet,
    standard: StandardVersion,
    ident: str,
    validator: JsonValidator | None,
) -> JsonValue | None:
    """An invalid example of the rule (or a generated break) the old schema accepts."""
    for example in standard.examples:
        if example.valid or example.rule != ident or example.path.suffix != ".json":
            continue
        document: JsonValue = json.loads(example.path.read_text(encoding="utf-8"))
        if validator is not None and not validator.native.is_valid(document):
            continue
        if any(f.rule == ident for f in check_json_rules(registry, rules, document)):
            return document
    return None


def _code_list_changes(
    before: RuleSet | None, after: RuleSet | None, new: StandardVersion
) -> list[Change]:
    if before is None or after is None:
        return []
    old_lists = {c.id: c for c in before.code_lists}
    changes = []
    for current in after.code_lists:
        previous = old_lists.get(current.id)
        if previous is None or previous.version == current.version:
            continue
        removed = [c for c in previous.values if c not in current.values]
        added = [c for c in current.values if c not in previous.values]
        must = _list_is_must(after, current, new)
        for code in removed:
            changes.append(
                Change(
                    "code-list-entry-removed",
                    f"{previous.ref} → {current.ref}",
                    f"the code {code!r} is no longer in the list",
                    breaking=must,
                    evidence=(
                        f"a document with the code {code!r}, which {previous.ref}"
                        f" lists, is refused by a MUST rule on {current.ref}"
                        if must
                        else None
                    ),
                )
            )
        for code in added:
            changes.append(
                Change(
                    "code-list-entry-added",
                    f"{previous.ref} → {current.ref}",
                    f"the code {code!r} is added",
                    False,
                )
            )
    return changes


def _list_is_must(
    rules: RuleSet, code_list: CodeList, standard: StandardVersion
) -> bool:
    return any(
        standard.requirement(a.requirement).level is Level.MUST
        for a in rules.schematron.assertions
        if code_list in rules.lists_used(a)
    )


# -- interfaces ----------------------------------------------------------------


def _operations(registry: Registry, standard: StandardVersion) -> dict[str, Operation]:
    if standard.interface is None:
        return {}
    return {
        f"{o.method.upper()} {o.template}": o
        for o in interface_for(registry, standard).operations
    }


def _interface_changes(
    registry: Registry, old: StandardVersion, new: StandardVersion
) -> list[Change]:
    before, after = _operations(registry, old), _operations(registry, new)
    changes: list[Change] = []
    for key in sorted(set(before) - set(after)):
        changes.append(
            Change(
                "operation-removed",
                key,
                f"operation {before[key].id} is no longer served",
                True,
                evidence=f"the request {key} that {old.ref} documents has no operation"
                f" in {new.ref}",
            )
        )
    for key in sorted(set(after) - set(before)):
        changes.append(
            Change("operation-added", key, f"operation {after[key].id}", False)
        )
    for key in sorted(set(before) & set(after)):
        a = {(p.location, p.name): p for p in before[key].parameters}
        b = {(p.location, p.name): p for p in after[key].parameters}
        for place in sorted(set(b) - set(a)):
            required = b[place].required
            changes.append(
                Change(
                    "parameter-added",
                    f"{key} {place[0]} {place[1]}",
                    "required" if required else "optional",
                    required,
                    evidence=f"a request {key} without {place[1]}, which {old.ref}"
                    f" serves, lacks a parameter {new.ref} requires"
                    if required
                    else None,
                )
            )
        for place in sorted(set(a) - set(b)):
            changes.append(
                Change(
                    "parameter-removed",
                    f"{key} {place[0]} {place[1]}",
                    "the parameter is no longer documented",
                    True,
                    evidence=f"a request {key} with {place[1]}, which {old.ref}"
                    f" documents, uses a parameter {new.ref} does not know",
                )
            )
        for place in sorted(set(a) & set(b)):
            if b[place].required and not a[place].required:
                changes.append(
                    Change(
                        "parameter-made-required",
                        f"{key} {place[0]} {place[1]}",
                        "the parameter is now required",
                        True,
                        evidence=f"a request {key} without {place[1]} is valid for"
                        f" {old.ref} and not for {new.ref}",
                    )
                )
        statuses_a, statuses_b = set(before[key].responses), set(after[key].responses)
        for status in sorted(statuses_b - statuses_a):
            changes.append(
                Change("status-added", key, f"response {status} is documented", False)
            )
        for status in sorted(statuses_a - statuses_b):
            changes.append(
                Change(
                    "status-removed",
                    key,
                    f"response {status} is no longer documented",
                    False,
                )
            )
    return changes


def diff(registry: Registry, old: StandardVersion, new: StandardVersion) -> Diff:
    """Every change from ``old`` to ``new``, classified with its evidence."""
    changes: list[Change] = []
    if old.status is not new.status:
        changes.append(
            Change(
                "status-changed",
                "status",
                f"{old.status.value} → {new.status.value}",
                False,
            )
        )
    changes += _schema_changes(registry, old, new)
    changes += _rule_changes(registry, old, new)
    changes += _interface_changes(registry, old, new)
    return Diff(old, new, tuple(changes))


def previous_version(
    registry: Registry, standard: StandardVersion
) -> StandardVersion | None:
    """The version a minor or patch must stay compatible with: the latest
    earlier one of the same major (``None`` for the first of a major)."""
    earlier = [
        s
        for s in registry.versions(standard.id)
        if s.version < standard.version and s.version.major == standard.version.major
    ]
    return earlier[-1] if earlier else None


def breaking_findings(diff_: Diff) -> list[Finding]:
    """The findings ``standards check`` reports for a minor's breaking changes."""
    return [
        Finding(
            message=f"{diff_.new.ref} is a minor version of {diff_.old.ref} but"
            f" {c.kind} at {c.where} ({c.detail}) breaks it: {c.evidence}; make"
            " the change in a new major version, or undo it",
            rule="minor-breaking-change",
            standard=diff_.new.ref,
            severity=Severity.ERROR,
        )
        for c in diff_.breaking
    ]


# -- text and Markdown ---------------------------------------------------------


def render_text(diff_: Diff) -> str:
    """The changes as plain text, one block per change."""
    lines = [
        f"{diff_.old.ref} → {diff_.new.ref}: {len(diff_.changes)} changes,"
        f" {len(diff_.breaking)} breaking"
    ]
    for change in diff_.changes:
        mark = "BREAKING  " if change.breaking else "compatible"
        lines.append(f"{mark}  {change.kind}  {change.where}: {change.detail}")
        if change.evidence:
            lines.append(f"            evidence: {change.evidence}")
    if diff_.is_minor and diff_.breaking:
        lines.append(
            f"{diff_.new.ref} is a minor version of {diff_.old.ref}: a breaking change"
            " needs a new major version"
        )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", " ")
        .replace("`", "\\`")
    )


def render_markdown(diff_: Diff) -> str:
    """The changes as a Markdown table, for a pull request or an approval note."""
    lines = [
        f"## Changes from {diff_.old.ref} to {diff_.new.ref}",
        "",
        f"{len(diff_.changes)} changes, **{len(diff_.breaking)} breaking**.",
        "",
        "| | change | where | what | evidence |",
        "|---|---|---|---|---|",
    ]
    for change in diff_.changes:
        mark = "**breaking**" if change.breaking else "compatible"
        lines.append(
            f"| {mark} | {change.kind} | {_md(change.where)} | {_md(change.detail)} |"
            f" {_md(change.evidence or '')} |"
        )
    return "\n".join(lines) + "\n"
