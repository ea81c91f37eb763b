"""Compiling XSDs: libxml2 (via lxml) for XSD 1.0, xmlschema for XSD 1.1.

Both load only files inside the registry (or a draft's own folder):
``xs:import`` and ``xs:include`` pointing elsewhere, or at the network,
make the schema fail to compile with a message naming the location.
:func:`load_xmlschema` gives the xmlschema component model of either XSD
version, for the JSON/XML conversion in :mod:`conformance.validation.bindings`.
"""

from __future__ import annotations

import re
import urllib.request
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.error import URLError
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from lxml import etree

from conformance.errors import SchemaError
from conformance.inputs.rules import XML_DTD
from conformance.inputs.xml_input import prolog_finding, safe_parser

if TYPE_CHECKING:
    from urllib.response import addinfourl

    from lxml.etree._docloader import _InputDocument
    from xmlschema import XMLSchemaBase, XMLSchemaValidationError


class _SandboxResolver(etree.Resolver):
    """Resolves schema documents only inside the allowed folders."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = [r.resolve() for r in roots]
        self.blocked: list[str] = []

    def resolve(
        self, system_url: str | None, public_id: str | None, context: object
    ) -> _InputDocument | None:
        system_url = system_url or ""
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
    compiled: etree.XMLSchema | XMLSchemaBase
    namespace: str | None
    standard: str | None = None
    requirement: str | None = None
    global_elements: frozenset[str] = field(default_factory=frozenset)


def compile_xsd(path: Path, version: str, roots: Sequence[Path]) -> XsdSchema:
    """Compile an XSD of the given version, loading nothing outside ``roots``."""
    _refuse_doctype(path)
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
    namespace = document.getroot().get("targetNamespace")
    elements = frozenset(_global_elements(document, namespace, roots))
    return XsdSchema(path, "1.0", "lxml", compiled, namespace, global_elements=elements)


_XS = "{http://www.w3.org/2001/XMLSchema}"


def _global_elements(
    document: etree._ElementTree[etree._Element],
    namespace: str | None,
    roots: Sequence[Path],
) -> set[str]:
    """Top-level elements of a schema document and of those it includes.

    An interface version's XSD may only ``xs:include`` the previous one, so
    its elements live in the included document (same namespace).
    """
    found: set[str] = set()
    pending = [document]
    seen: set[str] = set()
    allowed = [r.resolve() for r in roots]
    while pending:
        current = pending.pop()
        root = current.getroot()
        found.update(
            etree.QName(namespace, name).text
            for e in root.iterfind(f"{_XS}element")
            if (name := e.get("name"))
        )
        base = Path(current.docinfo.URL or "").parent
        for include in [
            *root.iterfind(f"{_XS}include"),
            *root.iterfind(f"{_XS}redefine"),
        ]:
            location = include.get("schemaLocation")
            if not location:
                continue
            target = (base / unquote(urlparse(location).path)).resolve()
            if str(target) in seen or not any(
                target.is_relative_to(a) for a in allowed
            ):
                continue
            seen.add(str(target))
            try:
                pending.append(etree.parse(str(target), safe_parser()))
            except (etree.XMLSyntaxError, OSError):
                continue
    return found


def _blocked_message(path: Path, blocked: list[str]) -> str:
    listed = ", ".join(repr(b) for b in blocked)
    return (
        f"{path}: the XSD refers to {listed}, outside the registry; schema"
        " documents are only loaded from the registry (nothing from the network"
        " or elsewhere on disk)"
    )


def _refuse_doctype(path: Path) -> None:
    problem = prolog_finding(path)
    if problem is None:
        return
    if problem.rule == XML_DTD[1]:
        raise SchemaError(
            f"{path}:{problem.line}: the XSD has a document type declaration;"
            " schema documents are read without DTDs or entities, so remove it"
        )
    raise SchemaError(f"{path}: {problem.message}")


class _SandboxFiles(urllib.request.FileHandler):
    """Opens ``file:`` URLs of files inside the allowed folders, records the rest."""

    def __init__(self, roots: Sequence[Path], blocked: list[str]) -> None:
        super().__init__()
        self.roots = roots
        self.blocked = blocked

    def file_open(self, req: urllib.request.Request) -> addinfourl:
        path = Path(url2pathname(urlparse(req.full_url).path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            self.blocked.append(req.full_url)
            raise URLError("outside the registry")
        if not path.is_file():
            # Never open a FIFO or device, even inside the registry.
            raise URLError("not a regular file")
        return super().file_open(req)


def load_xmlschema(path: Path, version: str, roots: Sequence[Path]) -> XMLSchemaBase:
    """An xmlschema schema of XSD ``version``, loading nothing outside ``roots``.

    ``XMLSchema11`` for ``"1.1"``, else ``XMLSchema10``; a :class:`SchemaError`
    names what cannot be loaded or compiled.
    """
    # Imported here: xmlschema takes ~120 ms to import and only XSD 1.1 and the
    # JSON/XML bindings need it, not every run that validates XML.
    import xmlschema

    _refuse_doctype(path)
    allowed = [r.resolve() for r in roots]
    blocked: list[str] = []

    def sandbox(url: str) -> str:
        # xmlschema's own "sandbox" mode only admits the main schema's folder,
        # which would forbid importing another standard. Here the opener below
        # judges every local file, once xmlschema has resolved a relative
        # location (xs:include hands it over unresolved) against its document;
        # anything else is only recorded: allow="local" refuses to fetch it.
        if urlparse(url).scheme not in ("", "file"):
            blocked.append(url)
        return url

    opener = urllib.request.OpenerDirector()
    # No handler for any other scheme: nothing can reach the network.
    opener.add_handler(_SandboxFiles(allowed, blocked))
    opener.add_handler(urllib.request.UnknownHandler())
    schema_class = xmlschema.XMLSchema11 if version == "1.1" else xmlschema.XMLSchema10
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # failed imports are reported below
            compiled = schema_class(
                str(path),
                allow="local",
                defuse="always",
                uri_mapper=sandbox,
                opener=opener,
            )
    except (xmlschema.XMLSchemaException, OSError, etree.XMLSyntaxError) as exc:
        if blocked:
            raise SchemaError(_blocked_message(path, blocked)) from None
        first = str(exc).strip().split("\n", 1)[0]
        raise SchemaError(
            f"{path}: the XSD {version} schema cannot be compiled: {first}"
        ) from None
    if blocked:
        raise SchemaError(_blocked_message(path, blocked))
    return compiled


def _compile_xmlschema(path: Path, roots: Sequence[Path]) -> XsdSchema:
    compiled = load_xmlschema(path, "1.1", roots)
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
_BROKEN_IDENTITY = re.compile(r"for Xsd(?:11)?(?:Unique|Key|Keyref)\(name=")


def xmlschema_rule(error: XMLSchemaValidationError) -> str:
    """The XSD rule an xmlschema validation error breaks.

    XSD 1.1 components are classes of their own (``Xsd11Group``), named
    like their 1.0 counterparts; a built-in type's range check is a plain
    function; a broken identity constraint is reported at the element it
    selects, naming the constraint in the reason.
    """
    name = type(error.validator).__name__.replace("Xsd11", "Xsd", 1)
    reason = error.reason or ""
    if name == "XsdAttributeGroup" and _MISSING_ATTRIBUTE.search(reason):
        return "cvc-complex-type.4"
    if name == "XsdElement" and _BROKEN_IDENTITY.search(reason):
        return "cvc-identity-constraint"
    if name == "function":
        return "cvc-datatype-valid.1.2.1"
    return _XMLSCHEMA_RULES.get(name, f"xsd:{name}")
