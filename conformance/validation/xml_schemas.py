"""Compiling XSDs: libxml2 (via lxml) for XSD 1.0, xmlschema for XSD 1.1.

Both load only files inside the registry (or a draft's own folder):
``xs:import`` and ``xs:include`` pointing elsewhere, or at the network,
make the schema fail to compile with a message naming the location.
A version may list several XSD documents (:func:`compile_xsd_set`): they
are compiled together, and an element of any of them, or of a schema they
import, may be the root of a document.
:func:`load_xmlschema` gives the xmlschema component model of either XSD
version, for the JSON/XML conversion in :mod:`conformance.validation.bindings`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from lxml import etree

from conformance.errors import SchemaError
from conformance.inputs.rules import XML_DTD
from conformance.inputs.xml_input import prolog_finding, safe_parser
from conformance.interrupts import Callbacks

if TYPE_CHECKING:
    from lxml.etree._docloader import _InputDocument
    from xmlschema import XMLSchemaBase, XMLSchemaValidationError


def _set_up_libxml2_schema_types() -> None:
    """Have libxml2 set up its built-in schema types now, in one thread.

    libxml2 2.12 and later do it on the first schema they parse, without a
    lock (libxml2 issue 930): threads parsing their first schemas at once
    (a worker's service threads, each compiling its service's XSD) failed
    with "Internal error: xmlSchemaPValAttrNodeValue, the given type is not
    a built-in type" or "Document is not valid XML Schema", or crashed the
    process. Every XSD of the suite is compiled through this module, so
    done at its import, it is done before any thread can compile one (a
    forked process inherits it).
    """
    etree.XMLSchema(
        etree.XML(b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    )


_set_up_libxml2_schema_types()


class _SandboxResolver(etree.Resolver):
    """Resolves schema documents only inside the allowed folders."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__()
        self.roots = [r.resolve() for r in roots]
        self.blocked: list[str] = []
        self.callbacks = Callbacks()

    def resolve(
        self, system_url: str | None, public_id: str | None, context: object
    ) -> _InputDocument | None:
        with self.callbacks.noting():
            return self._resolve(system_url or "", context)

    def _resolve(self, system_url: str, context: object) -> _InputDocument | None:
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
    # The elements a payload of the standard may start with: those of the
    # listed documents' own namespaces (ER-XML-4).
    global_elements: frozenset[str] = field(default_factory=frozenset)
    # Every document the schema was compiled from, ``path`` first.
    paths: tuple[Path, ...] = ()
    # Every global element the compiled schema knows, imported ones too (an
    # x-xsd-element may name them), with the document declaring it, so that
    # an error inside an imported element names the document it breaks.
    declared_in: dict[str, Path] = field(default_factory=dict)

    @property
    def all_elements(self) -> frozenset[str]:
        """Every global element, of the listed documents and of what they import."""
        return frozenset(self.declared_in) | self.global_elements

    def document_of(self, element: str) -> Path:
        """The schema document declaring a global element (``path`` if unknown)."""
        return self.declared_in.get(element, self.path)


def compile_xsd(path: Path, version: str, roots: Sequence[Path]) -> XsdSchema:
    """Compile an XSD of the given version, loading nothing outside ``roots``."""
    return compile_xsd_set((path,), version, roots)


def compile_xsd_set(
    paths: Sequence[Path], version: str, roots: Sequence[Path]
) -> XsdSchema:
    """Compile several XSD documents of one version together.

    Their global elements, and those of every schema they import or include,
    are the roots a document may have. Each document is named by its own
    ``targetNamespace``; two listed documents of one namespace are refused
    (libxml2 would silently keep only the first): list one, and let it
    ``xs:include`` the other.
    """
    if not paths:
        raise SchemaError("no XSD document to compile")
    for path in paths:
        _refuse_doctype(path)
    _refuse_shared_namespaces(paths)
    if version == "1.1":
        return _compile_xmlschema(paths, roots)
    resolver = _SandboxResolver(roots)
    parser = safe_parser()
    parser.resolvers.add(resolver)
    first = paths[0]
    where = first if len(paths) == 1 else ", ".join(str(p) for p in paths)
    try:
        # lxml makes a Ctrl-C inside the resolver a schema that fails to
        # compile: raised as such once lxml is done.
        with resolver.callbacks:
            if len(paths) == 1:
                document = etree.parse(str(first), parser)
            else:
                document = _wrapper(paths, parser)
            compiled = etree.XMLSchema(document)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError, OSError) as exc:
        if resolver.blocked:
            raise SchemaError(_blocked_message(first, resolver.blocked)) from None
        raise SchemaError(f"{where}: the XSD cannot be compiled: {exc}") from None
    if resolver.blocked:
        raise SchemaError(_blocked_message(first, resolver.blocked))
    declared = _global_elements(paths, roots)
    return XsdSchema(
        first,
        "1.0",
        "lxml",
        compiled,
        target_namespace_of(first),
        global_elements=_own(declared, paths),
        paths=tuple(paths),
        declared_in=declared,
    )


def _own(declared: dict[str, Path], paths: Sequence[Path]) -> frozenset[str]:
    """The declared elements in the namespace of one of the listed documents."""
    namespaces = {target_namespace_of(p) for p in paths}
    return frozenset(
        name for name in declared if (etree.QName(name).namespace or None) in namespaces
    )


def _wrapper(
    paths: Sequence[Path], parser: etree.XMLParser
) -> etree._ElementTree[etree._Element]:
    """A schema document that imports each listed one (includes one without a
    namespace), placed beside the first so relative locations stay inside."""
    xs = "http://www.w3.org/2001/XMLSchema"
    root = etree.Element(f"{{{xs}}}schema", nsmap={"xs": xs})
    for path in paths:
        namespace = target_namespace_of(path)
        location = path.resolve().as_uri()
        if namespace is None:
            etree.SubElement(root, f"{{{xs}}}include", schemaLocation=location)
        else:
            etree.SubElement(
                root,
                f"{{{xs}}}import",
                namespace=namespace,
                schemaLocation=location,
            )
    base = paths[0].resolve().parent / "(listed schemas).xsd"
    return etree.fromstring(
        etree.tostring(root), parser, base_url=base.as_uri()
    ).getroottree()


def target_namespace_of(path: Path) -> str | None:
    """The ``targetNamespace`` of a schema document (``None`` if it has none)."""
    try:
        root = etree.parse(str(path), safe_parser()).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise SchemaError(f"{path}: not a readable XSD: {exc}") from None
    return root.get("targetNamespace") or None


def _refuse_shared_namespaces(paths: Sequence[Path]) -> None:
    by_namespace: dict[str | None, Path] = {}
    for path in paths:
        namespace = target_namespace_of(path)
        other = by_namespace.get(namespace)
        if other is not None and other.resolve() != path.resolve():
            raise SchemaError(
                f"{path}: lists a second XSD document for the namespace"
                f" {namespace or '(none)'!r} (after {other.name}); list one"
                " document per namespace and let it xs:include the other"
            )
        by_namespace[namespace] = path


_XS = "{http://www.w3.org/2001/XMLSchema}"


def _global_elements(paths: Sequence[Path], roots: Sequence[Path]) -> dict[str, Path]:
    """Top-level elements of schema documents and of those they include or import,
    each with the document declaring it.

    An interface version's XSD may ``xs:include`` the previous one (same
    namespace), and a record's XSD may import another namespace's (an
    exception report): both are elements a document may start with.
    """
    found: dict[str, Path] = {}
    pending = [p.resolve() for p in reversed(paths)]
    seen: set[Path] = set()
    allowed = [r.resolve() for r in roots]
    while pending:
        path = pending.pop()
        if path in seen or not any(path.is_relative_to(a) for a in allowed):
            continue
        seen.add(path)
        try:
            root = etree.parse(str(path), safe_parser()).getroot()
        except (etree.XMLSyntaxError, OSError):
            continue  # compiling has reported it
        namespace = root.get("targetNamespace") or None
        for element in root.iterfind(f"{_XS}element"):
            if name := element.get("name"):
                found.setdefault(etree.QName(namespace, name).text, path)
        # An included document takes the includer's namespace (a "chameleon"
        # include has none of its own); an imported one keeps its own.
        for kind in ("include", "redefine", "override", "import"):
            for reference in root.iterfind(f"{_XS}{kind}"):
                location = reference.get("schemaLocation")
                if location and urlparse(location).scheme in ("", "file"):
                    target = path.parent / unquote(urlparse(location).path)
                    pending.append(target.resolve())
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


def load_xmlschema(
    path: Path,
    version: str,
    roots: Sequence[Path],
    *,
    also: Sequence[Path] = (),
) -> XMLSchemaBase:
    """An xmlschema schema of XSD ``version``, loading nothing outside ``roots``.

    ``XMLSchema11`` for ``"1.1"``, else ``XMLSchema10``; ``also`` names more
    documents compiled with ``path`` (a version's other listed XSDs). A
    :class:`SchemaError` names what cannot be loaded or compiled.
    """
    # Imported here: xmlschema takes ~120 ms to import and only XSD 1.1 and the
    # JSON/XML bindings need it, not every run that validates XML.
    import xmlschema

    from conformance.validation import xsd_cache
    from conformance.validation.xsd_sandbox import RecordOtherSchemes, sandbox_opener

    allowed = [r.resolve() for r in roots]
    kept = xsd_cache.load(path, version, allowed, also)
    if kept is not None:
        return kept
    for document in (path, *also):
        _refuse_doctype(document)
    blocked: list[str] = []
    opener = sandbox_opener(allowed, blocked)
    schema_class = xmlschema.XMLSchema11 if version == "1.1" else xmlschema.XMLSchema10
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # failed imports are reported below
            compiled = schema_class(
                [str(p) for p in (path, *also)] if also else str(path),
                allow="local",
                defuse="always",
                uri_mapper=RecordOtherSchemes(blocked),
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
    xsd_cache.store(path, version, allowed, also, compiled)
    return compiled


def _compile_xmlschema(paths: Sequence[Path], roots: Sequence[Path]) -> XsdSchema:
    import urllib.request

    compiled = load_xmlschema(paths[0], "1.1", roots, also=paths[1:])
    allowed = [r.resolve() for r in roots]
    declared: dict[str, Path] = {}
    # The global maps also hold the XSD meta-schemas; only the registry's own
    # documents (the listed ones and what they import) declare roots.
    for name, component in compiled.maps.elements.items():
        url = getattr(getattr(component, "schema", None), "url", None)
        if not url or not name:
            continue
        where = Path(urllib.request.url2pathname(urlparse(url).path)).resolve()
        if any(where.is_relative_to(a) for a in allowed):
            declared.setdefault(name, where)
    return XsdSchema(
        paths[0],
        "1.1",
        "xmlschema",
        compiled,
        compiled.target_namespace or None,
        global_elements=_own(declared, paths),
        paths=tuple(paths),
        declared_in=declared,
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


_LIBXML_RULES: dict[str, str] = {}
"""The rules of the libxml2 error types met so far (a few dozen exist)."""


def libxml_rule(type_name: str) -> str:
    """``SCHEMAV_CVC_DATATYPE_VALID_1_2_1`` becomes ``cvc-datatype-valid.1.2.1``."""
    try:
        return _LIBXML_RULES[type_name]
    except KeyError:
        rule = _LIBXML_RULES[type_name] = _libxml_rule(type_name)
        return rule


def _libxml_rule(type_name: str) -> str:
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
