"""Validating XML payloads: the one entry point is :func:`validate_xml`.

XSD 1.0 standards are checked by libxml2, which both decides and locates
errors at native speed; XSD 1.1 standards (assertions) by xmlschema.
Files too large to hold in memory are streamed (:func:`validate_xml_file`).
"""

from __future__ import annotations

import contextlib
import copy
import re
import threading
from collections import Counter, deque
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, NamedTuple, cast
from xml.etree import ElementTree

from lxml import etree

from conformance.errors import SchemaError
from conformance.inputs.caps import DEFAULT_MAX_FINDINGS, FindingCap
from conformance.inputs.excerpts import cap_quoted, quoted
from conformance.inputs.rules import EXCHANGE_RULES, XML_UNKNOWN_ROOT
from conformance.inputs.xml_input import (
    DEFAULT_LIMITS,
    MAX_CHUNK,
    PathNamer,
    XmlLimits,
    parse_xml,
    prolog_finding,
    readable_path,
    safe_parser,
    schema_location_notes,
    syntax_finding,
)
from conformance.model import Finding, Severity
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.validation.xml_schemas import (
    XsdSchema,
    compile_xsd,
    compile_xsd_set,
    libxml_rule,
    xmlschema_rule,
)

if TYPE_CHECKING:
    from xmlschema import XMLResource, XMLSchemaBase, XMLSchemaValidationError
    from xmlschema.aliases import ElementType, IOType
    from xmlschema.validators import XsdComplexType, XsdElement, XsdSimpleType

    _Tree = etree._ElementTree[etree._Element]
    _EventName = Literal["start", "end", "comment", "pi", "start-ns", "end-ns"]

# A namespace in Clark notation is a URI in braces; a regex quantifier ({7})
# or a value set in a message is not, and must survive.
_CLARK = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^{}\s]*\}")
_LINES_KEPT = 65535
"""libxml2 keeps a node's line in 16 bits: this one or any past it is
written as this one."""
STREAM_THRESHOLD = 16 * 1024 * 1024
"""Files larger than this are validated as a stream, in bounded memory."""


def _tidy(message: str) -> str:
    # libxml2 names elements in Clark notation; the namespace is noise to a
    # reader. Quoted values are capped: libxml2 and xmlschema quote them whole.
    return cap_quoted(_CLARK.sub("", message).strip())


def xml_validator(registry: Registry, standard: StandardVersion) -> XsdSchema:
    """The compiled XSDs of a standard's XML binding, built once per process.

    A binding listing several documents gives one schema of them all.
    """
    if standard.xml is None:
        raise SchemaError(f"{standard.ref} has no XML binding")
    binding = standard.xml

    def build() -> XsdSchema:
        schema = compile_xsd_set(
            binding.documents, binding.xsd_version or "1.0", list(registry.roots)
        )
        schema.standard = standard.ref
        schema.requirement = binding.requirement
        return schema

    return registry.cached(("xml", standard.ref), build)


def xml_validator_for_file(path: Path, registry: Registry | None) -> XsdSchema:
    """A compiled draft XSD outside any registry; it may import registry XSDs."""
    version = _declared_xsd_version(path)
    roots = [path.resolve().parent]
    if registry is not None:
        roots.extend(registry.roots)
    return compile_xsd(path, version, roots)


def _declared_xsd_version(path: Path) -> str:
    # An XSD 1.1 draft says so with vc:minVersion="1.1" on its root.
    try:
        root = etree.parse(str(path), safe_parser()).getroot()
    except (etree.XMLSyntaxError, OSError) as exc:
        raise SchemaError(f"{path}: not a readable XSD: {exc}") from None
    minimum = root.get("{http://www.w3.org/2007/XMLSchema-versioning}minVersion")
    return "1.1" if minimum == "1.1" else "1.0"


def validate_xml(
    data: bytes,
    schema: XsdSchema,
    *,
    limits: XmlLimits = DEFAULT_LIMITS,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    roots: Collection[str] | None = None,
) -> list[Finding]:
    """Validate one XML document against a compiled XSD; never raises on bad input.

    ``roots`` (Clark names) are the elements the document may start with:
    by default the schema's own global elements (ER-XML-4); a reply
    documented as elements of an imported schema names them. Past
    ``max_findings``, the rest are counted in one final finding.
    """
    cap = FindingCap(max_findings)
    check_xml(data, schema, cap, limits=limits, roots=roots)
    return cap.findings()


def check_xml(
    data: bytes,
    schema: XsdSchema,
    cap: FindingCap,
    *,
    limits: XmlLimits = DEFAULT_LIMITS,
    roots: Collection[str] | None = None,
) -> None:
    """:func:`validate_xml`, giving the findings to ``cap``."""
    parsed = parse_xml(data, limits=limits)
    cap.extend(parsed.findings)
    if parsed.ok and parsed.tree is not None:
        _check_tree(parsed.tree, schema, cap, roots)


def validate_tree(
    tree: _Tree, schema: XsdSchema, *, max_findings: int = DEFAULT_MAX_FINDINGS
) -> list[Finding]:
    """Findings for an already parsed document."""
    cap = FindingCap(max_findings)
    _check_tree(tree, schema, cap)
    return cap.findings()


def check_tree(tree: _Tree, schema: XsdSchema, cap: FindingCap) -> None:
    """:func:`validate_tree`, giving the findings to ``cap``."""
    _check_tree(tree, schema, cap)


def _check_tree(
    tree: _Tree,
    schema: XsdSchema,
    cap: FindingCap,
    roots: Collection[str] | None = None,
) -> None:
    root = tree.getroot()
    allowed = schema.global_elements if roots is None else roots
    if root.tag not in allowed:
        cap.add(_unknown_root(root, schema, allowed))
        return
    compiled = schema.compiled
    if isinstance(compiled, etree.XMLSchema):  # the engine is lxml
        if compiled.validate(tree):
            return
        # Errors inside an imported element name the document declaring it.
        document = schema.document_of(str(root.tag)).name
        log = compiled.error_log
        # libxml2 has logged every error; only those kept are located.
        namer = PathNamer()
        room = cap.room
        known = _Prefixes(tree)
        cap.extend(
            _from_libxml(entry, tree, schema, namer, document=document, known=known)
            for entry in islice(log, room)
        )
        cap.omit(Severity.ERROR, max(len(log) - room, 0))
        return
    document = schema.document_of(str(root.tag)).name
    _xmlschema_findings(tree, schema, compiled, cap, document=document)


def _xmlschema_findings(
    source: _Tree | XMLResource,
    schema: XsdSchema,
    compiled: XMLSchemaBase,
    cap: FindingCap,
    *,
    document: str | None = None,
) -> None:
    """xmlschema's errors as findings, kept even if it stops on a value.

    xmlschema (through elementpath) raises OverflowError on a date whose
    year Python cannot hold (a year of hundreds of digits) instead of
    reporting it; the findings so far are kept and the value is reported.
    Its errors come one at a time: past the cap they are only counted.
    """
    namer = PathNamer()
    try:
        for error in compiled.iter_errors(
            # xmlschema reads lxml trees, but its element protocols do not
            # match the lxml stubs' signatures.
            source,  # type: ignore[arg-type]
            use_location_hints=False,
            extra_validator=_strict_lexical_form,
        ):
            if cap.room:
                cap.add(_from_xmlschema(error, schema, namer, document))
            else:
                cap.omit(Severity.ERROR)
    except ArithmeticError as exc:
        cap.add(_unrepresentable(source, schema, exc))


# The lexical forms of XSD's numeric and boolean types, with nothing but
# XML white space (space, tab, line feed, carriage return) around them.
_LEXICAL = {
    "decimal": re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"),
    "double": re.compile(
        r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([Ee][+-]?[0-9]+)?|[+-]?INF|NaN"
    ),
    "boolean": re.compile(r"true|false|1|0"),
}
_LEXICAL["float"] = _LEXICAL["double"]


def _strict_lexical_form(
    element: ElementType, declaration: XsdElement
) -> Iterator[XMLSchemaValidationError]:
    """Numbers and booleans as XSD writes them, which xmlschema does not check.

    xmlschema (through elementpath and Python's int and float) takes any
    Unicode white space around a number or a boolean, spaces inside a
    decimal (``2 500`` is 2500) and, in attributes, digits of other scripts
    (``١٢``); XSD allows only ASCII digits and its four white-space
    characters, around the value. libxml2, which validates XSD 1.0, refuses
    them; this brings XSD 1.1 validation in line, for element content and
    attribute values alike.
    """
    xsd_type = declaration.type
    attributes = getattr(xsd_type, "attributes", None) or {}
    for name, value in element.attrib.items():
        attribute = attributes.get(name)
        if attribute is not None:
            yield from _lexical_errors(
                element, attribute.type, value, f"attribute {name}"
            )
    if xsd_type.is_complex():
        complex_type = cast("XsdComplexType", xsd_type)  # as is_complex() says
        if not complex_type.has_simple_content():
            return
        simple = cast("XsdSimpleType", complex_type.content)  # simple content
    else:
        simple = cast("XsdSimpleType", xsd_type)
    if not len(element):
        yield from _lexical_errors(element, simple, element.text or "", "")


def _lexical_errors(
    element: ElementType, simple: XsdSimpleType, value: str, what: str
) -> Iterator[XMLSchemaValidationError]:
    primitive = getattr(getattr(simple, "primitive_type", None), "local_name", None)
    pattern = _LEXICAL.get(primitive or "")
    if pattern is None:
        return
    text = value.strip(" \t\n\r")
    # A value xmlschema refuses itself is reported once, by xmlschema.
    if not pattern.fullmatch(text) and simple.is_valid(value):
        # Imported here: xmlschema (~120 ms) is not loaded for XSD 1.0 alone,
        # and this only runs inside its own validation.
        from xmlschema import XMLSchemaValidationError

        yield XMLSchemaValidationError(
            # xmlschema types a validator callable as taking one argument, but
            # any function serves: the error only names it, and xmlschema_rule
            # reads a function as a datatype check.
            _strict_lexical_form,  # type: ignore[arg-type]
            element,
            reason=f"{what + ' ' if what else ''}{quoted(text)} is not a valid"
            f" xs:{primitive}: XSD allows only space, tab, line feed and carriage"
            " return around a value, and nothing inside a number but its ASCII"
            " digits, sign, point and exponent",
        )


_HUGE_YEAR = re.compile(r"\s*-?[0-9]{5,}-")


def _unrepresentable(
    source: _Tree | XMLResource, schema: XsdSchema, exc: ArithmeticError
) -> Finding:
    element = None
    if isinstance(source, etree._ElementTree):  # a streamed file is not re-read
        element = next(
            (
                e
                for e in source.iter()
                if isinstance(e.tag, str) and _HUGE_YEAR.match(e.text or "")
            ),
            None,
        )
    where = readable_path(element) if element is not None else None
    value = f" {quoted((element.text or '').strip())}" if element is not None else ""
    return Finding(
        message=(
            f"a date or time value{value} has a year too large to check"
            f" ({exc}); the validator stopped there, so later errors in the"
            " document are not reported: write a year of at most four digits"
        ),
        rule="cvc-datatype-valid",
        xpath=where,
        line=getattr(element, "sourceline", None),
        schema_location=schema.path.name,
        requirement=schema.requirement,
        standard=schema.standard,
    )


def _unknown_root(
    root: etree._Element, schema: XsdSchema, allowed: Collection[str]
) -> Finding:
    qname = etree.QName(root)
    if allowed is schema.global_elements:
        expected = ", ".join(sorted(_CLARK.sub("", e) for e in allowed))
        message = (
            f"the root element {quoted(qname.localname)} in namespace"
            f" {quoted(qname.namespace or '(none)')} is not declared by"
            f" {schema.standard or schema.path.name} (namespace"
            f" {quoted(schema.namespace or '(none)')}); expected one of: {expected}"
        )
    else:
        # The caller names the elements expected here (an interface's
        # documented reply elements), each with its namespace.
        message = (
            f"the root element {{{qname.namespace or ''}}}{qname.localname} is not"
            f" one of the elements expected here: {', '.join(sorted(allowed))}"
        )
    return Finding(
        message=message,
        rule=XML_UNKNOWN_ROOT[1],
        xpath="/" + qname.localname,
        line=root.sourceline,
        requirement=XML_UNKNOWN_ROOT[0],
        standard=EXCHANGE_RULES,
    )


def _node_for(
    entry: etree._LogEntry, tree: _Tree, known: _Prefixes | None = None
) -> etree._Element | None:
    """The element a libxml2 error is about, looked up by the error's path.

    libxml2 writes the path with the prefixes the document itself uses,
    wherever they are declared: an element of an imported schema often
    declares its own (``<ows:ExceptionReport xmlns:ows=...>`` inside a
    record), so every prefix of the document is offered, the first
    declaration of each winning. Should a prefix be bound twice to
    different namespaces and the path then miss, its longest prefix that
    names an element is the location: coarser, never empty.
    """
    if not entry.path:
        return None
    found = _lookup(
        tree, entry.path, {k: v for k, v in tree.getroot().nsmap.items() if k}
    )
    if found is not None:
        return found
    prefixes = (known or _Prefixes(tree)).every()
    steps = entry.path.split("/")
    while len(steps) > 1:
        found = _lookup(tree, "/".join(steps), prefixes)
        if found is not None:
            return found
        steps.pop()
    return None


class _Prefixes:
    """Every prefix a document declares, the first declaration winning.

    Found once per validated document, and only when an error path needs
    more than the root's prefixes: a document with thousands of errors asks
    for them on each.
    """

    def __init__(self, tree: _Tree) -> None:
        self.tree = tree
        self._every: dict[str, str] | None = None
        self._one_each: bool | None = None

    def one_per_namespace(self) -> bool:
        """Whether each namespace is written with one prefix (or none) only.

        libxml2 tells same-named siblings apart by their prefixes, a
        readable path by their namespaces: they agree when this holds.
        """
        if self._one_each is None:
            # The declarations themselves, as libxml2 keeps them on each
            # element, in C: every element's nsmap (its namespaces in scope,
            # gathered from its ancestors) was most of a failing file's cost.
            # Undeclaring the default namespace (xmlns="") binds nothing.
            declared = cast(
                "Iterable[tuple[str, tuple[str, str]]]",
                etree.iterwalk(self.tree, events=("start-ns",)),
            )
            prefixes: dict[str, str] = {}
            self._one_each = all(
                prefixes.setdefault(uri, prefix) == prefix
                for _, (prefix, uri) in declared
                if uri
            )
        return self._one_each

    def every(self) -> dict[str, str]:
        if self._every is None:
            found: dict[str, str] = {}
            for element in self.tree.iter():
                if isinstance(element.tag, str):
                    for prefix, uri in element.nsmap.items():
                        if prefix and uri:
                            found.setdefault(prefix, uri)
            self._every = found
        return self._every


_XPATHS: dict[tuple[str, tuple[tuple[str, str], ...]], etree.XPath] = {}
_XPATHS_KEPT = 512


def _lookup(tree: _Tree, path: str, prefixes: dict[str, str]) -> etree._Element | None:
    # The same few paths come back in every failing record: each is compiled
    # once (a document's own paths are few; the cache is bounded all the same).
    key = (path, tuple(sorted(prefixes.items())))
    try:
        compiled = _XPATHS.get(key)
        if compiled is None:
            if len(_XPATHS) >= _XPATHS_KEPT:
                _XPATHS.clear()
            compiled = _XPATHS[key] = etree.XPath(path, namespaces=prefixes)
        nodes = compiled(tree)
    except etree.XPathError:
        return None
    if isinstance(nodes, list) and nodes and isinstance(nodes[0], etree._Element):
        return nodes[0]
    return None


# A libxml2 error path of element names alone, each maybe prefixed: no
# position (libxml2 writes "[2]" where an element has same-named siblings),
# no attribute, text or other node.
_PLAIN_PATH = re.compile(r"(?:/(?:[^\W\d][\w.-]*:)?[^\W\d][\w.-]*)+")


def _plain_path(path: str | None) -> str | None:
    """The readable path (:class:`PathNamer`'s) of a libxml2 error path that
    names elements alone, read from the path itself; else ``None``.

    libxml2 numbers an element among its siblings of the same name and
    namespace only when there are several, as the readable path does: with
    no number in the path, the readable path is its local names.
    """
    if not path or not _PLAIN_PATH.fullmatch(path):
        return None
    return "/" + "/".join(step.rpartition(":")[2] for step in path[1:].split("/"))


def _from_libxml(
    entry: etree._LogEntry,
    tree: _Tree,
    schema: XsdSchema,
    namer: PathNamer | None = None,
    *,
    xpath: str | None = None,
    line: int | None = None,
    document: str | None = None,
    known: _Prefixes | None = None,
) -> Finding:
    if xpath is None and known is not None and known.one_per_namespace():
        xpath = _plain_path(entry.path)
    if xpath is None:
        node = _node_for(entry, tree, known)
        if node is None:
            xpath = None
        else:
            xpath = namer.path(node) if namer else readable_path(node)
    return Finding(
        message=_tidy(entry.message),
        rule=libxml_rule(entry.type_name),
        xpath=xpath,
        line=line or entry.line or None,
        column=entry.column or None,
        schema_location=document or schema.path.name,
        requirement=schema.requirement,
        standard=schema.standard,
    )


def _from_xmlschema(
    error: XMLSchemaValidationError,
    schema: XsdSchema,
    namer: PathNamer,
    document: str | None = None,
) -> Finding:
    element = error.elem
    line = getattr(element, "sourceline", None) if element is not None else None
    reason = error.reason or error.message
    # An lxml element knows its parent.
    xpath = namer.path(element) if isinstance(element, etree._Element) else error.path
    message = reason
    if error.obj is not None and not isinstance(error.obj, etree._Element):
        message = f"{reason} (value {quoted(str(error.obj))})"
    return Finding(
        message=_tidy(message),
        rule=xmlschema_rule(error),
        xpath=xpath,
        line=line,
        schema_location=document or schema.path.name,
        requirement=schema.requirement,
        standard=schema.standard,
    )


def validate_xml_file(
    path: Path, schema: XsdSchema, *, max_findings: int = DEFAULT_MAX_FINDINGS
) -> list[Finding]:
    """Validate an XML file; large files are streamed in bounded memory.

    Past ``max_findings``, the rest are counted in one final finding.
    """
    cap = FindingCap(max_findings)
    check_xml_file(path, schema, cap)
    return cap.findings()


def check_xml_file(path: Path, schema: XsdSchema, cap: FindingCap) -> None:
    """:func:`validate_xml_file`, giving the findings to ``cap``."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        cap.add(syntax_finding(f"cannot read {path}: {exc.strerror}", None, None))
        return
    if size <= STREAM_THRESHOLD:
        check_xml(path.read_bytes(), schema, cap, limits=XmlLimits(max(size, 1)))
        return
    problem = prolog_finding(path)
    if problem is not None:
        cap.add(problem)
        return
    compiled = schema.compiled
    if not isinstance(compiled, etree.XMLSchema):  # the engine is xmlschema
        _stream_xmlschema(path, schema, compiled, cap)
    else:
        _stream_libxml(path, schema, compiled, cap)


class _Counting(etree.PyErrorLog):
    """Counts the errors libxml2 reports in this thread, as they come."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def receive(self, log_entry: etree._LogEntry) -> None:
        self.count += 1


class _ChunkReader:
    """A file read in small chunks for the parser, noting the errors so far
    as each chunk is asked for.

    lxml's ``iterparse`` parses a whole chunk before it gives the chunk's
    events: when a record's end comes, every error of that record has been
    logged, and so may those of what follows it in the same chunk. With
    ``ends`` (the records' end tags as the document writes them), a chunk
    stops right after the next record's end tag: the errors logged by then
    are that record's or those of records before it, so a sound record is
    not validated again for its successor's error.
    """

    def __init__(
        self,
        handle: BinaryIO,
        counter: _Counting,
        *,
        filtered: bool = False,
        ends: tuple[bytes, ...] = (),
    ) -> None:
        self.handle = handle
        self.counter = counter
        self.before = 0
        """The errors logged before the last chunk was asked for: none of
        them can be of a record that ends after it began."""
        self.filtered = filtered
        self.ends = ends
        self.buffer = b""
        """Bytes read ahead of the parser, to find the next record's end in."""
        self.offset = 0
        """Where in ``buffer`` the parser's next chunk starts."""
        self.read_bytes = 0
        self.last_record = 0
        """How many bytes had been read when the last record seen ended."""
        self.eof = False
        """Whether the parser asked for more past the file's end."""
        self.size = 0
        """Bytes read at once if more than the parser asks for: once no
        record is validated again (the findings are full), small chunks
        only cost time."""
        self.prune: etree._Element | None = None
        """Once no record is validated again, the root: each of its children
        but the last (which may be unfinished) is dropped as a chunk is
        asked for, the stream's events no longer coming to Python."""

    def read(self, size: int = -1, /) -> bytes:
        root = self.prune
        if root is not None:
            if len(root) > 1:
                del root[:-1]
        elif self.filtered and self.read_bytes - self.last_record > _UNSEEN_BYTES:
            # Children the tag filter hides pile up under the root until a
            # record it shows ends: past this, stream without the filter.
            raise _Unfiltered
        self.before = self.counter.count
        if self.ends and not self.size:
            # Through the next record's end tag when one comes within
            # _ALIGN_BYTES, else ``size`` bytes (once per record: inline).
            start = self.offset
            buffer = self.buffer
            if len(buffer) - start < _ALIGN_BYTES:
                buffer = self.buffer = buffer[start:] + self.handle.read(_READ_AHEAD)
                start = 0
            stop = _end_tag_end(buffer, self.ends, start, start + _ALIGN_BYTES)
            if stop < 0:
                stop = start + (size if size > 0 else _STREAM_CHUNK)
            self.offset = stop
            data = buffer[start:stop]
        elif self.offset < len(self.buffer):
            data = self.buffer[self.offset :]
            self.buffer, self.offset = b"", 0
        else:
            data = self.handle.read(max(size, self.size))
        self.read_bytes += len(data)
        if not data:
            self.eof = True
        return data


def _end_tag_end(data: bytes, ends: tuple[bytes, ...], start: int, stop: int) -> int:
    """Just past the first end tag in ``data[start:stop]`` that opens with one
    of ``ends`` (``b"</name"``), or -1. Found with ``bytes.find``: a regular
    expression cost more than the rest of the reading."""
    first = -1
    for opening in ends:
        at = data.find(opening, start, stop)
        while at >= 0:
            close = at + len(opening)
            if close >= stop or data[close] != _GT:  # not plain "</name>"
                close = data.find(b">", close, stop)
                if close < 0:
                    break
                if data[at + len(opening) : close].strip():  # "</nameX>"
                    at = data.find(opening, at + 1, stop)
                    continue
            if first < 0 or close < first:
                first = close + 1
            break
    return first


_GT = ord(">")


_STREAM_CHUNK = 512
"""Bytes parsed at once when streaming and no record's end tag comes soon
(a chunk otherwise ends at one): a record is validated again when an error
was logged in its chunks, so smaller chunks spare more records."""
_PEEK_BYTES = 256 * 1024
"""How much of a large document is read first to learn its records' tags."""
_UNSEEN_BYTES = 4 * 1024 * 1024
"""Bytes parsed with no record of a learnt tag ending before the stream
starts again without the tag filter (which bounds memory as before)."""
_FULL_CHUNK = 64 * 1024
"""Bytes parsed at once when no record will be validated again."""
_ALIGN_BYTES = 16 * 1024
"""How far ahead a record's end tag is looked for to end a chunk at."""
_READ_AHEAD = 64 * 1024
"""Bytes read from the file at once while chunks end at records' ends."""


class _Unfiltered(Exception):
    """The tag filter hides too much of this document: stream it without."""


class _Learnt(NamedTuple):
    """What the first part of a large document says about its records."""

    tags: frozenset[str]
    """The tags of the root and of its children there."""
    ends: tuple[bytes, ...]
    """How the records' end tags open, as the document writes them (with
    its prefixes): ``b"</per:Person"``."""


def _record_tags(path: Path) -> _Learnt | None:
    """The tags of the root and of its children in the first part of a
    document (the root's end tells the stream the document is whole).

    ``None`` when no child ends there (a record larger than the part, or a
    document that is not well-formed there): stream with no filter.
    """
    tags: set[str] = set()
    written: set[str] = set()
    root: str | None = None
    with path.open("rb") as handle:
        head = handle.read(_PEEK_BYTES)
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        collect_ids=False,
    )
    depth = 0
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(head)
        for event, element in parser.read_events():
            if event == "start":
                if depth == 0 and isinstance(element.tag, str):
                    root = element.tag
                depth += 1
                continue
            depth -= 1
            if depth == 1 and isinstance(element.tag, str):
                tags.add(element.tag)
                written.add(_as_written(element))
    if not tags or root is None:
        return None
    return _Learnt(
        frozenset({*tags, root}),
        tuple(f"</{name}".encode() for name in sorted(written)),
    )


def _as_written(element: etree._Element) -> str:
    """An element's name as its tags write it: prefix and local name."""
    local = etree.QName(element).localname
    return f"{element.prefix}:{local}" if element.prefix else local


def _stream_libxml(
    path: Path, schema: XsdSchema, compiled: etree.XMLSchema, cap: FindingCap
) -> None:
    """Stream a large document through libxml2 in bounded memory.

    libxml2 validates the whole stream (so the root's own content model is
    checked) but cannot say on which line; a record (a child of the root)
    is therefore also validated on its own, which locates its errors, when
    the stream logged an error while its chunks were parsed. Stream errors
    that no record accounts for are reported at the root. Once the cap is
    full, records are not validated again: the stream's errors are counted.

    Only the records' own end events come to Python (a tag filter learnt
    from the document's first part): a record of another tag is checked as
    the next one that comes ends, in document order. If the filter hides
    too much of the document for memory to stay bounded, the stream starts
    again without it, with the findings as they were before it started.

    The errors are counted as libxml2 reports them by lxml's global error
    log, which is per thread: the stream is read in a thread of its own, so
    that the counting log never replaces the caller's.
    """
    learnt = _record_tags(path)
    ends = learnt.ends if learnt else ()
    kept, omitted, omitted_errors, errors = (
        len(cap.kept),
        cap.omitted,
        cap.omitted_errors,
        cap.errors,
    )
    try:
        _stream_pass(
            path, schema, compiled, cap, learnt.tags if learnt else None, ends=ends
        )
    except _Unfiltered:
        del cap.kept[kept:]
        cap.omitted, cap.omitted_errors, cap.errors = omitted, omitted_errors, errors
        _stream_pass(path, schema, compiled, cap, None, ends=ends)


def _stream_pass(
    path: Path,
    schema: XsdSchema,
    compiled: etree.XMLSchema,
    cap: FindingCap,
    tags: frozenset[str] | None,
    *,
    ends: tuple[bytes, ...] = (),
) -> None:
    """One pass of :func:`_stream_libxml`, with end events of ``tags`` only
    (all elements' when ``None``), its chunks ending at ``ends`` (records'
    end tags) where they can."""
    located: Counter[str] = Counter()
    lines_by_tag: dict[str, deque[int | None]] = {}
    failure: list[BaseException] = []

    def work() -> None:
        counter = _Counting()
        etree.use_global_python_log(counter)
        try:
            with path.open("rb") as handle:
                reader = _ChunkReader(
                    handle, counter, filtered=tags is not None, ends=ends
                )
                # chunk_size is missing from lxml's type stubs.
                events = etree.iterparse(  # type: ignore[call-overload]
                    reader,
                    schema=compiled,
                    resolve_entities=False,
                    no_network=True,
                    load_dtd=False,
                    huge_tree=False,
                    collect_ids=False,
                    chunk_size=_STREAM_CHUNK,
                    **({} if tags is None else {"tag": sorted(tags)}),
                )
                _stream_records(
                    events,
                    reader,
                    _Stream(schema, compiled, cap, located, lines_by_tag),
                )
        except BaseException as exc:  # raised again in the caller's thread
            failure.append(exc)

    # A daemon: Ctrl-C in the caller does not wait for the file's end.
    thread = threading.Thread(target=work, name="xml-stream", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _syntax_error(path: str) -> tuple[str, int | None, int | None] | None:
    """Where a document stops being well-formed (``None``: it is), parsed
    again without its schema in bounded memory, for the rare stream whose
    parser error libxml2 did not report."""
    try:
        for _, element in etree.iterparse(
            path,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
            collect_ids=False,
        ):
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        return exc.msg, line, column
    return None


@dataclass(frozen=True, slots=True)
class _Stream:
    """What the records of one streamed document are checked against, and
    where their findings and messages go."""

    schema: XsdSchema
    compiled: etree.XMLSchema
    cap: FindingCap
    located: Counter[str]
    lines_by_tag: dict[str, deque[int | None]]


@dataclass(slots=True)
class _Records:
    """The records of a stream as they end, each checked once, in order."""

    reader: _ChunkReader
    stream: _Stream
    index: Counter[object] = field(default_factory=Counter)
    """Records so far, by tag."""
    accounted: int = 0
    """The stream's errors known not to be of a record still to come: those
    of the records validated on their own, and every error logged before the
    chunk the last record seen ended in (a later record began after it)."""
    last: etree._Element | None = None
    """The previous record seen (checked, emptied, still the root's first)."""
    counting: bool = False
    """Whether the cap is full: from then on no record is validated again,
    and only the stream's errors count (the cap never has room again)."""

    def check(self, element: etree._Element, root: etree._Element) -> None:
        """Validate a record on its own if the stream logged an error that
        no record validated before it accounts for (and the cap has room)."""
        self.index[element.tag] += 1
        counter = self.reader.counter
        logged = counter.count
        unaccounted = logged - self.accounted
        if unaccounted > 0 and not self.counting:
            own = _record_findings(element, root, self.index[element.tag], self.stream)
            # Validating the record logged its errors to the same log (the
            # thread's): they are not the stream's.
            counter.count = logged
            # Never more than are left: a record's errors are in the stream.
            self.accounted += min(own, unaccounted)
            if not self.stream.cap.room:
                self.full()

    def full(self) -> None:
        """The cap is full: no record is validated again, and only the
        stream's errors count, read in larger chunks."""
        self.counting = True
        self.reader.size = _FULL_CHUNK

    def ended(self, element: etree._Element, root: etree._Element) -> None:
        """A record's end: the records the tag filter hid before it (checked
        as if their end had been seen now; the error test spans from the
        previous record seen, so each is checked whenever it might have
        failed), then the record; every record before it is dropped, so
        memory stays bounded by one record."""
        reader = self.reader
        last = self.last
        while (first := root[0]) is not element:
            if first is not last and isinstance(first.tag, str):
                self.check(first, root)
            del root[0]
        self.check(element, root)
        # Errors logged before this chunk and not accounted for are not a
        # record's (the root's own content, say): no later record is
        # validated again for them.
        self.accounted = max(self.accounted, reader.before)
        reader.last_record = reader.read_bytes
        self.last = element
        element.clear()

    def hidden_after_last(self, root: etree._Element | None) -> list[etree._Element]:
        """The records after the last one seen, which the tag filter hid."""
        if root is None:
            return []
        return [
            child
            for child in root
            if child is not self.last and isinstance(child.tag, str)
        ]


def _stream_records(
    events: etree.iterparse[tuple[Literal["end"], etree._Element]],
    reader: _ChunkReader,
    stream: _Stream,
) -> None:
    schema, cap = stream.schema, stream.cap
    records = _Records(reader, stream)
    root: etree._Element | None = None
    whole = False  # the root's end was seen
    last: deque[tuple[str, etree._Element]] = deque(maxlen=1)
    try:
        for _, element in events:
            parent = element.getparent()
            if parent is root and root is not None:
                records.ended(element, root)  # a record: most events
                if records.counting:
                    break
                continue
            if root is None:
                root = element
                while (above := root.getparent()) is not None:
                    root = above
                cap.extend(schema_location_notes(root))
                if root.tag not in schema.global_elements:
                    cap.add(_unknown_root(root, schema, schema.global_elements))
                    return
                if not cap.room:
                    records.full()
            if parent is None:
                whole = True  # the root's end
            elif parent is root:
                records.ended(element, root)
        if records.counting and root is not None:
            # No record is validated again: the rest of the stream's events
            # are dropped in C, the last one kept (the root's end, when the
            # document is whole), and the root's finished records are
            # dropped as each chunk is asked for.
            reader.prune = root
            last.extend(events)
    except etree.XMLSyntaxError as exc:
        whole = whole or bool(last and last[0][1] is root)
        entries = list(events.error_log)
        broken = [e for e in entries if e.domain_name != "SCHEMASV"]
        # Once counting, a record the filter hid is validated no more than
        # one it showed: none needs the stream again without the filter.
        hidden = (
            records.hidden_after_last(root)
            if reader.filtered and not records.counting
            else []
        )
        # libxml2 validating as it parses raises its first schema error, not
        # the parser's, when a document with schema errors then breaks off
        # (or has content after its root): such a stream ends before the
        # root's end or the file's.
        cut = None
        if not broken and entries and not (whole and reader.eof):
            cut = _syntax_error(str(reader.handle.name))
        if broken or not entries or cut:
            if hidden:
                # Which of them ended before the document broke off cannot
                # be told: the stream without the filter sees each end.
                raise _Unfiltered from exc
            message, line, column = cut or (exc.msg, *(exc.position or (None, None)))
            cap.add(syntax_finding(message, line, column))
            return
        # The document parsed to its end: the hidden records are whole.
        for record in hidden:
            assert root is not None
            records.check(record, root)
        _add_unlocated(
            cap,
            entries,
            located=stream.located,
            lines_by_tag=stream.lines_by_tag,
            root=root,
            schema=schema,
        )


def _record_findings(
    element: etree._Element, root: etree._Element, position: int, stream: _Stream
) -> int:
    """Validate one record on its own: its findings, located, to the cap;
    how many errors it has."""
    cap = stream.cap
    record = _validate_record(
        element, root, position, stream.schema, stream.compiled, room=cap.room
    )
    if record is None:
        name = etree.QName(element).localname
        stream.lines_by_tag.setdefault(name, deque()).append(element.sourceline)
        return 0
    messages, found = record
    cap.extend(found)
    cap.omit(Severity.ERROR, max(len(messages) - len(found), 0))
    stream.located.update(messages)
    return len(messages)


def _validate_record(
    element: etree._Element,
    root: etree._Element | None,
    position: int,
    schema: XsdSchema,
    compiled: etree.XMLSchema,
    *,
    room: int,
) -> tuple[list[str], list[Finding]] | None:
    """The messages of one record's errors (as libxml2 writes them, to be
    matched with the stream's) and findings for the first ``room``.

    ``None`` when the record has no global declaration.
    """
    # Paths in libxml2's messages are relative to the validation root, and
    # lines past 65535 are lost in them; a standalone copy of the record
    # gives paths to look up, and the original element the lines. (Copying
    # first costs less than validating the record in place as well.)
    alone = copy.deepcopy(element)
    if compiled.validate(alone):
        return [], []
    log = compiled.error_log
    if all(e.type_name == "SCHEMAV_CVC_ELT_1" for e in log):
        return None
    messages = [e.message for e in log]
    if not room:
        return messages, []
    tree = etree.ElementTree(alone)
    root_name = etree.QName(root).localname if root is not None else ""
    record = []
    known = _Prefixes(tree)
    for entry in islice(log, room):
        # Most errors name elements alone, on a line libxml2 keeps: their
        # path and line are read from the error (what the lookup would find),
        # with no lookup.
        line: int | None = entry.line
        plain = (
            _plain_path(entry.path)
            if 0 < entry.line < _LINES_KEPT and known.one_per_namespace()
            else None
        )
        if plain is None:
            node = _node_for(entry, tree, known)
            original = (
                _same_place(node, alone, element) if node is not None else element
            )
            plain = readable_path(node if node is not None else alone)
            line = original.sourceline
        steps = plain.split("/")[1:]
        steps[0] = f"{steps[0]}[{position}]"
        record.append(
            _from_libxml(
                entry,
                tree,
                schema,
                xpath="/".join(["", root_name, *steps]),
                line=line,
            )
        )
    return messages, record


def _same_place(
    node: etree._Element, copy_root: etree._Element, original_root: etree._Element
) -> etree._Element:
    """The element of the original record at the place ``node`` has in the copy."""
    indexes = []
    current: etree._Element | None = node
    while current is not None and current is not copy_root:
        parent = current.getparent()
        if parent is None:
            break
        indexes.append(parent.index(current))
        current = parent
    target = original_root
    for index in reversed(indexes):
        target = target[index]
    return target


def _add_unlocated(
    cap: FindingCap,
    entries: list[etree._LogEntry],
    *,
    located: Counter[str],
    lines_by_tag: dict[str, deque[int | None]],
    root: etree._Element | None,
    schema: XsdSchema,
) -> None:
    """The stream errors the per-record pass did not already report (or
    count), to the cap: once it is full and every located error is matched,
    the rest are counted without being read."""
    remaining = Counter(located)
    unmatched = remaining.total()
    root_name = etree.QName(root).localname if root is not None else ""
    for seen, entry in enumerate(entries):
        if not unmatched and not cap.room:
            cap.omit(Severity.ERROR, len(entries) - seen)
            return
        # The same error, validated in the stream and in its record alone,
        # has the same message: matched as libxml2 wrote both, and made
        # readable only when it becomes a finding.
        if remaining[entry.message] > 0:
            remaining[entry.message] -= 1
            unmatched -= 1
            continue
        message = _tidy(entry.message)
        line = None
        match = re.match(r"Element '([^']+)'", message)
        if match and lines_by_tag.get(match.group(1)):
            line = lines_by_tag[match.group(1)].popleft()
        cap.add(
            Finding(
                message=message,
                rule=libxml_rule(entry.type_name),
                xpath=f"/{root_name}",
                line=line,
                schema_location=schema.path.name,
                requirement=schema.requirement,
                standard=schema.standard,
            )
        )


def _pull_events(
    source: IOType, events: Sequence[str] | None = None
) -> Iterator[tuple[str, Any]]:
    """ElementTree's ``iterparse``, in time linear in the longest token.

    ``iterparse`` feeds expat 16 KB at a time, and expat (before 2.6)
    parses an unfinished token again from its beginning on every feed: a
    start tag with a 20 MB attribute costs some 1,300 re-parses of it.
    Here a chunk that completes nothing is followed by one twice as large,
    and the size falls back once events come, so memory stays that of a
    few records. The caller refused any DTD first (``prolog_finding``).
    """
    # typeshed wants the event names as literals; xmlschema passes names.
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        cast("Iterable[_EventName]", events)
    )
    size = _PULL_CHUNK
    while chunk := source.read(size):
        parser.feed(chunk)
        produced = False
        for event in parser.read_events():
            produced = True
            yield cast("tuple[str, Any]", event)  # (event, element or namespace)
        size = _PULL_CHUNK if produced else min(size * 2, MAX_CHUNK)
    parser.close()
    for event in parser.read_events():
        yield cast("tuple[str, Any]", event)


_PULL_CHUNK = 16 * 1024
_POSITION = re.compile(r": line \d+, column \d+$")


def _stream_xmlschema(
    path: Path, schema: XsdSchema, compiled: XMLSchemaBase, cap: FindingCap
) -> None:
    # Imported here: xmlschema (~120 ms) is only loaded for XSD 1.1 schemas.
    import xmlschema

    # The file is opened here: with allow="none" xmlschema would refuse to
    # open even the file named. Nothing is left to defuse (prolog_finding
    # refused any DTD before), and xmlschema's own defusing pass, like its
    # iterparse, reads in small fixed chunks, quadratic in a long token.
    try:
        with path.open("rb") as handle:
            resource = xmlschema.XMLResource(
                handle,
                lazy=True,
                thin_lazy=True,
                defuse="never",
                allow="none",
                iterparse=_pull_events,
            )
            _xmlschema_findings(resource, schema, compiled, cap)
    except xmlschema.XMLResourceError as exc:
        # Not well-formed (or too deep for xmlschema): a finding, with
        # expat's position (its column counts from 0) when it has one.
        cause = exc.__cause__ if isinstance(exc.__cause__, SyntaxError) else exc
        position = getattr(cause, "position", None)
        line, column = position if position else (None, None)
        message = _POSITION.sub("", str(cause))
        cap.add(
            syntax_finding(message, line, column + 1 if column is not None else None)
        )
