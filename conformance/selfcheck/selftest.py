"""Standards self-tests: what generated documents reveal about a standard.

For every version: the generators are sound (what they make, the validator
accepts); where there are JSON and XML bindings, they carry the same
information (a JSON document converted to XML is valid against the XSD, an
XML document converted to JSON valid against the JSON Schema, for generated
documents and for edge values; a difference a released version cannot fix
is noted from the standard's errata); a minor
version accepts every document its predecessors of the same major accepted;
and for a new major version, the test shows an example of an earlier
document it no longer accepts. Each runs with a fixed seed and budget, so
it says the same on every run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, TypeVar, cast
from urllib.parse import urldefrag, urljoin

from hypothesis.errors import Unsatisfiable
from lxml import etree

from conformance.errors import ConformanceError
from conformance.inputs.xml_input import parse_xml
from conformance.model import (
    Evidence,
    Finding,
    JsonValue,
    Result,
    Severity,
    outcome_for,
)
from conformance.registry.manifest import StandardVersion, Status
from conformance.registry.standards import Registry
from conformance.selfcheck.edge_values import Edge, json_edges, xml_edges
from conformance.selfcheck.errata import Divergence, divergences, errata_path
from conformance.selfcheck.registry_checks import RegistryCheck
from conformance.selfcheck.rules_selftest import rules_selftest
from conformance.strategies import (
    boundary_cases,
    compiler,
    fixed_examples,
    valid_json,
)
from conformance.strategies.xml import valid_xml
from conformance.validation.bindings import (
    BindingError,
    json_to_xml,
    xml_to_json,
    xsd_model,
)
from conformance.validation.json_validation import JsonValidator, json_validator
from conformance.validation.xml_validation import validate_xml, xml_validator

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy
    from xmlschema import XMLSchemaBase

_T = TypeVar("_T")
# Whether an earlier version accepts a document, and why this one does not
# (None: it does); a JSON edge's document is JSON, an XML edge's bytes.
_Checks = tuple[
    Callable[["JsonValue | bytes"], bool], Callable[["JsonValue | bytes"], "str | None"]
]

SEED = 20261201
EXAMPLES = 40


def _examples(strategy: SearchStrategy[_T], count: int = EXAMPLES) -> list[_T]:
    """A fixed list of examples from a strategy: same seed, same list."""
    return fixed_examples(strategy, count, SEED)


def _json_examples(registry: Registry, standard: StandardVersion) -> list[JsonValue]:
    """The fixed list of valid JSON documents of a version, made once per run:
    a version's documents serve its own bindings test and the compatibility
    tests of every later version."""
    return registry.cached(
        ("selftest-json", standard.ref),
        lambda: _examples(valid_json(registry, standard)),
    )


def _xml_examples(registry: Registry, standard: StandardVersion) -> list[bytes]:
    """The fixed list of valid XML documents of a version, made once per run."""
    return registry.cached(
        ("selftest-xml", standard.ref),
        lambda: _examples(valid_xml(registry, standard), EXAMPLES // 2),
    )


def _result(
    check_id: str,
    title: str,
    *,
    standard: StandardVersion,
    registry: Registry,
    findings: list[Finding],
    started: float,
    evidence: Evidence | None = None,
) -> Result:
    return Result(
        id=check_id,
        title=title,
        outcome=outcome_for(findings),
        target=registry.relative(standard.folder),
        standard=standard.ref,
        findings=tuple(findings),
        evidence=evidence or Evidence(),
        duration=time.perf_counter() - started,
        kind="selftest",
    )


def _finding(
    message: str, *, severity: Severity = Severity.ERROR, rule: str
) -> Finding:
    return Finding(message=message, rule=rule, severity=severity)


def _shown(value: object) -> str:
    text = (
        value.decode("utf-8", "replace")
        if isinstance(value, bytes)
        else json.dumps(value, ensure_ascii=False)
    )
    return text if len(text) <= 600 else text[:600] + "…"


# -- soundness ----------------------------------------------------------------


def soundness(registry: Registry, standard: StandardVersion) -> Result:
    """Generated documents are accepted by the validator, JSON and XML."""
    started = time.perf_counter()
    findings: list[Finding] = []
    evidence = Evidence()
    if standard.json is not None:
        validator = json_validator(registry, standard)
        uri = registry.uri_for(standard.json.path)
        raw = compiler(registry).strategy(validator.loader.retrieve(uri), uri)
        made: list[JsonValue]
        try:
            made = _examples(raw)
        except Unsatisfiable:
            made = []
        accepted = [d for d in made if validator.native.is_valid(d)]
        evidence["json"] = {"generated": len(made), "accepted": len(accepted)}
        if made and not accepted:
            findings.append(
                _finding(
                    "the JSON generator made nothing the schema accepts; first:"
                    f" {_shown(made[0])}",
                    rule="generator-soundness",
                )
            )
        if not made:
            findings.append(
                _finding(
                    "the JSON generator could not make any document", rule="generator"
                )
            )
    if standard.xml is not None:
        schema = xml_validator(registry, standard)
        documents = _xml_examples(registry, standard)
        rejected = [d for d in documents if validate_xml(d, schema)]
        evidence["xml"] = {"generated": len(documents), "rejected": len(rejected)}
        if rejected:
            problems = validate_xml(rejected[0], schema)
            findings.append(
                _finding(
                    f"a generated XML document is rejected: {problems[0].message};"
                    f" the document: {_shown(rejected[0])}",
                    rule="generator-soundness",
                )
            )
    return _result(
        f"{standard.ref}::soundness",
        f"{standard.ref}: generated documents are valid",
        standard=standard,
        registry=registry,
        findings=findings,
        started=started,
        evidence=evidence,
    )


# -- binding consistency ----------------------------------------------------------


def bindings(registry: Registry, standard: StandardVersion) -> Result:
    """JSON and XML carry the same information, both ways.

    A difference that comes from a requirement only one binding states (an
    XSD 1.1 assertion JSON Schema cannot express, a JSON Schema condition
    XSD 1.0 cannot) is noted with its requirement and an example, not failed:
    the standard says that binding alone checks it. A requirement counts as
    stated by JSON Schema where a node carries its ``x-requirement``, and by
    the XSD where an ``xs:documentation`` starts with its id (``LE-8: ...``).
    An XSD identity constraint (``xs:unique``, ``xs:key``) is noted the same
    way: JSON Schema has no uniqueness by a member.

    Edge values (:mod:`.edge_values`) follow the generated documents. A
    difference the standard's errata record is noted with their reason; an
    erratum no longer observed fails, so the errata stay true.
    """
    started = time.perf_counter()
    assert standard.json is not None
    assert standard.xml is not None
    json_binding = standard.json
    model = xsd_model(registry, standard)
    schema = xml_validator(registry, standard)
    validator = json_validator(registry, standard)
    in_json = _json_requirements(validator, registry.uri_for(standard.json.path))
    in_xsd = _xsd_requirements(model)
    root = standard.xml.root or ""
    findings: list[Finding] = []
    noted: set[str] = set()

    def note(key: str, why: str, message: str) -> None:
        # Once per requirement or constraint: one example says it.
        if key not in noted:
            noted.add(key)
            findings.append(
                _finding(
                    f"{why}, so documents differ: {message}",
                    severity=Severity.WARNING,
                    rule="binding-specific",
                )
            )

    recorded = divergences(registry, standard)
    errata = registry.relative(errata_path(standard))
    # What was observed: (divergence index, accepted_by, place, edge or None).
    seen: set[tuple[int, str, str, str | None]] = set()

    def as_xml(document: JsonValue) -> tuple[str, str | None] | None:
        """Why a valid JSON document is not valid XML, and where (None: it
        is, or a requirement only one binding states explains it, noted)."""
        try:
            xml = json_to_xml(document, model, root)
        except BindingError as exc:
            return f"has no XML form: {exc}", None
        problems = validate_xml(xml, schema)
        if not problems:
            return None
        message = (
            f"is rejected by the XSD once converted: {problems[0].location}:"
            f" {problems[0].message}"
        )
        shown = f"; the document: {_shown(document)}"
        requirement, identity = _xsd_rule_of(model, xml)
        if requirement is not None and requirement not in in_json:
            why = f"{requirement} is stated by the XML binding only"
            note(requirement, why, f"a valid JSON document {message}{shown}")
            return None
        if identity is not None:
            # Uniqueness by a member (xs:unique, xs:key) has no JSON Schema
            # form at all: uniqueItems compares whole items.
            why = (
                f"the XSD identity constraint {identity} has no JSON Schema"
                " counterpart (JSON Schema cannot require items unique by a member)"
            )
            note(identity, why, f"a valid JSON document {message}{shown}")
            return None
        return message, _member_path(problems[0].xpath, xml=True)

    def as_json(xml: bytes) -> tuple[str, str | None] | None:
        """Why a valid XML document is not valid JSON, and where (None: it
        is, or noted)."""
        try:
            value = xml_to_json(xml, model)
        except BindingError as exc:
            return f"has no JSON form: {exc}", None
        if validator.native.is_valid(value):
            return None
        first = validator.findings(value)[0]
        message = (
            "is rejected by the JSON Schema once converted:"
            f" {first.location}: {first.message}"
        )
        requirement = first.requirement
        if (
            requirement is not None
            and requirement != json_binding.requirement
            and requirement not in in_xsd
            and first.rule in _RELATING
        ):
            why = f"{requirement} is stated by the JSON binding only"
            note(
                requirement,
                why,
                f"a valid XML document {message}; the document: {_shown(xml)}",
            )
            return None
        return message, _member_path(first.pointer, xml=False)

    def disagree(
        accepted_by: str, where: str | None, message: str, edge: str | None = None
    ) -> bool:
        """Report a document one binding accepts and the other refuses; True
        when the errata record it (noted, once per erratum and place)."""
        match = next(
            (
                (index, d)
                for index, d in enumerate(recorded)
                if where is not None
                and (accepted_by, where) in d.places()
                and d.covers(edge)
            ),
            None,
        )
        if match is None or where is None:
            findings.append(_finding(message, rule="binding-consistency"))
            return False
        index, divergence = match
        if not any(key[:3] == (index, accepted_by, where) for key in seen):
            findings.append(
                _finding(
                    f"known divergence at {where}, recorded in"
                    f" {errata}: {divergence.reason} For example, {message}",
                    severity=Severity.WARNING,
                    rule="known-divergence",
                )
            )
        seen.add((index, accepted_by, where, edge))
        return True

    # Boundary cases first: lengths and numbers at their bounds are where
    # two bindings written by hand most often part.
    documents = [c.document for c in boundary_cases(registry, standard) if c.valid]
    for document in documents + _json_examples(registry, standard):
        outcome = as_xml(document)
        if outcome is not None:
            problem, where = outcome
            message = (
                f"a valid JSON document {problem}; the document: {_shown(document)}"
            )
            if not disagree("json", where, message):
                break
    for xml in _xml_examples(registry, standard):
        outcome = as_json(xml)
        if outcome is not None:
            problem, where = outcome
            message = f"a valid XML document {problem}; the document: {_shown(xml)}"
            if not disagree("xml", where, message):
                break
    # Edge values next: one value at a time changed to one on which regex
    # dialects, formats and length limits of the two bindings part. Every
    # member found in the examples and generated documents is tried once.
    probed: set[tuple[str, str | None, str]] = set()
    for accepted_by, edge in _edges(registry, standard):
        place = _member_path(edge.location, xml=accepted_by == "xml")
        if (accepted_by, place, edge.name) in probed:
            continue
        probed.add((accepted_by, place, edge.name))
        changed = edge.document
        if isinstance(changed, bytes):  # accepted_by is "xml"
            if validate_xml(changed, schema):
                continue  # the XSD refuses it too
            outcome = as_json(changed)
        else:
            if not validator.native.is_valid(changed):
                continue
            outcome = as_xml(changed)
        if outcome is None:
            continue
        problem, where = outcome
        other = "JSON" if accepted_by == "xml" else "XML"
        disagree(
            accepted_by,
            where,
            f"{edge.described()} is accepted by the"
            f" {accepted_by.upper()} binding and {problem.rstrip('.')}. Make"
            f" the {other} binding accept it or the other refuse it in a next"
            f" version, and record the difference in {errata} until then",
            edge.name,
        )
    findings += _stale_errata(recorded, seen, errata, standard.ref)
    return _result(
        f"{standard.ref}::bindings",
        f"{standard.ref}: the JSON and XML bindings agree",
        standard=standard,
        registry=registry,
        findings=findings,
        started=started,
    )


def _stale_errata(
    recorded: list[Divergence],
    seen: set[tuple[int, str, str, str | None]],
    errata: str,
    ref: str,
) -> list[Finding]:
    """An erratum for each place (and each edge value it names) that the
    self-test did not observe: the errata must stay true."""
    stale = []
    for index, divergence in enumerate(recorded):
        for accepted_by, location in divergence.places():
            observed = {
                edge
                for i, a, w, edge in seen
                if (i, a, w) == (index, accepted_by, location)
            }
            missing = [e for e in divergence.edges if e not in observed]
            if observed and not missing:
                continue
            which = f" ({', '.join(missing)})" if missing else ""
            stale.append(
                _finding(
                    f"{errata} records that the {accepted_by.upper()} binding of"
                    f" {ref} accepts values at {location} the other refuses"
                    f"{which}, but the self-test no longer observes it: remove"
                    " the entry or correct its location or edge values",
                    rule="errata",
                )
            )
    return stale


def _member_path(where: str | None, *, xml: bool) -> str | None:
    """A place as errata name it: the member path without array indices.

    ``/LegalEntity/contacts/email`` (XPath) and ``/contacts/email`` (JSON
    Pointer) are both ``/contacts/email``.
    """
    if where is None:
        return None
    steps = [s for s in where.split("/") if s]
    if xml:
        steps = [re.sub(r"\[[0-9]+\]$", "", s).rpartition(":")[2] for s in steps[1:]]
    else:
        steps = [s for s in steps if not s.isdigit()]
    return "/" + "/".join(steps)


def _edges(registry: Registry, standard: StandardVersion) -> Iterator[tuple[str, Edge]]:
    """Edge values of the valid examples, then of the generated documents."""
    for example in standard.examples:
        if example.valid and example.path.suffix in (".xml", ".json"):
            path = example.path
            if not path.is_absolute():
                path = standard.folder / path
            if path.suffix == ".xml":
                yield from (("xml", e) for e in xml_edges(path.read_bytes()))
            else:
                yield from (
                    ("json", e) for e in json_edges(json.loads(path.read_bytes()))
                )
    if standard.xml is not None:
        for xml in _xml_examples(registry, standard):
            yield from (("xml", e) for e in xml_edges(xml))
    if standard.json is not None:
        for document in _json_examples(registry, standard):
            yield from (("json", e) for e in json_edges(document))


_REQUIREMENT_ID = re.compile(r"\s*([A-Z][A-Z0-9]*-[0-9]+):")
# JSON Schema keywords that relate members to one another, which XSD 1.0
# cannot (a pattern, a format, a length or an enum it can): only a
# requirement stated through one of these is the JSON binding's alone.
_RELATING = frozenset(
    {"required", "not", "oneOf", "anyOf", "if", "then", "else", "dependentRequired"}
)
_XSD = "http://www.w3.org/2001/XMLSchema"
_IDENTITY = re.compile(r"for Xsd(?:11)?(?:Unique|Key|Keyref)\(name='([^']+)'\)")


def _json_requirements(validator: JsonValidator, uri: str) -> set[str]:
    """Every ``x-requirement`` of a schema and the documents it refers to."""
    found: set[str] = set()
    pending, seen = [uri], set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        stack = [validator.loader.retrieve(current)]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                requirement = node.get("x-requirement")
                if isinstance(requirement, str):
                    found.add(requirement)
                ref = node.get("$ref")
                if isinstance(ref, str):
                    pending.append(urldefrag(urljoin(current, ref)).url)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
    return found


def _xsd_requirements(model: XMLSchemaBase) -> set[str]:
    """Requirement ids that open an ``xs:documentation`` of the XSD or its imports."""
    found: set[str] = set()
    for schema in model.maps.iter_schemas():
        for element in schema.root.iter(f"{{{_XSD}}}documentation"):
            match = _REQUIREMENT_ID.match(element.text or "")
            if match:
                found.add(match.group(1))
    return found


def _xsd_rule_of(model: XMLSchemaBase, xml: bytes) -> tuple[str | None, str | None]:
    """What first rejects ``xml``: the requirement its XSD component documents,
    and the name of the identity constraint, if it is one."""
    for error in model.iter_errors(xml):
        component = error.validator
        # xmlschema reports a broken identity constraint on the selected
        # element, naming the constraint in the reason. If its wording ever
        # changes, the difference is failed rather than noted: the safe side.
        named = _IDENTITY.search(error.reason or "")
        identity = f"'{named.group(1)}'" if named else None
        annotation = getattr(component, "annotation", None)
        for element in getattr(annotation, "documentation", None) or []:
            match = _REQUIREMENT_ID.match(element.text or "")
            if match:
                return match.group(1), identity
        return None, identity
    return None, None


# -- compatibility ------------------------------------------------------------------


def compatibility(registry: Registry, standard: StandardVersion) -> Result:
    """Minor versions accept their predecessors' documents; majors show a break."""
    started = time.perf_counter()
    findings: list[Finding] = []
    evidence = Evidence()
    earlier = [
        s
        for s in registry.versions(standard.id)
        if s.version < standard.version and s.status is not Status.DRAFT
    ]
    same_major = [s for s in earlier if s.version.major == standard.version.major]
    previous_major = [s for s in earlier if s.version.major < standard.version.major]
    if standard.json is not None:
        validator = json_validator(registry, standard)
        for older in same_major:
            if older.json is None:
                continue
            for document in _json_examples(registry, older):
                if not validator.native.is_valid(document):
                    first = validator.findings(document)[0]
                    findings.append(
                        _finding(
                            f"a document valid under {older.ref} is rejected by"
                            f" {standard.ref}, a minor version of the same major:"
                            f" {first.location}: {first.message}; the document:"
                            f" {_shown(document)}",
                            rule="minor-compatibility",
                        )
                    )
                    break
    if standard.version.minor == standard.version.patch == 0 and previous_major:
        findings += _major_break(registry, standard, previous_major[-1], evidence)
    findings.extend(_xml_compatibility(registry, standard, same_major))
    broken = {
        "xml" if f.message.startswith("an XML document") else "json"
        for f in findings
        if f.rule == "minor-compatibility"
    }
    findings.extend(_edge_compatibility(registry, standard, same_major, broken))
    return _result(
        f"{standard.ref}::compatibility",
        f"{standard.ref}: earlier documents of the same major stay valid",
        standard=standard,
        registry=registry,
        findings=findings,
        started=started,
        evidence=evidence,
    )


def _major_break(
    registry: Registry,
    standard: StandardVersion,
    older: StandardVersion,
    evidence: Evidence,
) -> list[Finding]:
    """What a major version no longer accepts of the previous major: its
    generated documents, or where it rejects none, their edge values."""
    breaking: dict[str, JsonValue] = {"from": older.ref, "tried": 0, "rejected": 0}
    evidence["breaking"] = breaking
    if standard.json is not None and older.json is not None:
        validator = json_validator(registry, standard)
        documents = _json_examples(registry, older)
        broken = [d for d in documents if not validator.native.is_valid(d)]
        breaking.update(tried=len(documents), rejected=len(broken))
        if broken:
            first = validator.findings(broken[0])[0]
            return [
                _finding(
                    f"{standard.ref} is a major version: {len(broken)} of"
                    f" {len(documents)} documents valid under {older.ref} are"
                    f" rejected, e.g. {first.location}: {first.message}; the"
                    f" document: {_shown(broken[0])}",
                    severity=Severity.WARNING,
                    rule="major-break",
                )
            ]
    rejected, finding = _edge_breaks(registry, standard, older)
    breaking["edges_rejected"] = rejected
    return [finding] if finding is not None else []


def _xml_compatibility(
    registry: Registry, standard: StandardVersion, same_major: list[StandardVersion]
) -> list[Finding]:
    if standard.xml is None:
        return []
    schema = xml_validator(registry, standard)
    for older in same_major:
        if older.xml is None:
            continue
        for document in _xml_examples(registry, older):
            problems = validate_xml(document, schema)
            if _errors(problems):
                return [
                    _finding(
                        f"an XML document valid under {older.ref} is rejected by"
                        f" {standard.ref}: {problems[0].location}:"
                        f" {problems[0].message}; the document: {_shown(document)}",
                        rule="minor-compatibility",
                    )
                ]
    return []


def _why_not(validator: JsonValidator, document: JsonValue) -> str | None:
    """None when the validator accepts the document, else its first finding."""
    if validator.native.is_valid(document):
        return None
    first = validator.findings(document)[0]
    return f"{first.location}: {first.message}"


def _json_why_not(validator: JsonValidator, document: JsonValue | bytes) -> str | None:
    return _why_not(validator, cast("JsonValue", document))  # a JSON edge's


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _edge_compatibility(
    registry: Registry,
    standard: StandardVersion,
    same_major: list[StandardVersion],
    broken: set[str],
) -> list[Finding]:
    """Edge values of earlier minors' documents this version refuses.

    Random documents seldom hold the values a tightened pattern or format
    refuses (a line separator, a longer local part); the edge values of
    the earlier versions' examples and documents do. One finding per
    format not already shown broken by random documents.
    """
    found: dict[str, Finding] = {}
    for kind, edge, older, why in _edge_refusals(registry, standard, same_major):
        if kind in broken or kind in found:
            continue
        found[kind] = _finding(
            f"{edge.described()}, valid under {older.ref} ({kind.upper()}), is"
            f" rejected by {standard.ref}, a minor version of the same major: {why}",
            rule="minor-compatibility",
        )
    return list(found.values())


_SHOWN_BREAKS = 5


def _edge_breaks(
    registry: Registry, standard: StandardVersion, older: StandardVersion
) -> tuple[int, Finding | None]:
    """Edge values of the previous major's documents a major version refuses.

    A major that only tightens values (no year 0000, a shorter local part)
    rejects none of the previous major's random documents; their edge values
    show what it no longer accepts. XML documents are moved into the new
    namespace first, or the namespace alone would reject them all.
    """
    refusals = [
        f"{edge.described()} ({kind.upper()}): {why}"
        for kind, edge, _, why in _edge_refusals(
            registry, standard, [older], move_namespace=True
        )
    ]
    if not refusals:
        return 0, None
    shown = "; ".join(refusals[:_SHOWN_BREAKS])
    more = len(refusals) - _SHOWN_BREAKS
    return len(refusals), _finding(
        f"{standard.ref} is a major version: {len(refusals)} edge values of"
        f" documents valid under {older.ref} are rejected, e.g. {shown}"
        + (f"; and {more} more" if more > 0 else ""),
        severity=Severity.WARNING,
        rule="major-break",
    )


def _edge_refusals(
    registry: Registry,
    standard: StandardVersion,
    earlier: list[StandardVersion],
    *,
    move_namespace: bool = False,
) -> Iterator[tuple[str, Edge, StandardVersion, str]]:
    """``(kind, edge, version, why)`` for each edge value of an earlier
    version's documents that version accepts and this one refuses, once per
    format, member and edge."""
    tried: set[tuple[str, str | None, str]] = set()
    for older in earlier:
        checks: dict[str, _Checks] = {}
        if older.json is not None and standard.json is not None:
            before, now = (
                json_validator(registry, older),
                json_validator(registry, standard),
            )
            checks["json"] = (before.native.is_valid, partial(_json_why_not, now))
        if older.xml is not None and standard.xml is not None:
            checks["xml"] = _xml_checks(registry, older, standard, move_namespace)
        for kind, edge in _edges(registry, older):
            if kind not in checks:
                continue
            key = (kind, _member_path(edge.location, xml=kind == "xml"), edge.name)
            if key in tried:
                continue
            tried.add(key)
            accepted_before, refused_now = checks[kind]
            if not accepted_before(edge.document):
                continue
            why = refused_now(edge.document)
            if why is not None:
                yield kind, edge, older, why


def _xml_checks(
    registry: Registry,
    older: StandardVersion,
    standard: StandardVersion,
    move_namespace: bool,
) -> _Checks:
    """Whether the earlier XSD accepts a document, and why this one does not."""
    before, now = xml_validator(registry, older), xml_validator(registry, standard)
    old_ns = xsd_model(registry, older).target_namespace
    new_ns = xsd_model(registry, standard).target_namespace
    move = move_namespace and old_ns != new_ns

    # An XML edge's document is bytes.
    def accepted(document: JsonValue | bytes) -> bool:
        return not _errors(validate_xml(cast("bytes", document), before))

    def refused(document: JsonValue | bytes) -> str | None:
        xml = cast("bytes", document)
        if move:
            xml = _moved(xml, old_ns, new_ns)
        problems = _errors(validate_xml(xml, now))
        return f"{problems[0].location}: {problems[0].message}" if problems else None

    return accepted, refused


def _moved(document: bytes, old_ns: str, new_ns: str) -> bytes:
    """The document with every element of one namespace put in another."""

    tree = parse_xml(document).tree
    assert tree is not None  # the document is valid under the earlier XSD
    for element in tree.iter():
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{old_ns}}}"):
            element.tag = f"{{{new_ns}}}{element.tag[len(old_ns) + 2 :]}"
    etree.cleanup_namespaces(tree, top_nsmap={"ns": new_ns})
    return etree.tostring(tree, encoding="UTF-8")


def selftests(
    registry: Registry, standards: list[StandardVersion] | None = None
) -> list[RegistryCheck]:
    """The self-tests of every version (or of the given ones)."""
    chosen = standards if standards is not None else list(registry)
    checks: list[RegistryCheck] = []
    kinds: list[
        tuple[
            str,
            str,
            Callable[[Registry, StandardVersion], Result],
            Callable[[StandardVersion], bool],
        ]
    ] = [
        ("soundness", "generated documents are valid", soundness, lambda s: True),
        (
            "bindings",
            "the JSON and XML bindings agree",
            bindings,
            lambda s: s.json is not None and s.xml is not None,
        ),
        (
            "compatibility",
            "compatible with earlier versions",
            compatibility,
            lambda s: True,
        ),
        (
            "rules",
            "every business rule can be satisfied",
            rules_selftest,
            lambda s: s.rules is not None and s.json is not None,
        ),
    ]
    for standard in chosen:
        for name, title, run, applies in kinds:
            if not applies(standard):
                continue
            checks.append(
                RegistryCheck(
                    f"{standard.ref}::{name}",
                    f"{standard.ref}: {title}",
                    standard.ref,
                    partial(_safely, registry, standard, run, name),
                )
            )
    return checks


def _safely(
    registry: Registry,
    standard: StandardVersion,
    run: Callable[[Registry, StandardVersion], Result],
    name: str,
) -> Result:
    started = time.perf_counter()
    try:
        return run(registry, standard)
    except (ConformanceError, ValueError) as exc:
        # A schema the generators cannot handle is a finding of this check.
        return _result(
            f"{standard.ref}::{name}",
            f"{standard.ref}: {name}",
            standard=standard,
            registry=registry,
            findings=[
                _finding(f"the self-test could not run: {exc}", rule="generator")
            ],
            started=started,
        )
