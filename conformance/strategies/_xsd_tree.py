"""Building documents from a plan: a small tree of nodes, then XML bytes.

The :class:`Builder` walks a :class:`~._xsd_plan.Plan` inside a hypothesis
composite, drawing occurrence counts, choice branches, optional attributes
and values. Elements that carry assertions or identity constraints are
rebuilt (a bounded number of times) until xmlschema accepts their subtree.
Nodes remember their plan, so that mutations know what each node is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from hypothesis import reject
from hypothesis import strategies as st
from lxml import etree
from xmlschema.validators import XsdList

from conformance.strategies._xsd_plan import MAX_DEPTH, ElementPlan, GroupPlan, Plan
from conformance.strategies._xsd_values import ValuePlan, variety_of

CHECK_TRIES = 24
"""Attempts at a subtree that satisfies its assertions or identity constraints."""
_T = TypeVar("_T")


class Node:
    """An element: its plan (``None`` for an undeclared one), tag, attributes, text."""

    __slots__ = ("attrs", "children", "plan", "tag", "text")

    def __init__(
        self,
        plan: ElementPlan | None,
        tag: str,
        attrs: dict[str, str] | None = None,
        text: str | None = None,
        children: list[Node] | None = None,
    ) -> None:
        self.plan = plan
        self.tag = tag
        self.attrs = attrs if attrs is not None else {}
        self.text = text
        self.children = children if children is not None else []

    @property
    def name(self) -> str:
        """The local name."""
        return self.tag.rsplit("}", 1)[-1]

    def copy(self) -> Node:
        """A deep copy (plans are shared)."""
        return Node(
            self.plan,
            self.tag,
            dict(self.attrs),
            self.text,
            [c.copy() for c in self.children],
        )

    def at(self, path: tuple[int, ...]) -> Node:
        """The descendant at a path of child indexes."""
        node = self
        for index in path:
            node = node.children[index]
        return node

    def walk(
        self, path: tuple[int, ...] = ()
    ) -> Iterator[tuple[tuple[int, ...], Node]]:
        """Every node with its path, document order."""
        yield path, self
        for index, child in enumerate(self.children):
            yield from child.walk((*path, index))


class Builder:
    """Draws one document (or one subtree) from a plan.

    With ``echo`` set, a repeated element sometimes repeats the previous
    occurrence exactly: that is how duplicate values, which uniqueness
    constraints and assertions forbid, get generated on purpose.
    """

    def __init__(self, draw: st.DrawFn, plan: Plan, *, echo: bool = False) -> None:
        self.draw = draw
        self.plan = plan
        self.echo = echo

    def document(self) -> Node:
        """A valid document."""
        root = self.element(self.plan.root, 0)
        _identify(self.draw, root)
        return root

    def element(self, plan: ElementPlan, depth: int) -> Node:
        """A valid element; checked ones are rebuilt until xmlschema accepts them."""
        if not plan.checked:
            return self.fresh(plan, depth)
        for _ in range(CHECK_TRIES):
            node = self.fresh(plan, depth)
            # xmlschema validates lxml elements, though its methods are
            # annotated with ElementTree's Element only.
            if plan.decl.is_valid(to_lxml(node)):  # type: ignore[arg-type]
                return node
        reject()
        raise AssertionError("unreachable")  # reject() raises

    def fresh(self, plan: ElementPlan, depth: int) -> Node:
        """An element whose parts are valid, its own constraints unchecked."""
        node = Node(plan, plan.tag)
        type_plan = plan.type
        for attribute in type_plan.attributes:
            if attribute.required or self.draw(st.booleans()):
                node.attrs[attribute.tag] = (
                    attribute.fixed
                    if attribute.fixed is not None
                    else self.draw(attribute.value.valid)
                )
        if type_plan.value is not None:
            node.text = (
                plan.fixed
                if plan.fixed is not None
                else self.draw(type_plan.value.valid)
            )
        elif type_plan.content is not None:
            self.content(type_plan.content, depth, node.children)
        return node

    def content(self, group: GroupPlan, depth: int, out: list[Node]) -> None:
        """Append the elements of a model group's occurrences to ``out``."""
        for _ in range(self._count(group.min_occurs, group.max_occurs, depth)):
            if group.model == "sequence":
                for particle in group.particles:
                    self._particle(particle, depth, out)
            elif group.model == "choice":
                if not group.particles:
                    continue
                if depth >= MAX_DEPTH:
                    branch = min(group.particles, key=_smallest)
                else:
                    branch = pick(self.draw, group.particles)
                self._particle(branch, depth, out)
            else:  # all: each element in any order
                found: list[Node] = []
                for particle in group.particles:
                    self._particle(particle, depth, found)
                if len(found) > 1:
                    found = self.draw(st.permutations(found))
                out.extend(found)

    def _particle(
        self, particle: ElementPlan | GroupPlan, depth: int, out: list[Node]
    ) -> None:
        if isinstance(particle, GroupPlan):
            self.content(particle, depth, out)
            return
        count = self._count(particle.min_occurs, particle.max_occurs, depth)
        for index in range(count):
            if self.echo and index and self.draw(st.integers(0, 2)) == 0:
                out.append(out[-1].copy())
            else:
                out.append(self.element(particle, depth + 1))

    def _count(self, low: int, high: int | None, depth: int) -> int:
        if depth >= MAX_DEPTH:
            return low
        most = low + 3 if high is None else min(high, low + 3)
        return self.draw(st.integers(low, most)) if most > low else low


def pick(draw: st.DrawFn, items: Sequence[_T], salt: int = 0) -> _T:
    """One of ``items``, near uniformly.

    ``st.sampled_from`` favours the first and the last item (hypothesis
    tries the ends of every range, and zero most); a wide integer modulo the
    length spreads the draws. ``salt``, something already drawn (the size of
    the document), moves where the many zeros land from one example to the
    next.
    """
    return items[(draw(st.integers(0, 2**16 - 1)) + salt) % len(items)]


def _smallest(particle: ElementPlan | GroupPlan) -> float:
    return 0 if particle.min_occurs == 0 else particle.smallest


# -- ID and IDREF ---------------------------------------------------------------


def _identify(draw: st.DrawFn, root: Node) -> None:
    """Make xs:ID values unique and point xs:IDREF(S) values at them."""
    slots: list[tuple[Node, str | None, ValuePlan]] = []
    for _, node in root.walk():
        plan = node.plan
        if plan is None:
            continue
        if plan.type.value is not None and plan.fixed is None and node.text is not None:
            slots.append((node, None, plan.type.value))
        for attribute in plan.type.attributes:
            if attribute.tag in node.attrs and attribute.fixed is None:
                slots.append((node, attribute.tag, attribute.value))
    if not any(v.is_id or v.is_idref for _, _, v in slots):
        return
    seen: list[str] = []
    for node, tag, value in slots:
        if not value.is_id:
            continue
        text = _get(node, tag)
        if text in seen:
            renamed = next(
                (
                    f"{text}{n}"
                    for n in range(1, 10)
                    if f"{text}{n}" not in seen and not value.audit(f"{text}{n}")
                ),
                None,
            )
            if renamed is None:
                reject()
            text = renamed
            _set(node, tag, text)
        seen.append(text)
    for node, tag, value in slots:
        if not value.is_idref:
            continue
        if not seen:
            reject()
        many = isinstance(variety_of(value.xsd_type) or value.xsd_type, XsdList)
        if many:
            text = " ".join(
                draw(st.lists(st.sampled_from(seen), min_size=1, max_size=3))
            )
        else:
            text = draw(st.sampled_from(seen))
        if value.audit(text):
            reject()
        _set(node, tag, text)


def _get(node: Node, tag: str | None) -> str:
    return (node.text or "") if tag is None else node.attrs[tag]


def _set(node: Node, tag: str | None, text: str) -> None:
    if tag is None:
        node.text = text
    else:
        node.attrs[tag] = text


# -- output -------------------------------------------------------------------------

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        # Attribute-value normalisation would turn these into spaces.
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


def serialize(root: Node, prefixes: dict[str, str]) -> bytes:
    """The document as UTF-8 bytes with an XML declaration, indented."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(root, prefixes, out, 0)
    out.append("\n")
    return "".join(out).encode("utf-8")


def _qualified(tag: str, prefixes: dict[str, str]) -> str:
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    return f"{prefixes[uri]}:{local}"


def _write(node: Node, prefixes: dict[str, str], out: list[str], level: int) -> None:
    name = _qualified(node.tag, prefixes)
    out.append(f"<{name}")
    if level == 0:
        # Every namespace is declared with a prefix on the root, never as the
        # default namespace: unqualified children must stay in no namespace.
        for uri, prefix in prefixes.items():
            if prefix != "xml":
                out.append(f' xmlns:{prefix}="{uri.translate(_ATTR_ESCAPES)}"')
    for tag, value in node.attrs.items():
        out.append(f' {_qualified(tag, prefixes)}="{value.translate(_ATTR_ESCAPES)}"')
    if node.text is None and not node.children:
        out.append("/>")
        return
    out.append(">")
    if node.text:
        out.append(node.text.translate(_TEXT_ESCAPES))
    if node.children:
        # Indentation is whitespace between elements: ignorable only in
        # element-only content, so mixed content is written as it is.
        mixed = node.plan is None or node.plan.type.xsd_type.has_mixed_content()
        pad = "" if mixed else "\n" + "  " * (level + 1)
        for child in node.children:
            out.append(pad)
            _write(child, prefixes, out, level + 1)
        out.append("" if mixed else "\n" + "  " * level)
    out.append(f"</{name}>")


def to_lxml(node: Node) -> etree._Element:
    """The subtree as an lxml element, for xmlschema to check."""
    element = etree.Element(node.tag, node.attrs)
    element.text = node.text
    for child in node.children:
        element.append(to_lxml(child))
    return element


def location(root: Node, path: tuple[int, ...]) -> str:
    """The XPath of local names the validators report for the node at ``path``.

    A step gets a ``[n]`` index when its parent has several children of the
    same name, as :func:`conformance.xml_input.readable_path` writes it.
    """
    steps = [root.name]
    node = root
    for index in path:
        child = node.children[index]
        same = [c for c in node.children if c.tag == child.tag]
        step = child.name
        if len(same) > 1:
            step += f"[{next(i for i, c in enumerate(same) if c is child) + 1}]"
        steps.append(step)
        node = child
    return "/" + "/".join(steps)
