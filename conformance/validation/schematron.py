"""ISO Schematron (ISO/IEC 19757-3) with XPath 2 and later, on elementpath.

The one Schematron implementation for Python that runs XPath 2 or later
(pyschematron) needs Python 3.12 and, in the versions that install on 3.11,
pins elementpath and xmlschema majors older than the ones the suite's XSD 1.1
validation needs. So the suite implements the part of ISO Schematron its
rules use here, and leaves the XPath (the hard part) to elementpath, which it
already uses: ``queryBinding`` ``xpath2``, ``xpath3`` or ``xpath31``;
``ns``; ``let`` on the schema, a pattern or a rule; ``pattern``; ``rule``
with ``context``; ``assert`` and ``report`` with ``id`` and a message holding
``value-of`` and ``name``. Within a pattern, a node is the context of the
first rule whose context selects it, as the standard says. Phases, abstract
rules and patterns, ``extends`` and ``include`` are refused with a message,
never silently skipped: a rule that is not run must not look like a pass.

Each assertion names the requirement it tests in the attribute
``conf:requirement`` (``xmlns:conf="urn:az:gov:conformance"``); the level
comes from that requirement in the manifest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import elementpath
from elementpath import XPathContext
from elementpath.aliases import VariableValueType
from elementpath.xpath3 import XPath3Parser
from elementpath.xpath_nodes import XPathNode
from elementpath.xpath_tokens import XPathToken
from lxml import etree

from conformance.errors import SchemaError
from conformance.inputs.xml_input import safe_parser

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element, ElementTree

SCH = "http://purl.oclc.org/dsdl/schematron"
CONF = "urn:az:gov:conformance"
_BINDINGS = ("xpath2", "xpath3", "xpath31")
_REFUSED = {
    "phase": "phases are not supported: every pattern is always active",
    "include": "sch:include is not supported: keep the rules in one file",
    "extends": "abstract rules and sch:extends are not supported: write each rule",
    "diagnostics": "sch:diagnostics is not supported: put the text in the message",
}

Variables = Mapping[str, "VariableValueType"]
"""Values of ``$name`` in the rules: the code lists, as sequences of strings."""


@dataclass(frozen=True, slots=True)
class _Let:
    name: str
    source: str
    token: XPathToken


@dataclass(frozen=True, slots=True)
class Assertion:
    """One ``sch:assert`` (fails when false) or ``sch:report`` (fails when true)."""

    id: str
    requirement: str
    test: str
    is_report: bool
    line: int
    token: XPathToken = field(repr=False, compare=False)
    message: tuple[str | XPathToken, ...] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class _Rule:
    context: str
    token: XPathToken
    lets: tuple[_Let, ...]
    assertions: tuple[Assertion, ...]


@dataclass(frozen=True, slots=True)
class _Pattern:
    id: str
    lets: tuple[_Let, ...]
    rules: tuple[_Rule, ...]


@dataclass(frozen=True, slots=True)
class Violation:
    """An assertion that failed on one node."""

    assertion: Assertion
    element: etree._Element
    message: str


class Schematron:
    """A compiled Schematron schema; :meth:`check` runs it on one document."""

    def __init__(
        self,
        path: Path,
        namespaces: dict[str, str],
        lets: tuple[_Let, ...],
        patterns: tuple[_Pattern, ...],
    ) -> None:
        self.path = path
        self.namespaces = namespaces
        self._lets = lets
        self._patterns = patterns

    @property
    def assertions(self) -> tuple[Assertion, ...]:
        """Every assertion, in document order."""
        return tuple(a for p in self._patterns for r in p.rules for a in r.assertions)

    def check(
        self,
        document: etree._Element | etree._ElementTree[etree._Element],
        variables: Variables,
        applied: Counter[str] | None = None,
    ) -> list[Violation]:
        """Every failed assertion on the document, in pattern and document order.

        ``applied``, when given, counts for each assertion id the nodes it
        was evaluated on (held or not). A dynamic XPath error
        (``xs:date("31.12.2020")``) fails the assertion with the error as
        its message: a rule that cannot be evaluated on a document has not
        been satisfied by it.
        """
        root = (
            document.getroot() if isinstance(document, etree._ElementTree) else document
        )
        # lxml trees are among the roots elementpath reads; its stubs name
        # only ElementTree's, so the tree is passed as the protocol it meets.
        tree = cast("ElementTree[Element[str] | None]", etree.ElementTree(root))
        context = XPathContext(tree, variables=dict(variables))
        violations: list[Violation] = []
        self._bind(self._lets, context)
        for pattern in self._patterns:
            self._bind(pattern.lets, context)
            fired: set[int] = set()
            for rule in pattern.rules:
                for node in self._select(rule.token, context):
                    if id(node) in fired:
                        continue
                    fired.add(id(node))
                    violations.extend(self._run_rule(rule, node, context))
                    if applied is not None:
                        applied.update(a.id for a in rule.assertions)
        return violations

    def _select(self, token: XPathToken, context: XPathContext) -> list[XPathNode]:
        _focus(context, context.root)
        # Keep the node objects: their identity is one per node of the tree.
        return [n for n in token.select(context) if isinstance(n, XPathNode)]

    @staticmethod
    def _bind(lets: tuple[_Let, ...], context: XPathContext) -> None:
        for let in lets:
            _focus(context, context.root)
            context.variables[let.name] = let.token.evaluate(context)

    def _run_rule(
        self, rule: _Rule, node: XPathNode, context: XPathContext
    ) -> Iterator[Violation]:
        element = _element_of(node)
        for let in rule.lets:
            context.item, context.position, context.size = node, 1, 1
            context.variables[let.name] = let.token.evaluate(context)
        for assertion in rule.assertions:
            context.item, context.position, context.size = node, 1, 1
            try:
                holds = assertion.token.boolean_value(assertion.token.evaluate(context))
            except elementpath.ElementPathError as exc:
                yield Violation(
                    assertion, element, f"the rule cannot be evaluated here: {exc}"
                )
                continue
            if holds == assertion.is_report:
                yield Violation(
                    assertion, element, self._message(assertion, node, context)
                )

    @staticmethod
    def _message(assertion: Assertion, node: XPathNode, context: XPathContext) -> str:
        parts = []
        for part in assertion.message:
            if isinstance(part, str):
                parts.append(part)
                continue
            context.item, context.position, context.size = node, 1, 1
            try:
                value = part.evaluate(context)
            except elementpath.ElementPathError as exc:
                value = f"(cannot evaluate: {exc})"
            parts.append(_as_text(value))
        return " ".join("".join(parts).split())


def _focus(context: XPathContext, node: XPathNode | None) -> None:
    """Make ``node`` the context item, alone in its sequence."""
    if node is not None:
        context.item = node
    context.position, context.size = 1, 1


def _as_text(value: object) -> str:
    if isinstance(value, list):
        return " ".join(_as_text(v) for v in value)
    if isinstance(value, XPathNode):
        return str(value.string_value)
    if isinstance(value, etree._Element):
        return "".join(value.itertext())
    return "" if value is None else str(value)


def _element_of(node: XPathNode) -> etree._Element:
    """The element a finding is located at: the node, or its parent element."""
    current: XPathNode | None = node
    while current is not None:
        value = current.value
        if isinstance(value, etree._Element):
            return value
        current = current.parent
    raise SchemaError("a rule context selected a node outside any element")


def compile_schematron(path: Path, variables: Sequence[str] = ()) -> Schematron:
    """Read and compile a Schematron file; a :class:`SchemaError` names the problem.

    ``variables`` are the names bound from outside (the code lists), so a
    reference to an unknown ``$name`` is an error here, not on a document.
    """
    try:
        tree = etree.parse(str(path), safe_parser(remove_comments=True))
    except (OSError, etree.XMLSyntaxError) as exc:
        raise SchemaError(f"{path}: cannot read the Schematron rules: {exc}") from None
    root = tree.getroot()
    if root.tag != f"{{{SCH}}}schema":
        raise SchemaError(
            f"{path}: line {root.sourceline}: the root must be sch:schema in the"
            f" ISO Schematron namespace {SCH}"
        )
    binding = root.get("queryBinding", "xslt").lower()
    if binding not in _BINDINGS:
        raise SchemaError(
            f"{path}: queryBinding {binding!r} is not supported: write"
            f' queryBinding="xpath31" (XPath 2, 3 and 3.1 are supported, XSLT 1 is not)'
        )
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = etree.QName(element).localname
        if element.tag == f"{{{SCH}}}{local}" and local in _REFUSED:
            raise SchemaError(f"{path}: line {element.sourceline}: {_REFUSED[local]}")
        if element.get("abstract") == "true" or element.get("is-a"):
            raise SchemaError(
                f"{path}: line {element.sourceline}: {_REFUSED['extends']}"
            )
    namespaces = {
        ns.get("prefix", ""): ns.get("uri", "") for ns in root.iterfind(f"{{{SCH}}}ns")
    }
    compiler = _Compiler(path, namespaces, set(variables))
    lets = compiler.lets(root)
    patterns = []
    ids: set[str] = set()
    for pattern in root.iterfind(f"{{{SCH}}}pattern"):
        pattern_lets = compiler.lets(pattern)
        rules = []
        for rule in pattern.iterfind(f"{{{SCH}}}rule"):
            context = rule.get("context")
            if not context:
                raise SchemaError(
                    f"{path}: line {rule.sourceline}: sch:rule needs a context"
                )
            rule_lets = compiler.lets(rule)
            assertions = []
            for test in rule:
                if test.tag not in (f"{{{SCH}}}assert", f"{{{SCH}}}report"):
                    continue
                assertion = compiler.assertion(test)
                if assertion.id in ids:
                    raise SchemaError(
                        f"{path}: line {test.sourceline}: the id {assertion.id!r} is"
                        " used twice; each assertion has an id of its own"
                    )
                ids.add(assertion.id)
                assertions.append(assertion)
            compiler.pop(len(rule_lets))
            token = compiler.xpath(
                context if context.startswith("/") else f"//({context})",
                rule,
                "context",
            )
            rules.append(_Rule(context, token, rule_lets, tuple(assertions)))
        compiler.pop(len(pattern_lets))
        patterns.append(_Pattern(pattern.get("id", ""), pattern_lets, tuple(rules)))
    return Schematron(path, namespaces, lets, tuple(patterns))


class _Compiler:
    def __init__(self, path: Path, namespaces: dict[str, str], names: set[str]) -> None:
        self.path = path
        self.parser = XPath3Parser(namespaces=namespaces)
        self.names = list(names)

    def xpath(self, source: str, element: etree._Element, what: str) -> XPathToken:
        self.parser.variable_types = {name: "item()*" for name in self.names}
        try:
            return self.parser.parse(source)
        except elementpath.ElementPathError as exc:
            raise SchemaError(
                f"{self.path}: line {element.sourceline}: the {what} {source!r} is not"
                f" valid XPath 3.1: {exc}"
            ) from None

    def lets(self, parent: etree._Element) -> tuple[_Let, ...]:
        found = []
        for let in parent.iterfind(f"{{{SCH}}}let"):
            name, value = let.get("name"), let.get("value")
            if not name or value is None:
                raise SchemaError(
                    f"{self.path}: line {let.sourceline}: sch:let needs a name"
                    " and a value"
                )
            found.append(_Let(name, value, self.xpath(value, let, "let value")))
            self.names.append(name)
        return tuple(found)

    def pop(self, count: int) -> None:
        if count:
            del self.names[-count:]

    def assertion(self, element: etree._Element) -> Assertion:
        kind = etree.QName(element).localname
        where = f"{self.path}: line {element.sourceline}: sch:{kind}"
        test, ident = element.get("test"), element.get("id")
        requirement = element.get(f"{{{CONF}}}requirement")
        if not test or not ident or not requirement:
            raise SchemaError(
                f"{where} needs a test, an id and conf:requirement (the requirement"
                f' it tests, xmlns:conf="{CONF}")'
            )
        message: list[str | XPathToken] = [element.text or ""]
        for child in element:
            if child.tag == f"{{{SCH}}}value-of":
                select = child.get("select")
                if not select:
                    raise SchemaError(f"{where}: sch:value-of needs select")
                message.append(self.xpath(select, child, "value-of"))
            elif child.tag == f"{{{SCH}}}name":
                message.append(
                    self.xpath(f"name({child.get('path', '.')})", child, "name")
                )
            message.append(child.tail or "")
        return Assertion(
            id=ident,
            requirement=requirement,
            test=test,
            is_report=kind == "report",
            line=element.sourceline or 0,
            token=self.xpath(test, element, "test"),
            message=tuple(message),
        )
