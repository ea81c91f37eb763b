"""Invalid XML documents: a valid one with exactly one rule broken, labelled.

A mutation site is a place in a generated document and one thing to break
there: a value (pattern, enumeration, a length, a bound, digits, the
datatype), an attribute (its value, a required one removed, an undeclared
one added), the content (a required element removed, an undeclared element
added, one occurrence too many), or a constraint between values (an XSD 1.1
assertion, a uniqueness constraint). Each mutated document is validated by
the suite's validator and kept only when every finding is the expected rule
at the expected place; the label is the finding itself, so it is spelled as
the validator spells it (libxml2 reports a missing element at the next
sibling, xmlschema at the parent).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from hypothesis import reject
from hypothesis import strategies as st
from xmlschema.validators import XsdAssert

from conformance.strategies._xsd_plan import AttributePlan, GroupPlan, Plan
from conformance.strategies._xsd_tree import (
    CHECK_TRIES,
    Builder,
    Node,
    location,
    pick,
    serialize,
    to_lxml,
)
from conformance.strategies._xsd_values import ValuePlan, type_label
from conformance.strategies.common import Invalid, Violation
from conformance.validation.xml_validation import validate_xml

if TYPE_CHECKING:
    from xmlschema import XMLSchemaValidationError

    from conformance.model import Finding
    from conformance.validation.xml_schemas import XsdSchema

ATTEMPTS = 6
"""Mutations tried on one valid document before the example is given up."""
CONTENT = "cvc-complex-type.2.4"
MISSING_ATTRIBUTE = "cvc-complex-type.4"
# xmlschema and libxml2 cite different clauses for an undeclared attribute;
# on an element of a simple type libxml2 cites the clause of simple types.
UNDECLARED_ATTRIBUTE = (
    "cvc-complex-type.3.2.2",
    "cvc-complex-type.3.2.1",
    "cvc-type.3.1.1",
)
_PHRASES = {
    "cvc-pattern-valid": "does not match the pattern of",
    "cvc-enumeration-valid": "is not among the enumerated values of",
    "cvc-length-valid": "does not have the length of",
    "cvc-minLength-valid": "is shorter than the minLength of",
    "cvc-maxLength-valid": "is longer than the maxLength of",
    "cvc-minInclusive-valid": "is below the minInclusive of",
    "cvc-minExclusive-valid": "is not above the minExclusive of",
    "cvc-maxInclusive-valid": "is above the maxInclusive of",
    "cvc-maxExclusive-valid": "is not below the maxExclusive of",
    "cvc-totalDigits-valid": "has more digits than the totalDigits of",
    "cvc-fractionDigits-valid": "has more fraction digits than allowed by",
}


FAMILY_WEIGHTS = {"value": 3, "content": 2, "constraint": 2, "attribute": 1}
"""How often each family of mutations is drawn, relative to the others (the
first is also where hypothesis starts and shrinks to)."""
FAMILIES = {
    "value": "value",
    "attribute-value": "value",
    "drop-attribute": "attribute",
    "undeclared-attribute": "attribute",
    "drop-element": "content",
    "undeclared-element": "content",
    "extra-element": "content",
    "constraint": "constraint",
}
"""Mutation kinds by family: a family is drawn first, then a kind in it."""


@dataclass(frozen=True)
class Site:
    """One planned mutation: what kind, at which node, breaking which rule."""

    kind: str
    path: tuple[int, ...]
    rule: str | None = None
    attribute: AttributePlan | None = None


@dataclass(frozen=True)
class Expected:
    """What the validator must report for a mutated document, and only that."""

    rules: tuple[str, ...]
    places: tuple[str, ...]
    description: str
    subtree: bool = False  # any place at or under places[0] will do


def sites(root: Node, plan: Plan) -> dict[tuple[str, str], list[Site]]:
    """Every mutation the document allows, grouped by family and kind.

    Values are grouped by the rule they break, so that a rare facet is
    drawn as often as a common one.
    """
    found: dict[tuple[str, str], list[Site]] = {}

    def add(site: Site) -> None:
        family = FAMILIES[site.kind]
        found.setdefault((family, site.rule or site.kind), []).append(site)

    for path, node in root.walk():
        element = node.plan
        if element is None:
            continue
        value = element.type.value
        if value is not None and element.fixed is None and _mutable(value):
            for rule in value.breakable:
                add(Site("value", path, rule))
        for attribute in element.type.attributes:
            present = attribute.tag in node.attrs
            if present and attribute.fixed is None and _mutable(attribute.value):
                for rule in attribute.value.breakable:
                    add(Site("attribute-value", path, rule, attribute))
            if present and attribute.required:
                add(Site("drop-attribute", path, attribute=attribute))
        if not element.type.open_attributes:
            add(Site("undeclared-attribute", path))
        content = element.type.content
        if content is not None:
            if not element.type.open_content and not _has_wildcard(content):
                add(Site("undeclared-element", path))
            _occurrence_sites(node, path, add)
        if element.checked:
            add(Site("constraint", path))
    return found


def _mutable(value: ValuePlan) -> bool:
    # A changed ID or IDREF would also break the document-wide ID rules.
    return not (value.is_id or value.is_idref)


def _has_wildcard(group: GroupPlan) -> bool:
    return group.wildcard or any(
        isinstance(p, GroupPlan) and _has_wildcard(p) for p in group.particles
    )


def _occurrence_sites(
    node: Node, path: tuple[int, ...], add: Callable[[Site], None]
) -> None:
    counts: dict[int, int] = {}
    for child in node.children:
        if child.plan is not None:
            counts[id(child.plan)] = counts.get(id(child.plan), 0) + 1
    last: dict[int, int] = {}
    for index, child in enumerate(node.children):
        if child.plan is not None:
            last[id(child.plan)] = index
    for index, child in enumerate(node.children):
        particle = child.plan
        if particle is None:
            continue
        count = counts[id(particle)]
        if particle.min_occurs >= 1 and count <= particle.min_occurs:
            add(Site("drop-element", (*path, index)))
        at_most = particle.max_occurs
        if at_most is not None and count >= at_most and last[id(particle)] == index:
            add(Site("extra-element", (*path, index)))


# -- carrying a mutation out -------------------------------------------------------


def realize(draw: st.DrawFn, plan: Plan, root: Node, site: Site) -> Expected | None:
    """Apply ``site`` to ``root`` (a copy); ``None`` when no candidate fits."""
    node = root.at(site.path)
    where = location(root, site.path)
    if site.kind in ("value", "attribute-value"):
        return _value(draw, node, where, site)
    if site.kind == "drop-attribute":
        assert site.attribute is not None
        del node.attrs[site.attribute.tag]
        name = _local(site.attribute.tag)
        return Expected(
            (MISSING_ATTRIBUTE,), (where,), f"{where}: the required @{name} removed"
        )
    if site.kind == "undeclared-attribute":
        assert node.plan is not None
        name = _unused("undeclared", {_local(a.tag) for a in node.plan.type.attributes})
        node.attrs[name] = "x"
        return Expected(UNDECLARED_ATTRIBUTE, (where,), f"{where}: @{name} added")
    if site.kind == "undeclared-element":
        name = _unused("undeclared", {_local(t) for t in plan.tags})
        index = draw(st.integers(0, len(node.children)))
        node.children.insert(index, Node(None, name, text="x"))
        added = location(root, (*site.path, index))
        return Expected(
            (CONTENT,),
            (added, where),
            f"{added}: an element the schema does not declare",
        )
    if site.kind == "drop-element":
        return _drop(root, site.path)
    if site.kind == "extra-element":
        parent_path, index = site.path[:-1], site.path[-1]
        parent = root.at(parent_path)
        parent.children.insert(index + 1, node.copy())
        added = location(root, (*parent_path, index + 1))
        most = node.plan.max_occurs if node.plan else None
        return Expected(
            (CONTENT,),
            (added, location(root, parent_path)),
            f"{added}: {node.name} more than its maxOccurs ({most}) times",
        )
    if site.kind == "constraint":
        return _constraint(draw, plan, root, site.path)
    raise ValueError(f"unknown mutation {site.kind}")


def _value(draw: st.DrawFn, node: Node, where: str, site: Site) -> Expected | None:
    assert site.rule is not None
    if site.attribute is not None:
        value_plan = site.attribute.value
    else:
        assert node.plan is not None
        assert node.plan.type.value is not None
        value_plan = node.plan.type.value
    text = value_plan.breaking(draw, site.rule)
    if text is None:
        return None
    what = where
    if site.attribute is not None:
        node.attrs[site.attribute.tag] = text
        what = f"{where}/@{_local(site.attribute.tag)}"
    else:
        node.text = text
    phrase = _PHRASES.get(site.rule, "is not a valid lexical form of")
    return Expected(
        value_plan.labels(site.rule),
        (where,),
        f"{what}: {text!r} {phrase} {type_label(value_plan.xsd_type)}",
    )


def _drop(root: Node, path: tuple[int, ...]) -> Expected:
    parent_path, index = path[:-1], path[-1]
    parent = root.at(parent_path)
    removed = parent.children.pop(index)
    places = []
    if index < len(parent.children):
        places.append(location(root, (*parent_path, index)))
    where = location(root, parent_path)
    places.append(where)
    return Expected(
        (CONTENT,), tuple(places), f"{where}: the required {removed.name} removed"
    )


def _constraint(
    draw: st.DrawFn, plan: Plan, root: Node, path: tuple[int, ...]
) -> Expected | None:
    node = root.at(path)
    element = node.plan
    assert element is not None
    builder = Builder(draw, plan, echo=True)
    for _ in range(CHECK_TRIES):
        fresh = builder.fresh(element, len(path))
        # xmlschema validates lxml elements, though its methods are
        # annotated with ElementTree's Element only.
        errors = list(element.decl.iter_errors(to_lxml(fresh)))  # type: ignore[arg-type]
        broken = {id(e.validator) for e in errors}
        kinds = {_constraint_rule(e) for e in errors}
        if len(broken) == 1 and len(kinds) == 1 and None not in kinds:
            break
    else:
        return None
    if path:
        root.at(path[:-1]).children[path[-1]] = fresh
    else:
        root.attrs, root.text, root.children = fresh.attrs, fresh.text, fresh.children
    rule = kinds.pop()
    assert rule is not None
    where = location(root, path)
    why: str | None
    if rule == "cvc-assertion":
        assertion = cast("XsdAssert", errors[0].validator)  # see _constraint_rule
        why = f"the assertion {assertion.path!r} is false"
    else:
        why = errors[0].reason  # names the value and the constraint
    # libxml2 reports a repeated key at the element that repeats it.
    return Expected(
        (rule,), (where,), f"{where}: {why}", subtree=rule != "cvc-assertion"
    )


# xmlschema reports a broken identity constraint as an error of the element
# that holds it, naming the constraint in the reason.
_IDENTITY_REASON = re.compile(r"(duplicated value|missing key field) .* for Xsd\w+\(")


def _constraint_rule(error: XMLSchemaValidationError) -> str | None:
    """``cvc-assertion`` or ``cvc-identity-constraint`` for a constraint's error."""
    if isinstance(error.validator, XsdAssert):
        return "cvc-assertion"
    if _IDENTITY_REASON.match(error.reason or ""):
        return "cvc-identity-constraint"
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _unused(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}{number}"
    return candidate


# -- confirming --------------------------------------------------------------------


def confirm(findings: list[Finding], expected: Expected) -> Violation | None:
    """The violation the findings show, if they show exactly the expected one."""
    if not findings:
        return None

    def placed(xpath: str | None) -> bool:
        if xpath is None:
            return False
        if expected.subtree:
            return xpath == expected.places[0] or xpath.startswith(
                expected.places[0] + "/"
            )
        return xpath in expected.places

    if not all(f.rule in expected.rules and placed(f.xpath) for f in findings):
        return None
    for rule in expected.rules:
        for finding in findings:
            if finding.rule == rule and finding.xpath is not None:  # placed()
                return Violation(rule, finding.xpath, expected.description)
    return None


def invalid_documents(
    plan: Plan, validator: XsdSchema
) -> st.SearchStrategy[Invalid[bytes]]:
    """Invalid documents of a plan, each confirmed by ``validator``."""

    @st.composite
    def build(draw: st.DrawFn) -> Invalid[bytes]:
        root = Builder(draw, plan).document()
        available = sites(root, plan)
        salt = sum(1 for _ in root.walk())
        for _ in range(ATTEMPTS):
            if not available:
                break
            families = {f for f, _ in available}
            weighted = [
                f for f, n in FAMILY_WEIGHTS.items() if f in families for _ in range(n)
            ]
            family = pick(draw, weighted, salt)
            kind = pick(draw, sorted(k for k in available if k[0] == family), salt)
            site = pick(draw, available[kind], salt)
            tree = root.copy()
            expected = realize(draw, plan, tree, site)
            if expected is not None:
                document = serialize(tree, plan.prefixes)
                violation = confirm(validate_xml(document, validator), expected)
                if violation is not None:
                    return Invalid(document, violation)
            available[kind].remove(site)
            if not available[kind]:
                del available[kind]
        reject()
        raise AssertionError("unreachable")  # reject() raises

    return build()
