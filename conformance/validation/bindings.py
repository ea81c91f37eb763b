"""Converting a standard's JSON representation to its XML representation and back.

The XSD alone decides the mapping (docs/standards.md, "Conventions": local
elements are unqualified and named exactly like the JSON members):

- an element with complex content is a JSON object; its members are its child
  elements, named by local name, written in the order of the content model;
- an element that may occur more than once is a JSON array of its
  occurrences; a *wrapper* element (at most once) whose type declares exactly
  one child element, and that one repeating, is a JSON array of the child's
  values (``<spouses><spouse/><spouse/></spouses>`` is ``"spouses": [{}, {}]``);
- simple content is a JSON string, except that a type derived from
  ``xs:decimal``, ``xs:double`` or ``xs:float`` is a number (an integer when
  derived from ``xs:integer``) and ``xs:boolean`` is ``true``/``false``;
- of an ``xs:choice`` only the chosen branch appears; an absent optional
  element is an absent member;
- a ``version`` attribute names the exact version of the standard whose type
  the element has (the root's, or an embedded address's) and is not data;
- date and time values are read in their canonical form (``T24:00:00`` is
  midnight of the next day), as JSON's RFC 3339 has no hour 24, and written
  with ``T`` and ``Z`` where RFC 3339 also allows ``t`` and ``z``.

Attributes other than a declared ``version`` and ``xsi:schemaLocation`` hints
have no JSON counterpart, so a document carrying one (``xsi:nil`` included) is
refused rather than read lossily; so is a model group that repeats a sequence
or choice of different elements, whose interleaving a JSON object cannot keep.
None of the shipped standards uses either.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from elementpath.datatypes import AbstractDateTime, DateTime10, Time
from lxml import etree
from xmlschema.validators import XsdElement, XsdGroup

from conformance.errors import SchemaError
from conformance.inputs.xml_input import XSI, parse_xml, readable_path
from conformance.model import JsonValue
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.validation.xml_schemas import load_xmlschema

if TYPE_CHECKING:
    from xmlschema import XMLSchemaBase
    from xmlschema.aliases import BaseXsdType
    from xmlschema.validators import XsdComplexType, XsdSimpleType

XSD = "http://www.w3.org/2001/XMLSchema"
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_DOUBLE = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?")
_FLOATING = {"decimal": _DECIMAL, "double": _DOUBLE}
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
_HINTS = {f"{{{XSI}}}schemaLocation", f"{{{XSI}}}noNamespaceSchemaLocation"}
_XML_SPACE = " \t\n\r"
_HOUR_24 = re.compile(r"(^|T)24:00:00")
_LOWER_T = re.compile(r"(?<=^[0-9]{4}-[0-9]{2}-[0-9]{2})t")
_CALENDAR: dict[str, type[AbstractDateTime]] = {"dateTime": DateTime10, "time": Time}

Slot = tuple[XsdElement, bool]
"""An element declaration and whether it may occur more than once."""


class BindingError(ValueError):
    """A value or document that has no counterpart in the other binding."""


def xsd_model(registry: Registry, standard: StandardVersion) -> XMLSchemaBase:
    """The xmlschema schema (``XMLSchema10``/``XMLSchema11``) of the XML binding.

    Loaded with the same sandbox as the validators (only files inside the
    registry) and built once per registry.
    """
    if standard.xml is None:
        raise SchemaError(f"{standard.ref} has no XML binding")
    binding = standard.xml

    def build() -> XMLSchemaBase:
        version = binding.xsd_version or "1.0"
        return load_xmlschema(binding.path, version, list(registry.roots))

    return registry.cached(("xsd-model", standard.ref), build)


def json_to_xml(
    value: JsonValue, model: XMLSchemaBase, root: str, *, version: str | None = None
) -> bytes:
    """Serialise a JSON value (an object) as the document of the element ``root``.

    ``root`` is a local name in the model's target namespace; ``version``, if
    given, is written as the root's ``version`` attribute. Returns UTF-8
    bytes with an XML declaration; a :class:`BindingError` says which member
    has no XML form.
    """
    declaration = model.elements.get(root)
    if declaration is None:
        known = ", ".join(sorted(model.elements)) or "none"
        raise BindingError(f"the schema declares no root {root!r} (it has {known})")
    element = etree.Element(declaration.name, nsmap=_namespaces(model))
    if version is not None:
        # A root with a version has a complex type (a simple one fails here).
        if "version" not in cast("XsdComplexType", declaration.type).attributes:
            raise BindingError(f"{root} declares no version attribute")
        element.set("version", version)
    _write(element, declaration.type, value, "")
    return etree.tostring(
        element, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def xml_to_json(
    data: bytes | etree._Element | etree._ElementTree[etree._Element],
    model: XMLSchemaBase,
) -> JsonValue:
    """The JSON value an XML document of this binding stands for.

    ``data`` is the document's bytes (read without DTDs or entities) or an
    lxml element or tree. A :class:`BindingError` says what has no JSON form.
    """
    if isinstance(data, bytes):
        parsed = parse_xml(data)
        if not parsed.ok or parsed.tree is None:
            reasons = "; ".join(f.message for f in parsed.findings)
            raise BindingError(f"the document cannot be read: {reasons}")
        data = parsed.tree
    element = data.getroot() if isinstance(data, etree._ElementTree) else data
    for declaration in model.elements.values():
        if declaration.name == element.tag:
            break
    else:
        known = ", ".join(d.name for d in model.elements.values()) or "none"
        raise BindingError(f"the root {element.tag!s} is not one of {known}")
    return _read(element, declaration.type, is_root=True)


# -- the content model --------------------------------------------------------


def _simple_type(xsd_type: BaseXsdType) -> XsdSimpleType | None:
    """The simple type of an element's value, or ``None`` for element content."""
    if xsd_type.is_simple():
        return cast("XsdSimpleType", xsd_type)  # as is_simple() says
    if xsd_type.has_simple_content():
        # A complex type with simple content has a simple type as content.
        return cast("XsdSimpleType", cast("XsdComplexType", xsd_type).content)
    return None


def _slots(particle: object, repeated: bool = False) -> list[Slot]:
    """Every element declaration under a particle, all choice branches included."""
    if isinstance(particle, XsdElement):
        if particle.max_occurs == 0:
            return []
        return [(particle, repeated or particle.max_occurs != 1)]
    if not isinstance(particle, XsdGroup):
        return []  # a wildcard names no member
    repeats = particle.max_occurs != 1
    slots = [s for p in particle for s in _slots(p, repeated or repeats)]
    if repeats and len({d.name for d, _ in slots}) > 1:
        raise BindingError(
            f"a repeating {particle.model} of several elements"
            f" ({', '.join(sorted({d.local_name for d, _ in slots}))}) has no"
            " JSON form: an object cannot keep their interleaving"
        )
    return slots


def _declarations(xsd_type: BaseXsdType) -> dict[str, Slot]:
    """The child element declarations of a complex type, by tag.

    XSD's "element declarations consistent" rule gives every declaration of
    one name in a content model the same type, so the name alone says how to
    read a child, whichever branch of a choice it comes from.
    """
    found: dict[str, Slot] = {}
    # Called for element content only: the type is complex.
    for declaration, repeated in _slots(cast("XsdComplexType", xsd_type).content):
        earlier = found.get(declaration.name, (None, False))[1]
        found[declaration.name] = (declaration, repeated or earlier)
    names = [d.local_name for d, _ in found.values()]
    if len(set(names)) != len(names):
        raise BindingError(
            f"{_type_name(xsd_type)} has child elements of one local name in"
            " different namespaces; they would be one JSON member"
        )
    return found


def _wrapped_item(declaration: XsdElement) -> XsdElement | None:
    """The repeating item of a wrapper element, or ``None`` if it is no wrapper."""
    if _simple_type(declaration.type) is not None:
        return None
    slots = list(_declarations(declaration.type).values())
    if len(slots) == 1 and slots[0][1]:
        return slots[0][0]
    return None


def _arrange(particle: object, present: set[str], repeated: bool = False) -> list[Slot]:
    """The declarations of the present members, in the order the model wants."""
    if isinstance(particle, XsdElement):
        if particle.local_name in present and particle.max_occurs != 0:
            return [(particle, repeated or particle.max_occurs != 1)]
        return []
    if not isinstance(particle, XsdGroup):
        return []
    repeated = repeated or particle.max_occurs != 1
    parts = [_arrange(p, present, repeated) for p in particle]
    if particle.model == "choice":
        # Only one branch appears; branches may share names (spouses is in
        # both marriage and divorce), so the branch that accounts for the
        # most members is the one the object meant.
        return max(parts, key=len, default=[])
    return [slot for part in parts for slot in part]


# -- JSON to XML --------------------------------------------------------------


def _write(
    element: etree._Element, xsd_type: BaseXsdType, value: JsonValue, where: str
) -> None:
    simple = _simple_type(xsd_type)
    if simple is not None:
        text = _to_text(value, simple, where)
        try:
            element.text = text
        except ValueError:  # lxml refuses what XML 1.0 cannot carry
            raise BindingError(
                f"{where or '/'}: {text[:80]!r} holds characters XML 1.0 cannot"
                " carry (control characters, U+FFFE, U+FFFF, lone surrogates)"
            ) from None
        return
    if not isinstance(value, dict):
        raise BindingError(
            f"{where or '/'}: {_json_kind(value)} where {_type_name(xsd_type)}"
            " wants an object"
        )
    known = {d.local_name for d, _ in _declarations(xsd_type).values()}
    unknown = sorted(set(value) - known)
    if unknown:
        raise BindingError(
            f"{where or '/'}: {_type_name(xsd_type)} declares no element for"
            f" {', '.join(map(repr, unknown))}"
        )
    slots = _arrange(cast("XsdComplexType", xsd_type).content, set(value))
    left = sorted(set(value) - {d.local_name for d, _ in slots})
    if left:
        raise BindingError(
            f"{where or '/'}: {', '.join(map(repr, left))} cannot appear with the"
            f" other members: they belong to another branch of an xs:choice"
        )
    written: set[str] = set()
    for declaration, repeated in slots:
        name = declaration.local_name
        if name in written:
            continue
        written.add(name)
        member, at = value[name], f"{where}/{_escape(name)}"
        wrapped = None if repeated else _wrapped_item(declaration)
        if not repeated and wrapped is None:
            child = etree.SubElement(element, declaration.name)
            _write(child, declaration.type, member, at)
            continue
        if not isinstance(member, list):
            raise BindingError(f"{at}: {_json_kind(member)} where an array is wanted")
        parent: etree._Element = element
        item: XsdElement = declaration
        if wrapped is not None:
            parent, item = etree.SubElement(element, declaration.name), wrapped
        for index, entry in enumerate(member):
            child = etree.SubElement(parent, item.name)
            _write(child, item.type, entry, f"{at}/{index}")


def _to_text(value: JsonValue, simple: XsdSimpleType, where: str) -> str:
    kind = _kind(simple)
    number = (
        value
        if isinstance(value, int | float) and not isinstance(value, bool)
        else None
    )
    if kind == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if kind == "integer" and number is not None and float(number).is_integer():
        return str(int(number))
    if kind in ("decimal", "double") and number is not None and math.isfinite(number):
        if isinstance(number, int):
            return str(number)
        # xs:decimal has no exponent; Decimal(repr) keeps the shortest digits.
        return format(Decimal(repr(number)), "f") if kind == "decimal" else repr(number)
    if kind == "string" and isinstance(value, str):
        if _primitive(simple) in _CALENDAR:
            # RFC 3339 allows "t" and "z"; XSD's lexical form has only "T", "Z".
            if value.endswith("z"):
                value = value[:-1] + "Z"
            return _LOWER_T.sub("T", value, count=1)
        return value
    raise BindingError(
        f"{where or '/'}: {_json_kind(value)} cannot stand for"
        f" {_type_name(simple)} (a {_JSON_OF_KIND[kind]})"
    )


# -- XML to JSON --------------------------------------------------------------


def _read(
    element: etree._Element, xsd_type: BaseXsdType, *, is_root: bool = False
) -> JsonValue:
    for attribute in element.attrib:
        # A declared version names the exact version and schema locations are
        # ignored hints; anything else (xsi:nil, xsi:type included) would be
        # lost or change the meaning, so it is refused.
        if attribute in _HINTS or (
            attribute == "version"
            and (is_root or "version" in getattr(xsd_type, "attributes", {}))
        ):
            continue
        raise BindingError(
            f"{readable_path(element)}/@{attribute}: attributes have no JSON form"
        )
    simple = _simple_type(xsd_type)
    children = [c for c in element if isinstance(c.tag, str)]
    if simple is not None:
        if children:
            raise BindingError(
                f"{readable_path(children[0])}: an element inside the simple"
                f" content of {_type_name(xsd_type)}"
            )
        return _from_text(element.text or "", simple, element)
    _refuse_text(element)
    declarations = _declarations(xsd_type)
    result: dict[str, JsonValue] = {}
    for child in children:
        tag = child.tag  # a string: children are elements
        slot = declarations.get(tag) if isinstance(tag, str) else None
        if slot is None:
            raise BindingError(
                f"{readable_path(child)}: {_type_name(xsd_type)} declares no such"
                " element"
            )
        declaration, repeated = slot
        name = declaration.local_name
        if repeated:
            # Only this branch sets a repeated member: it is always a list.
            occurrences = cast("list[JsonValue]", result.setdefault(name, []))
            occurrences.append(_read(child, declaration.type))
            continue
        if name in result:
            raise BindingError(f"{readable_path(child)}: occurs more than once")
        item = _wrapped_item(declaration)
        if item is None:
            result[name] = _read(child, declaration.type)
            continue
        _refuse_text(child)
        items = []
        for grandchild in child:
            if not isinstance(grandchild.tag, str):
                continue
            if grandchild.tag != item.name:
                raise BindingError(
                    f"{readable_path(grandchild)}: only {item.local_name} may appear"
                    f" in {name}"
                )
            items.append(_read(grandchild, item.type))
        result[name] = items
    return result


def _refuse_text(element: etree._Element) -> None:
    texts = [element.text, *(c.tail for c in element)]
    if any(t and t.strip(_XML_SPACE) for t in texts):
        raise BindingError(
            f"{readable_path(element)}: text in element-only content has no JSON form"
        )


def _from_text(text: str, simple: XsdSimpleType, element: etree._Element) -> JsonValue:
    white_space = getattr(simple, "white_space", None)
    # XML's white space is these four characters only; str.split() would
    # also eat U+0085, U+00A0 and others that are data.
    if white_space == "collapse":
        text = " ".join(t for t in re.split(f"[{_XML_SPACE}]+", text) if t)
    elif white_space == "replace":
        text = re.sub(r"[\t\n\r]", " ", text)
    kind = _kind(simple)
    if kind == "string":
        primitive = _primitive(simple)
        if _HOUR_24.search(text) and primitive is not None and primitive in _CALENDAR:
            try:
                return str(_CALENDAR[primitive].fromstring(text))
            except (ArithmeticError, ValueError) as exc:
                raise BindingError(
                    f"{readable_path(element)}: {text[:40]!r} has no JSON form: {exc}"
                ) from None
        return text
    if kind == "boolean":
        if text in _BOOLEANS:
            return _BOOLEANS[text]
    elif _INTEGER.fullmatch(text):
        # An integral lexical form is a JSON integer whatever the numeric type,
        # so 250000000 in an xs:decimal reads back as it was written.
        return int(text)
    elif kind != "integer" and _FLOATING[kind].fullmatch(text):
        number = float(text)
        if math.isfinite(number):
            return number
    raise BindingError(
        f"{readable_path(element)}: {text!r} is not a JSON"
        f" {_JSON_OF_KIND[kind]} ({_type_name(simple)})"
    )


# -- small helpers ------------------------------------------------------------

_JSON_OF_KIND = {
    "boolean": "boolean",
    "integer": "integer",
    "decimal": "number",
    "double": "number",
    "string": "string",
}


def _kind(simple: XsdSimpleType) -> str:
    """``boolean``, ``integer``, ``decimal``, ``double`` or ``string``.

    Lists and unions have no single primitive and stay strings.
    """
    primitive = getattr(simple, "primitive_type", None)
    if primitive is None or not simple.is_atomic():
        return "string"
    name = primitive.local_name
    if name == "decimal":
        return "integer" if _derives_from(simple, f"{{{XSD}}}integer") else "decimal"
    if name in ("double", "float"):
        return "double"
    if name == "boolean":
        return "boolean"
    return "string"


def _primitive(simple: XsdSimpleType) -> str | None:
    primitive = getattr(simple, "primitive_type", None)
    name: str | None = getattr(primitive, "local_name", None)
    return name


def _derives_from(simple: XsdSimpleType, name: str) -> bool:
    # Compared by name: builtin types may be distinct objects per schema.
    current: XsdSimpleType | None = simple
    while current is not None:
        if current.name == name:
            return True
        current = getattr(current, "base_type", None)
    return False


def _namespaces(model: XMLSchemaBase) -> dict[str | None, str]:
    namespace = model.target_namespace
    if not namespace:
        return {}
    # A prefix, never the default namespace: unqualified children must stay
    # in no namespace.
    prefix = next(
        (p for p, uri in model.namespaces.items() if p and uri == namespace), "ns"
    )
    return {prefix: namespace}


def _type_name(xsd_type: BaseXsdType) -> str:
    name = getattr(xsd_type, "prefixed_name", None) or getattr(xsd_type, "name", None)
    return f"type {name}" if name else "an anonymous type"


def _json_kind(value: JsonValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
