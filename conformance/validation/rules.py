"""A standard's business rules, run on XML and, through the binding, on JSON.

One rule set serves both bindings (docs/rules.md). An XML document is
checked as it is, and a finding is located by the XPath of local names of
the element the rule fired on, with its line. A JSON document is first
written as XML by the standard's own JSON → XML binding
(:func:`conformance.validation.bindings.json_to_xml`; a standard without
an XSD gets the plain mapping below), and each finding is mapped back to the
JSON Pointer of the member the element stands for, with its line and column
in the JSON text.

A document the binding cannot write as XML (it already breaks the schema in
a way XML cannot carry) is not checked against the rules: its schema
findings say what to fix first.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from elementpath.aliases import VariableValueType
from lxml import etree

from conformance.errors import RegistryError, SchemaError
from conformance.inputs.json_input import parse_json
from conformance.inputs.json_locate import Locator, escape_pointer_token
from conformance.inputs.xml_input import PathNamer, parse_xml
from conformance.model import Finding, JsonValue, Level, Severity
from conformance.registry.codelists import CodeList, find_code_list
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.validation.bindings import BindingError, json_to_xml, xsd_model
from conformance.validation.schematron import (
    Assertion,
    Schematron,
    Violation,
    compile_schematron,
)

PLAIN_ROOT = "document"
"""The root element of a JSON document whose standard has no XSD."""
PLAIN_ITEM = "item"
"""The element of each entry of an array inside an array, in the plain mapping."""
_MAX_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A standard version's compiled rules and the code lists bound to them."""

    standard: StandardVersion
    schematron: Schematron
    code_lists: tuple[CodeList, ...]

    def variables(self) -> dict[str, VariableValueType]:
        """``$<list id>``: each code list's codes, as an XPath sequence of strings."""
        # A tuple of strings is an XPath sequence of xs:string.
        return {c.id: c.values for c in self.code_lists}

    def lists_used(self, assertion: Assertion) -> tuple[CodeList, ...]:
        """The code lists an assertion's test names."""
        return tuple(c for c in self.code_lists if f"${c.id}" in assertion.test)


def rule_set(registry: Registry, standard: StandardVersion) -> RuleSet | None:
    """The compiled rules of ``standard`` (``None`` without rules), once per registry.

    A :class:`SchemaError` names a broken rules file, an unknown code list or
    an assertion whose requirement the manifest lacks.
    """
    rules = standard.rules
    if rules is None:
        return None

    def build() -> RuleSet:
        lists = []
        for ref in standard.codelists:
            try:
                lists.append(find_code_list(registry.roots, ref))
            except RegistryError as exc:
                raise SchemaError(f"{standard.manifest_path}: {exc}") from None
        schematron = compile_schematron(rules, [c.id for c in lists])
        known = {r.id for r in standard.requirements}
        for assertion in schematron.assertions:
            if assertion.requirement not in known:
                raise SchemaError(
                    f"{rules}: line {assertion.line}: {assertion.id} names the"
                    f" requirement {assertion.requirement!r}, which"
                    f" {standard.manifest_path} does not list; add it to"
                    " [[requirements]] or name one that is there"
                )
        return RuleSet(standard, schematron, tuple(lists))

    return registry.cached(("rules", standard.ref), build)


def _finding(
    rules: RuleSet,
    violation: Violation,
    *,
    xpath: str | None = None,
    pointer: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> Finding:
    assertion = violation.assertion
    standard = rules.standard
    level = standard.requirement(assertion.requirement).level
    lists = rules.lists_used(assertion)
    where = f"{standard.rules.name if standard.rules else 'rules'}#{assertion.id}"
    if lists:
        where += " (code list " + ", ".join(c.ref for c in lists) + ")"
    return Finding(
        message=f"{violation.message} [{level.value} {assertion.requirement}]",
        rule=assertion.id,
        pointer=pointer,
        xpath=xpath,
        line=line,
        column=column,
        schema_location=where,
        requirement=assertion.requirement,
        standard=standard.ref,
        severity=Severity.ERROR if level is Level.MUST else Severity.WARNING,
    )


def check_xml_rules(
    rules: RuleSet, document: etree._Element | etree._ElementTree[etree._Element]
) -> list[Finding]:
    """The rule findings of one XML document, by XPath and line."""
    namer = PathNamer()
    return [
        _finding(rules, v, xpath=namer.path(v.element), line=v.element.sourceline)
        for v in rules.schematron.check(document, rules.variables())
    ]


def json_as_xml(
    registry: Registry, standard: StandardVersion, value: JsonValue
) -> tuple[etree._Element, dict[etree._Element, str]]:
    """The XML the rules see for a JSON value, and each element's JSON Pointer.

    Through the standard's binding when it has an XSD; otherwise a plain
    mapping: an object member is an element of its name, each entry of an
    array member an element of the member's name, an array inside an array
    ``item`` elements, a scalar the element's text (``true``, ``1.5``). A
    :class:`BindingError` says what the XML binding cannot carry.
    """
    if standard.xml is not None and standard.xml.root is not None:
        model = xsd_model(registry, standard)
        data = json_to_xml(value, model, standard.xml.root)
        root = etree.fromstring(data)
        pointers: dict[etree._Element, str] = {}
        _map_binding(root, value, "", pointers)
        return root, pointers
    root = etree.Element(PLAIN_ROOT)
    plain: dict[etree._Element, str] = {root: ""}
    _write_plain(root, value, "", plain)
    return root, plain


def _write_plain(
    element: etree._Element,
    value: JsonValue,
    at: str,
    pointers: dict[etree._Element, str],
) -> None:
    if isinstance(value, dict):
        for name, member in value.items():
            try:
                etree.QName(name)
            except ValueError:
                continue  # not an XML name: no rule can name it either
            here = f"{at}/{escape_pointer_token(name)}"
            items = member if isinstance(member, list) else [member]
            for index, item in enumerate(items):
                child = etree.SubElement(element, name)
                pointers[child] = (
                    f"{here}/{index}" if isinstance(member, list) else here
                )
                _write_plain(child, item, pointers[child], pointers)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            child = etree.SubElement(element, PLAIN_ITEM)
            pointers[child] = f"{at}/{index}"
            _write_plain(child, item, pointers[child], pointers)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def _map_binding(
    element: etree._Element,
    value: JsonValue,
    at: str,
    pointers: dict[etree._Element, str],
) -> None:
    """Walk the written XML beside the JSON value it came from."""
    pointers[element] = at
    children = [c for c in element if isinstance(c.tag, str)]
    if isinstance(value, list):
        # A wrapper element: its children are the array's entries.
        for index, (child, item) in enumerate(zip(children, value, strict=False)):
            _map_binding(child, item, f"{at}/{index}", pointers)
        return
    if not isinstance(value, dict):
        return
    seen: dict[str, int] = {}
    for child in children:
        name = etree.QName(child).localname
        member = value.get(name)
        here = f"{at}/{escape_pointer_token(name)}"
        same = [c for c in children if c.tag == child.tag]
        if isinstance(member, list) and not _is_wrapper(child, same, member):
            index = seen.get(name, 0)
            seen[name] = index + 1
            if index < len(member):
                _map_binding(child, member[index], f"{here}/{index}", pointers)
            continue
        _map_binding(child, member, here, pointers)


def _is_wrapper(
    child: etree._Element, same: list[etree._Element], member: list[JsonValue]
) -> bool:
    if len(same) != 1:
        return False
    inner = [c for c in child if isinstance(c.tag, str)]
    if len(inner) != len(member) or len({c.tag for c in inner}) > 1:
        return len(member) != 1
    if not inner:
        return len(member) == 0
    first = member[0]
    if isinstance(first, dict):
        # A repeated object's children are its members; a wrapper's child
        # is the item element, which is no member of the item.
        return etree.QName(inner[0]).localname not in first
    return True


def check_json_rules(
    registry: Registry,
    rules: RuleSet,
    value: JsonValue,
    text: str | None = None,
    applied: Counter[str] | None = None,
) -> list[Finding]:
    """The rule findings of one JSON value, by JSON Pointer (and line and
    column when its ``text`` is given); none when the binding cannot write it."""
    try:
        root, pointers = json_as_xml(registry, rules.standard, value)
    except BindingError:
        return []
    locator = Locator(text) if text is not None else None
    found = []
    for violation in rules.schematron.check(root, rules.variables(), applied):
        pointer = pointers.get(violation.element, "")
        place = locator.locate(pointer) if locator is not None else None
        found.append(
            _finding(
                rules,
                violation,
                pointer=pointer,
                line=place[0] if place else None,
                column=place[1] if place else None,
            )
        )
    return found


def rule_findings_for_file(
    registry: Registry, standard: StandardVersion | None, path: Path, kind: str
) -> list[Finding]:
    """The rule findings of one JSON or XML payload file (none without rules).

    Only a document that reads cleanly is checked: what stops it being read
    is already a finding of its own. Files over 16 MB are not checked
    against the rules, which hold a whole document in memory.
    """
    if standard is None or standard.rules is None or kind not in ("json", "xml"):
        return []
    rules = rule_set(registry, standard)
    if rules is None or path.stat().st_size > _MAX_BYTES:
        return []
    data = path.read_bytes()
    if kind == "xml":
        parsed = parse_xml(data)
        if not parsed.ok or parsed.tree is None:
            return []
        return check_xml_rules(rules, parsed.tree)
    read = parse_json(data)
    if not read.ok:
        return []
    return check_json_rules(registry, rules, read.value, read.text)
