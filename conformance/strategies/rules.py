"""Generation that knows a standard's business rules (docs/rules.md).

``valid_json_with_rules`` yields documents the JSON Schema *and* every rule
accept: a generated document whose rules fail is repaired, value by value,
with what the standard's valid examples hold at the failing place (or, for
a rule on a code list, a code of the list), then checked again; what no
repair fixes is filtered out. ``breaking_one_rule`` yields documents valid
against the schema that break exactly one rule, labelled with it: generated
documents that happen to, and generated documents given the value an
invalid example of that rule holds at its location.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.model import Finding, JsonValue
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.strategies import valid_json
from conformance.strategies.common import UnsupportedSchema
from conformance.validation.json_validation import json_validator
from conformance.validation.rules import RuleSet, check_json_rules, rule_set

_REPAIRS = 8


@dataclass(frozen=True, slots=True)
class RuleBreak:
    """A document that breaks exactly one rule, and where."""

    document: JsonValue
    rule: str
    pointer: str


def _rules(registry: Registry, standard: StandardVersion) -> RuleSet:
    rules = rule_set(registry, standard)
    if rules is None:
        raise UnsupportedSchema(f"{standard.ref} has no business rules")
    return rules


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def value_at(document: JsonValue, pointer: str) -> tuple[bool, JsonValue]:
    """``(found, value)`` at a JSON Pointer."""
    node = document
    for token in _tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def replaced(document: JsonValue, pointer: str, value: JsonValue) -> JsonValue:
    """A copy of ``document`` with ``value`` at ``pointer`` (which exists)."""
    if not pointer:
        return copy.deepcopy(value)
    result = copy.deepcopy(document)
    *path, last = _tokens(pointer)
    node = result
    for token in path:
        node = node[int(token)] if isinstance(node, list) else node[token]  # type: ignore[index]
    if isinstance(node, list):
        node[int(last)] = copy.deepcopy(value)
    elif isinstance(node, dict):
        node[last] = copy.deepcopy(value)
    return result


def _ancestor(pointer: str, up: int) -> str:
    """The pointer ``up`` members above ``pointer`` (the document at the top)."""
    tokens = pointer.split("/")[1:] if pointer else []
    kept = tokens[: max(len(tokens) - up, 0)]
    return "".join("/" + t for t in kept)


def _examples(
    standard: StandardVersion, valid: bool
) -> list[tuple[JsonValue, str | None, str | None]]:
    found = []
    for example in standard.examples:
        if example.valid is valid and example.path.suffix == ".json":
            try:
                value = json.loads(example.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            found.append((value, example.rule, example.location))
    return found


def _candidates(
    rules: RuleSet, standard: StandardVersion, finding: Finding
) -> list[JsonValue]:
    """Values that may mend the place a finding names."""
    where = finding.pointer or ""
    values: list[JsonValue] = []
    for document, _, _ in _examples(standard, True):
        found, value = value_at(document, where)
        if found and value not in values:
            values.append(value)
    for code_list in rules.code_lists:
        if finding.schema_location and code_list.ref in finding.schema_location:
            values.extend(code_list.values)
    return values


def valid_json_with_rules(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[JsonValue]:
    """Documents that the JSON Schema and every business rule accept."""
    rules = _rules(registry, standard)
    validator = json_validator(registry, standard)

    def findings(document: JsonValue) -> list[Finding]:
        return check_json_rules(registry, rules, document)

    @st.composite
    def repaired(
        draw: Callable[[st.SearchStrategy[JsonValue]], JsonValue],
    ) -> JsonValue:
        document = draw(valid_json(registry, standard))
        tries: dict[tuple[str, str], int] = {}
        for _ in range(_REPAIRS):
            found = findings(document)
            if not found:
                return document
            finding = found[0]
            key = (finding.rule, finding.pointer or "")
            tries[key] = tries.get(key, 0) + 1
            # A rule relates values: when mending the place it names is not
            # enough, mend the member holding it, then the one above.
            where = _ancestor(finding.pointer or "", tries[key] - 1)
            options = _candidates(
                rules, standard, dataclasses.replace(finding, pointer=where)
            )
            if not options:
                break
            candidate = replaced(document, where, draw(st.sampled_from(options)))
            if validator.native.is_valid(candidate):
                document = candidate
        return document

    return registry.cached(
        ("valid-json-rules", standard.ref),
        lambda: repaired().filter(lambda d: not findings(d)),
    )


def _present(value: RuleBreak | None) -> RuleBreak:
    if value is None:  # filtered out before
        raise ValueError("a filtered value reached map")
    return value


def breaking_one_rule(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[RuleBreak]:
    """Schema-valid documents that break exactly one business rule, labelled."""
    rules = _rules(registry, standard)
    validator = json_validator(registry, standard)
    breaks = [
        (rule, location, value_at(document, location)[1])
        for document, rule, location in _examples(standard, False)
        if rule is not None
        and location is not None
        and value_at(document, location)[0]
        and rule in {a.id for a in rules.schematron.assertions}
    ]

    def labelled(document: JsonValue) -> RuleBreak | None:
        found = check_json_rules(registry, rules, document)
        if len(found) != 1:
            return None
        return RuleBreak(document, found[0].rule, found[0].pointer or "")

    @st.composite
    def broken(
        draw: st.DrawFn,
    ) -> RuleBreak | None:
        document = draw(valid_json_with_rules(registry, standard))
        given = draw(st.booleans()) if breaks else False
        if given:
            _, location, value = draw(st.sampled_from(breaks))
            if value_at(document, location)[0]:
                document = replaced(document, location, value)
        if not validator.native.is_valid(document):
            return None
        return labelled(document)

    def build() -> st.SearchStrategy[RuleBreak]:
        return broken().filter(lambda b: b is not None).map(_present)

    return registry.cached(("breaking-one-rule", standard.ref), build)


def _xml_binding(
    registry: Registry, standard: StandardVersion
) -> Callable[[JsonValue], bytes | None]:
    """The document's XML form through the standard's own binding, or ``None``
    where the binding cannot carry it or the XSD refuses it (the bindings'
    known differences, errata.toml)."""
    if standard.xml is None or standard.xml.root is None:
        raise UnsupportedSchema(f"{standard.ref} has no XML binding with a root")
    # Imported here: the XSD model costs ~130 ms, and JSON generation never
    # needs it.
    from conformance.validation.bindings import BindingError, json_to_xml, xsd_model
    from conformance.validation.xml_validation import validate_xml, xml_validator

    model = xsd_model(registry, standard)
    schema = xml_validator(registry, standard)
    root = standard.xml.root

    def written(document: JsonValue) -> bytes | None:
        try:
            data = json_to_xml(document, model, root)
        except BindingError:
            return None
        return None if validate_xml(data, schema) else data

    return written


def valid_xml_with_rules(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[bytes]:
    """XML documents that the XSD and every business rule accept.

    The rules judge a JSON document through the standard's JSON → XML
    binding, so a document :func:`valid_json_with_rules` yields, written
    through that binding, keeps them in XML too; what the XSD refuses (a
    value only the JSON binding takes) is left out.
    """
    written = _xml_binding(registry, standard)

    def build() -> st.SearchStrategy[bytes]:
        return (
            valid_json_with_rules(registry, standard)
            .map(written)
            .filter(lambda d: d is not None)
            .map(_bytes)
        )

    return registry.cached(("valid-xml-rules", standard.ref), build)


@dataclass(frozen=True, slots=True)
class XmlRuleBreak:
    """An XML document that breaks exactly one rule, and where (an XPath)."""

    document: bytes
    rule: str
    xpath: str


def breaking_one_rule_xml(
    registry: Registry, standard: StandardVersion
) -> st.SearchStrategy[XmlRuleBreak]:
    """XSD-valid XML documents that break exactly one business rule, labelled."""
    from lxml import etree

    from conformance.validation.rules import check_xml_rules

    rules = _rules(registry, standard)
    written = _xml_binding(registry, standard)

    def labelled(broken: RuleBreak) -> XmlRuleBreak | None:
        data = written(broken.document)
        if data is None:
            return None
        found = check_xml_rules(rules, etree.fromstring(data))
        if len(found) != 1:
            return None
        return XmlRuleBreak(data, found[0].rule, found[0].xpath or "")

    def build() -> st.SearchStrategy[XmlRuleBreak]:
        return (
            breaking_one_rule(registry, standard)
            .map(labelled)
            .filter(lambda b: b is not None)
            .map(_present_xml)
        )

    return registry.cached(("breaking-one-rule-xml", standard.ref), build)


def _bytes(value: bytes | None) -> bytes:
    if value is None:  # filtered out before
        raise ValueError("a filtered value reached map")
    return value


def _present_xml(value: XmlRuleBreak | None) -> XmlRuleBreak:
    if value is None:  # filtered out before
        raise ValueError("a filtered value reached map")
    return value


__all__ = [
    "RuleBreak",
    "XmlRuleBreak",
    "breaking_one_rule",
    "breaking_one_rule_xml",
    "replaced",
    "valid_json_with_rules",
    "valid_xml_with_rules",
    "value_at",
]
