"""Reading XML safely: no DTD, no entities, no network, no XInclude.

A document type declaration is refused before libxml2 sees the document:
a short expat pass over the prolog stops at the first element or at a
``<!DOCTYPE``, whichever comes first, so no internal subset, entity or
external DTD is ever processed. A declared encoding that expat cannot
read itself is decoded by Python's codec of that name; one that names no
character encoding at all is a finding. ``xsi:schemaLocation`` hints are noted and
ignored: validation always uses the standard's own XSD.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import xml.parsers.expat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from lxml import etree

from conformance.inputs.excerpts import cap_quoted, quoted
from conformance.inputs.rules import (
    XML_DEPTH,
    XML_DTD,
    XML_ENCODING,
    XML_SCHEMA_LOCATION,
    XML_SIZE,
    XML_SYNTAX,
    rule_finding,
)
from conformance.model import Finding, Severity

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_PROLOG_CHUNK = 4096
MAX_CHUNK = 16 * 1024 * 1024
"""The largest chunk a reader that doubles its chunks reads at once."""


@dataclass(frozen=True, slots=True)
class XmlLimits:
    """Input limits for one in-memory XML document."""

    max_bytes: int = 50 * 1024 * 1024


DEFAULT_LIMITS = XmlLimits()


class ParserOptions(TypedDict, total=False):
    """The options of lxml's ``XMLParser`` that :func:`safe_parser` leaves open."""

    encoding: str | None
    attribute_defaults: bool
    ns_clean: bool
    recover: bool
    schema: etree.XMLSchema | None
    remove_blank_text: bool
    remove_comments: bool
    remove_pis: bool
    strip_cdata: bool
    compact: bool


def safe_parser(**extra: Unpack[ParserOptions]) -> etree.XMLParser:
    """An lxml parser that expands nothing and loads nothing."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
        **extra,
    )


_PARSER = safe_parser()


@dataclass(frozen=True, slots=True)
class ParsedXml:
    """The outcome of reading one XML document."""

    ok: bool
    tree: etree._ElementTree[etree._Element] | None = None
    findings: tuple[Finding, ...] = ()


class _Stop(Exception):
    def __init__(self, doctype: bool, line: int = 0, column: int = 0) -> None:
        self.doctype = doctype
        self.line = line
        self.column = column


class _Unreadable(Exception):
    """The declared encoding names no character encoding, or the bytes are not in it."""

    def __init__(self, encoding: str | None, reason: str) -> None:
        self.encoding = encoding
        self.reason = reason


# The encoding an XML declaration names, read from the raw bytes (an
# ASCII-compatible document; expat reads UTF-16 and UTF-32 itself).
_DECLARED = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?<\?xml[ \t\r\n][^>]*?\bencoding[ \t\r\n]*=[ \t\r\n]*"""
    rb"""(?:"([^"<>]*)"|'([^'<>]*)')"""
)


UNKNOWN_ENCODING = "which is not an encoding the XML reader knows"


def _chunks(data: bytes | Path, limit: int | None) -> Iterator[bytes]:
    """The bytes of ``data`` in growing chunks, at most ``limit`` of them.

    The first chunk is small (a prolog is), and each is twice the one
    before: expat parses an unfinished token (a start tag with a 20 MB
    attribute) again from its beginning on every chunk, which fixed-size
    chunks would make quadratic; doubling keeps it linear.
    """
    size = _PROLOG_CHUNK
    if isinstance(data, Path):
        with data.open("rb") as handle:
            read = 0
            while chunk := handle.read(size):
                yield chunk
                read += len(chunk)
                if limit is not None and read >= limit:
                    return
                size = min(size * 2, MAX_CHUNK)
    else:
        end = len(data) if limit is None else min(len(data), limit)
        start = 0
        while start < end:
            yield data[start : min(start + size, end)]
            start += size
            size = min(size * 2, MAX_CHUNK)


def _declared_encoding(data: bytes | Path) -> str | None:
    head = next(_chunks(data, _PROLOG_CHUNK), b"")
    match = _DECLARED.match(head)
    if match is None:
        return None
    return (match.group(1) or match.group(2) or b"").decode("ascii", "replace")


def _run_expat(
    make: Callable[[], xml.parsers.expat.XMLParserType],
    data: bytes | Path,
    *,
    limit: int | None = None,
) -> None:
    """Feed ``data`` to a parser from ``make``, whose handlers stop it by raising.

    expat knows a few encodings; for any other it asks Python's codec of
    the declared name, and fails if that is not a single-byte encoding.
    Then the document is decoded by the codec here and read as text.
    Raises :class:`_Unreadable` when the declared name is no character
    encoding Python knows, or the bytes are not in it.
    """
    try:
        parser = make()
        for chunk in _chunks(data, limit):
            parser.Parse(chunk, False)
        if limit is None:
            parser.Parse(b"", True)
        return
    except (LookupError, ValueError, UnicodeError):
        # Raised by pyexpat's handler of an encoding expat does not know.
        pass
    encoding = _declared_encoding(data)
    if encoding is None:
        raise _Unreadable(None, "its encoding could not be determined")
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise _Unreadable(encoding, UNKNOWN_ENCODING) from None
    try:
        "".encode(encoding)  # a LookupError for rot13, base64 and the like
    except (LookupError, UnicodeError):
        raise _Unreadable(encoding, "which is not a character encoding") from None
    parser = make()
    offset = 0
    try:
        for chunk in _chunks(data, limit):
            # A str is read as UTF-8 whatever the declaration says.
            parser.Parse(decoder.decode(chunk), False)
            offset += len(chunk)
        if limit is None:
            parser.Parse(decoder.decode(b"", True), True)
    except UnicodeDecodeError as exc:
        raise _Unreadable(
            encoding,
            f"but the bytes near offset {offset + max(exc.start, 0):,} are not"
            f" {encoding} text",
        ) from None


def encoding_finding(encoding: str | None, reason: str) -> Finding:
    """The finding for a document in an encoding that cannot be read."""
    named = "an encoding" if encoding is None else f"the encoding {quoted(encoding)}"
    return rule_finding(
        XML_ENCODING,
        f"the document declares {named}, {reason}: it cannot be read (XML 1.0"
        ' §4.3.3); write it in UTF-8, and declare encoding="UTF-8" or nothing',
        line=1,
    )


_UTF8_NAMES = frozenset({"utf-8", "utf8"})


_USUAL_DECLARATIONS = (
    b'<?xml version="1.0" encoding="UTF-8"?>',
    b'<?xml version="1.0" encoding="utf-8"?>',
    b"<?xml version='1.0' encoding='UTF-8'?>",
    b'<?xml version="1.0"?>',
)
"""XML declarations that declare UTF-8 or no encoding, as most documents
begin, byte for byte."""


def plain_prolog(data: bytes) -> bool:
    """True when ``data`` can hold no document type declaration and is UTF-8.

    Then :func:`prolog_finding` has nothing to find, and its expat pass is
    spared: the usual declaration followed by the root's start tag, or no
    ``<!`` anywhere (so no ``<!DOCTYPE``), a first character ``<`` in a
    one-byte-per-ASCII encoding, and no encoding declared but UTF-8.
    Anything else takes the expat pass.
    """
    if data.startswith(_USUAL_DECLARATIONS):
        # A document type declaration comes before the root element: with
        # an element's start tag next, the rest of the document (where a
        # comment or CDATA section may write "<!") need not be searched.
        end = data.index(b"?>") + 2
        start = data[end : end + 64].lstrip(b" \t\r\n")
        if start[:1] == b"<" and start[1:2] not in (b"!", b"?", b""):
            return True
    if b"<!" in data:
        return False
    start = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if start[:1] != b"<" or start[1:2] == b"\x00":
        return False
    declared = _DECLARED.match(data)
    if declared is None:
        return True
    name = declared.group(1) or declared.group(2) or b""
    return name.decode("ascii", "replace").lower() in _UTF8_NAMES


def identity(root: etree._Element) -> tuple[str | None, str | None, str | None]:
    """Namespace, local name and ``version`` attribute of a parsed root element,
    as :func:`root_identity` reads them from the start tag."""
    tag = root.tag
    if not isinstance(tag, str):  # never for a parsed document's root
        return None, None, None
    if tag[:1] == "{":
        namespace, _, local = tag[1:].partition("}")
        return namespace or None, local, root.get("version")
    return None, tag, root.get("version")


def prolog_finding(data: bytes | Path) -> Finding | None:
    """A document type declaration or an unreadable encoding, if any.

    Reads only the prolog, with expat: it stops at the first element.
    """

    def make() -> xml.parsers.expat.XMLParserType:
        parser = xml.parsers.expat.ParserCreate()

        def on_doctype(*_: object) -> None:
            raise _Stop(True, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)

        def on_element(*_: object) -> None:
            raise _Stop(False)

        parser.StartDoctypeDeclHandler = on_doctype
        parser.StartElementHandler = on_element
        return parser

    try:
        _run_expat(make, data)
    except _Stop as stop:
        return dtd_finding(stop.line, stop.column) if stop.doctype else None
    except _Unreadable as unreadable:
        return encoding_finding(unreadable.encoding, unreadable.reason)
    except xml.parsers.expat.ExpatError:
        # Not well-formed: lxml will say where, with its own message.
        return None
    return None


def dtd_finding(line: int, column: int) -> Finding:
    """The finding for a document type declaration."""
    return rule_finding(
        XML_DTD,
        "the document has a document type declaration (<!DOCTYPE>); DTDs are"
        " never processed here (no entity expansion, no external DTD or entity"
        " is loaded) and exchanged documents must not carry one: remove it",
        line=line,
        column=column,
        xpath="/",
    )


_UNSUPPORTED = re.compile(r"Unsupported encoding:? (.*?)(?:, line \d+, column \d+)?$")


def syntax_finding(message: str, line: int | None, column: int | None) -> Finding:
    """The finding for a document that is not well-formed (or nested too deep)."""
    if "Excessive depth" in message:
        return rule_finding(
            XML_DEPTH,
            "the document nests deeper than 256 levels; the reader stops there",
            line=line or None,
            column=column or None,
        )
    if "Resource limit exceeded" in message or "Huge input lookup" in message:
        # libxml2's safety limits (XML_PARSE_HUGE is never set for payloads).
        return rule_finding(
            XML_SIZE,
            "a single text, attribute value or name in the document is longer"
            " than the reader accepts (10,000,000 bytes for a text or an"
            " attribute value); the reader stops there, so nothing after it"
            " was checked",
            line=line or None,
            column=column or None,
        )
    unsupported = _UNSUPPORTED.match(message)
    if unsupported:
        return encoding_finding(unsupported.group(1), UNKNOWN_ENCODING)
    return rule_finding(
        XML_SYNTAX,
        f"not well-formed XML: {cap_quoted(message)}",
        line=line or None,
        column=column or None,
    )


def parse_xml(data: bytes, *, limits: XmlLimits = DEFAULT_LIMITS) -> ParsedXml:
    """Parse one XML document safely; findings say why when it cannot be used."""
    if len(data) > limits.max_bytes:
        return ParsedXml(
            ok=False,
            findings=(
                rule_finding(
                    XML_SIZE,
                    f"the document is {len(data):,} bytes; the in-memory limit is"
                    f" {limits.max_bytes:,} bytes (validate it as a file to stream it)",
                ),
            ),
        )
    problem = None if plain_prolog(data) else prolog_finding(data)
    if problem is not None:
        return ParsedXml(ok=False, findings=(problem,))
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        return ParsedXml(ok=False, findings=(syntax_finding(exc.msg, line, column),))
    return ParsedXml(True, root.getroottree(), schema_location_notes(root))


_HINTS = tuple(
    (attribute, f"{{{XSI}}}{attribute}")
    for attribute in ("schemaLocation", "noNamespaceSchemaLocation")
)


def schema_location_notes(root: etree._Element) -> tuple[Finding, ...]:
    """A warning for each ``xsi:schemaLocation`` hint on the root: it is ignored."""
    notes: tuple[Finding, ...] = ()
    for attribute, name in _HINTS:
        hint = root.get(name)
        if hint:
            notes += (
                rule_finding(
                    XML_SCHEMA_LOCATION,
                    f"xsi:{attribute}={quoted(hint)} was ignored: documents are"
                    " validated against the standard's own XSD from the registry, and"
                    " nothing is loaded from locations a document names",
                    xpath=f"/{etree.QName(root).localname}/@xsi:{attribute}",
                    line=root.sourceline,
                    severity=Severity.WARNING,
                ),
            )
    return notes


def root_identity(data: bytes | Path) -> tuple[str | None, str | None, str | None]:
    """Namespace, local name and ``version`` attribute of the root element.

    Reads only up to the root start tag, with expat (no DTD processing).
    """
    found: list[tuple[str | None, str, str | None]] = []

    def make() -> xml.parsers.expat.XMLParserType:
        parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

        def on_element(name: str, attributes: dict[str, str]) -> None:
            namespace, _, local = name.rpartition(" ")
            found.append((namespace or None, local, attributes.get("version")))
            raise _Stop(False)

        def on_doctype(*_: object) -> None:
            raise _Stop(True)

        parser.StartElementHandler = on_element
        parser.StartDoctypeDeclHandler = on_doctype
        return parser

    # A file is read up to its root start tag; bytes up to a megabyte.
    limit = None if isinstance(data, Path) else 1024 * 1024
    with contextlib.suppress(_Stop, _Unreadable, xml.parsers.expat.ExpatError):
        _run_expat(make, data, limit=limit)
    if not found:
        return None, None, None
    return found[0]


def target_namespace(xsd: Path) -> str | None:
    """The ``targetNamespace`` of an XSD file, read safely."""
    try:
        root = etree.parse(str(xsd), _PARSER).getroot()
    except (etree.XMLSyntaxError, OSError):
        return None
    return root.get("targetNamespace")


def readable_path(element: etree._Element) -> str:
    """An XPath of local names (``/Persons/Person[3]/BirthDate``) for an element."""
    return PathNamer().path(element)


class PathNamer:
    """Readable paths of many elements of one tree, in linear time.

    Naming ``Person[3]`` needs the element's place among its same-named
    siblings; counting them for every error would be quadratic in a
    document with thousands of failing records. Each parent's children are
    counted once, on first need.
    """

    def __init__(self) -> None:
        self._places: dict[tuple[etree._Element, str], dict[etree._Element, int]] = {}

    def path(self, element: etree._Element) -> str:
        """An XPath of local names (``/Persons/Person[3]/BirthDate``)."""
        steps = []
        node: etree._Element | None = element
        while node is not None:
            if not isinstance(node.tag, str):
                node = node.getparent()
                continue
            name = etree.QName(node).localname
            parent = node.getparent()
            if parent is not None:
                places = self._same(parent, node.tag)
                if len(places) > 1:
                    name += f"[{places[node] + 1}]"
            steps.append(name)
            node = parent
        return "/" + "/".join(reversed(steps))

    def _same(self, parent: etree._Element, tag: str) -> dict[etree._Element, int]:
        key = (parent, tag)
        places = self._places.get(key)
        if places is None:
            # lxml keeps one proxy per node while it is referenced, as here.
            places = self._places[key] = {
                child: index for index, child in enumerate(parent.iterchildren(tag))
            }
        return places
