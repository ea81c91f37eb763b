"""A generation plan compiled from xmlschema's component model.

The plan mirrors the schema: an :class:`ElementPlan` per element particle
(its tag, occurrence bounds and type), a :class:`TypePlan` per type (its
attributes, and either a simple value or a content model), a
:class:`GroupPlan` per model group. It is compiled once per (schema, root)
and read by the tree builder for every example. Anything the builder cannot
produce correctly is refused here with :class:`UnsupportedSchema`, naming
the component.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from xmlschema.validators import (
    XsdAnyAttribute,
    XsdAnyElement,
    XsdElement,
    XsdGroup,
    XsdKeyref,
)

from conformance.strategies._xsd_values import ValuePlan, ValuePlans
from conformance.strategies.common import UnsupportedSchema

if TYPE_CHECKING:
    from xmlschema import XMLSchemaBase
    from xmlschema.aliases import BaseXsdType
    from xmlschema.validators import XsdComplexType, XsdSimpleType

EXTRA_OCCURS = 3
"""How many occurrences past minOccurs are generated (unbounded included)."""
MAX_DEPTH = 12
"""Below this depth only the smallest content is generated (recursive types)."""
XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"


@dataclass(eq=False)
class AttributePlan:
    """One declared attribute of a complex type."""

    tag: str
    required: bool
    value: ValuePlan
    fixed: str | None


@dataclass(eq=False)
class GroupPlan:
    """A sequence, choice or all group, with its occurrence bounds."""

    model: str
    min_occurs: int
    max_occurs: int | None
    particles: list[ElementPlan | GroupPlan] = field(default_factory=list)
    wildcard: bool = False
    smallest: float = math.inf


@dataclass(eq=False)
class TypePlan:
    """A type: its attributes, and a simple value or a content model (or neither)."""

    xsd_type: BaseXsdType
    attributes: list[AttributePlan] = field(default_factory=list)
    value: ValuePlan | None = None
    content: GroupPlan | None = None
    open_attributes: bool = False
    open_content: bool = False


@dataclass(eq=False)
class ElementPlan:
    """An element particle: tag, occurrences, type, and what must be rechecked.

    ``checked`` elements carry XSD 1.1 assertions or identity constraints,
    which relate several values: their subtrees are validated by xmlschema
    as they are built.
    """

    decl: XsdElement
    tag: str
    min_occurs: int
    max_occurs: int | None
    type: TypePlan
    fixed: str | None
    checked: bool
    smallest: float = math.inf

    @property
    def name(self) -> str:
        """The local name, as locations spell it."""
        return self.tag.rsplit("}", 1)[-1]


@dataclass(eq=False)
class Plan:
    """The compiled plan of one global element of a schema."""

    model: XMLSchemaBase
    root: ElementPlan
    version: str
    prefixes: dict[str, str]
    tags: frozenset[str]


class Compiler:
    """Builds the plan of a schema's global element."""

    def __init__(self, model: XMLSchemaBase) -> None:
        self.model = model
        self.version = "1.1" if model.XSD_VERSION == "1.1" else "1.0"
        self.values = ValuePlans(self.version)
        self._types: dict[int, TypePlan] = {}
        self._elements: list[ElementPlan] = []
        self._groups: list[GroupPlan] = []

    def compile(self, root: str) -> Plan:
        """The plan of the global element ``root`` (local or Clark name)."""
        decl = _global(self.model, root)
        plan = self._element(decl, 1, 1)
        self._sizes()
        if plan.smallest == math.inf:
            raise UnsupportedSchema(
                f"{decl.prefixed_name} has no finite instance: its content"
                " requires itself"
            )
        tags = frozenset(e.tag for e in self._elements)
        namespaces = {
            tag[1:].split("}", 1)[0]
            for tag in tags
            | {a.tag for t in self._types.values() for a in t.attributes}
            if tag.startswith("{")
        }
        return Plan(
            self.model, plan, self.version, _prefixes(self.model, namespaces), tags
        )

    # -- elements and types -------------------------------------------------

    def _element(self, decl: XsdElement, low: int, high: int | None) -> ElementPlan:
        where = decl.prefixed_name
        if decl.abstract:
            raise UnsupportedSchema(
                f"element {where} is abstract: substitution groups are not generated"
            )
        if getattr(decl, "alternatives", ()):
            raise UnsupportedSchema(
                f"element {where} has XSD 1.1 type alternatives, which are not"
                " generated"
            )
        identities = list(getattr(decl, "identities", ()) or ())
        for identity in identities:
            if isinstance(identity, XsdKeyref):
                raise UnsupportedSchema(
                    f"element {where} has the keyref {identity.prefixed_name}:"
                    " references between values are not generated"
                )
        type_plan = self._type(decl.type, where)
        fixed = decl.fixed
        plan = ElementPlan(
            decl=decl,
            tag=decl.name,
            min_occurs=low,
            max_occurs=high,
            type=type_plan,
            fixed=fixed,
            checked=bool(identities) or bool(getattr(decl.type, "assertions", ())),
        )
        self._elements.append(plan)
        return plan

    def _type(self, xsd_type: BaseXsdType, where: str) -> TypePlan:
        key = id(xsd_type)
        if key in self._types:
            return self._types[key]  # shared, and how recursion is tied
        plan = TypePlan(xsd_type)
        self._types[key] = plan
        if getattr(xsd_type, "abstract", False):
            raise UnsupportedSchema(
                f"the type of {where} ({xsd_type.prefixed_name}) is abstract:"
                " xsi:type is not generated"
            )
        if xsd_type.is_simple():
            plan.value = self._value(cast("XsdSimpleType", xsd_type), where)
            return plan
        xsd_type = cast("XsdComplexType", xsd_type)  # as is_simple() says
        plan.open_attributes = None in xsd_type.attributes
        for name, attribute in xsd_type.attributes.items():
            if name is None or isinstance(attribute, XsdAnyAttribute):
                continue
            if attribute.use == "prohibited":
                continue
            plan.attributes.append(
                AttributePlan(
                    tag=attribute.name,
                    required=attribute.use == "required",
                    value=self._value(
                        attribute.type, f"{where}/@{attribute.prefixed_name}"
                    ),
                    fixed=attribute.fixed,
                )
            )
        open_content = getattr(xsd_type, "open_content", None)
        plan.open_content = (
            open_content is not None and getattr(open_content, "mode", "") != "none"
        )
        if xsd_type.has_simple_content():
            # Simple content: the content is a simple type.
            plan.value = self._value(cast("XsdSimpleType", xsd_type.content), where)
        elif isinstance(xsd_type.content, XsdGroup):
            plan.content = self._group(xsd_type.content, where, 1, 1)
        return plan

    def _value(self, xsd_type: XsdSimpleType, where: str) -> ValuePlan:
        try:
            return self.values.plan(xsd_type)
        except UnsupportedSchema as exc:
            raise UnsupportedSchema(f"the value of {where}: {exc}") from None

    def _group(
        self, group: XsdGroup, where: str, low: int, high: int | None
    ) -> GroupPlan:
        plan = GroupPlan(group.model, low, high)
        self._groups.append(plan)
        for particle in group:
            low_p, high_p = particle.min_occurs, particle.max_occurs
            if high_p == 0:
                continue
            if isinstance(particle, XsdElement):
                plan.particles.append(self._element(particle, low_p, high_p))
            elif isinstance(particle, XsdGroup):
                plan.particles.append(self._group(particle, where, low_p, high_p))
            elif isinstance(particle, XsdAnyElement):
                plan.wildcard = True
                if low_p > 0:
                    raise UnsupportedSchema(
                        f"the content of {where} requires a wildcard (xs:any):"
                        " elements of other schemas are not generated"
                    )
            else:
                raise UnsupportedSchema(
                    f"the content of {where} has a particle xmlschema calls"
                    f" {type(particle).__name__}, which is not generated"
                )
        if plan.model == "all" and any(
            isinstance(p, GroupPlan) for p in plan.particles
        ):
            raise UnsupportedSchema(f"the xs:all group of {where} nests a group")
        return plan

    # -- smallest instances, for depth limits -----------------------------------

    def _sizes(self) -> None:
        """The fewest elements each element and group can take (inf: none finite)."""
        changed = True
        while changed:
            changed = False
            for element in self._elements:
                size = 1 + _content_size(element.type)
                if size < element.smallest:
                    element.smallest, changed = size, True
            for group in self._groups:
                size = group.min_occurs * _group_once(group) if group.min_occurs else 0
                if size < group.smallest:
                    group.smallest, changed = size, True


def _content_size(plan: TypePlan) -> float:
    return plan.content.smallest if plan.content is not None else 0


def _particle_size(particle: ElementPlan | GroupPlan) -> float:
    if particle.min_occurs == 0:
        return 0
    if isinstance(particle, ElementPlan):
        return particle.min_occurs * particle.smallest
    return particle.smallest


def _group_once(group: GroupPlan) -> float:
    sizes = [_particle_size(p) for p in group.particles]
    if group.model == "choice":
        # A choice takes one branch; an absent optional branch counts as 0.
        return min(sizes, default=0)
    return sum(sizes)


def _global(model: XMLSchemaBase, root: str) -> XsdElement:
    if root.startswith("{"):
        decl = model.maps.elements.get(root)
    else:
        decl = model.elements.get(root)
    if decl is None:
        known = ", ".join(sorted(model.elements)) or "none"
        raise ValueError(f"the schema declares no global element {root!r} ({known})")
    return decl


def _prefixes(model: XMLSchemaBase, namespaces: set[str]) -> dict[str, str]:
    """A prefix for every namespace a document may use (the schema's own first)."""
    known: dict[str, str] = {}
    for schema in [model, *model.maps.iter_schemas()]:
        for prefix, uri in schema.namespaces.items():
            if prefix and prefix not in ("xml", "xmlns") and uri not in known:
                known.setdefault(uri, prefix)
    chosen: dict[str, str] = {XML_NAMESPACE: "xml"}
    used = {"xml"}
    for index, uri in enumerate(sorted(namespaces - {XML_NAMESPACE})):
        prefix = known.get(uri, f"ns{index}")
        if prefix in used:
            prefix = f"ns{index}"
        chosen[uri] = prefix
        used.add(prefix)
    return chosen
