"""Compiling XSDs: libxml2 (via lxml) for XSD 1.0, xmlschema for XSD 1.1.

Both load only files inside the registry (or a draft's own folder):
``xs:import`` and ``xs:include`` pointing elsewhere, or at the network,
make the schema fail to compile with a message naming the location.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lxml import etree

from .errors import SchemaError
from .xml_input import doctype_position, safe_parser


class _SandboxResolver(etree.Resolver):
    """Resolves schema documents only inside the allowed folders."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = [r.resolve() for r in roots]
        self.blocked: list[str] = []

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:
        parsed = urlparse(system_url)
        if parsed.scheme in ("", "file"):
            path = Path(unquote(parsed.path) if parsed.scheme else system_url)
            path = path.resolve()
            if any(path.is_relative_to(root) for root in self.roots) and path.is_file():
                return self.resolve_filename(str(path), context)
        self.blocked.append(system_url)
        return self.resolve_string("<blocked/>", context)


@dataclass
class XsdSchema:
    """A compiled XSD: ``engine`` is ``lxml`` (XSD 1.0) or ``xmlschema`` (XSD 1.1)."""

    path: Path
    version: str
    engine: str
    compiled: Any
    namespace: str | None
    standard: str | None = None
    requirement: str | None = None
    global_elements: frozenset[str] = field(default_factory=frozenset)


def compile_xsd(path: Path, version: str, roots: Sequence[Path]) -> XsdSchema:
    """Compile an XSD of the given version, loading nothing outside ``roots``."""
    position = doctype_position(path)
    if position is not None:
        raise SchemaError(
            f"{path}:{position[0]}: the XSD has a document type declaration; schema"
            " documents are read without DTDs or entities, so remove it"
        )
    if version == "1.1":
        return _compile_xmlschema(path, roots)
    resolver = _SandboxResolver(roots)
    parser = safe_parser()
    parser.resolvers.add(resolver)
    try:
        document = etree.parse(str(path), parser)
        compiled = etree.XMLSchema(document)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        if resolver.blocked:
            raise SchemaError(_blocked_message(path, resolver.blocked)) from None
        raise SchemaError(f"{path}: the XSD cannot be compiled: {exc}") from None
    if resolver.blocked:
        raise SchemaError(_blocked_message(path, resolver.blocked))
    root = document.getroot()
    namespace = root.get("targetNamespace")
    elements = frozenset(
        etree.QName(namespace, e.get("name")).text
        for e in root.iterfind("{http://www.w3.org/2001/XMLSchema}element")
        if e.get("name")
    )
    return XsdSchema(path, "1.0", "lxml", compiled, namespace, global_elements=elements)


def _blocked_message(path: Path, blocked: list[str]) -> str:
    listed = ", ".join(repr(b) for b in blocked)
    return (
        f"{path}: the XSD refers to {listed}, outside the registry; schema"
        " documents are only loaded from the registry (nothing from the network"
        " or elsewhere on disk)"
    )


def _compile_xmlschema(path: Path, roots: Sequence[Path]) -> XsdSchema:
    import warnings

    import xmlschema

    allowed = [r.resolve() for r in roots]
    blocked: list[str] = []

    def sandbox(url: str) -> str:
        # xmlschema's own "sandbox" mode only admits the importing schema's
        # folder, which would forbid importing another standard; this admits
        # exactly the registry (and a draft's folder) and records the rest.
        parsed = urlparse(url)
        if parsed.scheme in ("", "file"):
            target = Path(unquote(parsed.path) if parsed.scheme else url).resolve()
            if any(target.is_relative_to(root) for root in allowed):
                return url
        blocked.append(url)
        return (allowed[0] / ".blocked-by-conformance").as_uri()

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # failed imports are reported below
            compiled = xmlschema.XMLSchema11(
                str(path), allow="local", defuse="always", uri_mapper=sandbox
            )
    except (xmlschema.XMLSchemaException, OSError, etree.XMLSyntaxError) as exc:
        if blocked:
            raise SchemaError(_blocked_message(path, blocked)) from None
        first = str(exc).strip().split("\n", 1)[0]
        raise SchemaError(
            f"{path}: the XSD 1.1 schema cannot be compiled: {first}"
        ) from None
    if blocked:
        raise SchemaError(_blocked_message(path, blocked))
    elements = frozenset(compiled.elements[name].name for name in compiled.elements)
    return XsdSchema(
        path,
        "1.1",
        "xmlschema",
        compiled,
        compiled.target_namespace or None,
        global_elements=elements,
    )


# -- validation rules, named as in XML Schema Part 1 ------------------------

_FACETS = {
    "minlength": "minLength",
    "maxlength": "maxLength",
    "mininclusive": "minInclusive",
    "maxinclusive": "maxInclusive",
    "minexclusive": "minExclusive",
    "maxexclusive": "maxExclusive",
    "totaldigits": "totalDigits",
    "fractiondigits": "fractionDigits",
}
_LIBXML_SPECIAL = {
    "SCHEMAV_ELEMENT_CONTENT": "cvc-complex-type.2.4",
    "SCHEMAV_CVC_ELT_1": "cvc-elt.1",
    "SCHEMAV_NOROOT": "cvc-elt.1",
    "SCHEMAV_ISABSTRACT": "cvc-elt.2",
    "SCHEMAV_NOTNILLABLE": "cvc-elt.3.1",
    "SCHEMAV_CVC_ATTRIBUTE_3": "cvc-attribute.3",
    "SCHEMAV_CVC_IDC": "cvc-identity-constraint",
}


def libxml_rule(type_name: str) -> str:
    """``SCHEMAV_CVC_DATATYPE_VALID_1_2_1`` becomes ``cvc-datatype-valid.1.2.1``."""
    if type_name in _LIBXML_SPECIAL:
        return _LIBXML_SPECIAL[type_name]
    if not type_name.startswith("SCHEMAV_CVC_"):
        return type_name.lower()
    parts = type_name[len("SCHEMAV_CVC_") :].split("_")
    words = [p.lower() for p in parts if not p.isdigit()]
    numbers = [p for p in parts if p.isdigit()]
    words = [_FACETS.get(w, w) for w in words]
    return "cvc-" + "-".join(words) + "".join(f".{n}" for n in numbers)


_XMLSCHEMA_RULES = {
    "XsdPatternFacets": "cvc-pattern-valid",
    "XsdEnumerationFacets": "cvc-enumeration-valid",
    "XsdLengthFacet": "cvc-length-valid",
    "XsdMinLengthFacet": "cvc-minLength-valid",
    "XsdMaxLengthFacet": "cvc-maxLength-valid",
    "XsdMinInclusiveFacet": "cvc-minInclusive-valid",
    "XsdMaxInclusiveFacet": "cvc-maxInclusive-valid",
    "XsdMinExclusiveFacet": "cvc-minExclusive-valid",
    "XsdMaxExclusiveFacet": "cvc-maxExclusive-valid",
    "XsdTotalDigitsFacet": "cvc-totalDigits-valid",
    "XsdFractionDigitsFacet": "cvc-fractionDigits-valid",
    "XsdAssert": "cvc-assertion",
    "XsdAssertionFacet": "cvc-assertions-valid",
    "XsdAtomicBuiltin": "cvc-datatype-valid.1.2.1",
    "XsdAtomicRestriction": "cvc-datatype-valid.1.2.1",
    "XsdUnion": "cvc-datatype-valid.1.2.3",
    "XsdList": "cvc-datatype-valid.1.2.2",
    "XsdGroup": "cvc-complex-type.2.4",
    "XsdAttributeGroup": "cvc-complex-type.3.2.2",
    "XsdComplexType": "cvc-complex-type",
    "XsdElement": "cvc-elt.1",
    # libxml2 does not say which clause; both engines give the rule itself.
    "XsdUnique": "cvc-identity-constraint",
    "XsdKey": "cvc-identity-constraint",
    "XsdKeyref": "cvc-identity-constraint",
}
_MISSING_ATTRIBUTE = re.compile(r"missing required attribute", re.IGNORECASE)


def xmlschema_rule(error: Any) -> str:
    """The XSD rule an xmlschema validation error breaks."""
    name = type(error.validator).__name__
    if name == "XsdAttributeGroup" and _MISSING_ATTRIBUTE.search(error.reason or ""):
        return "cvc-complex-type.4"
    return _XMLSCHEMA_RULES.get(name, f"xsd:{name}")
