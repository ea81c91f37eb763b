"""Edge values: the values on which two bindings written by hand part.

Random documents seldom hold them: a line separator (XSD's ``.`` takes it,
ECMA-262's does not), a byte order mark (ECMA-262's ``\\s`` takes it, XSD's
does not), an e-mail local part longer than RFC 5321's 64 characters, a URI
RFC 3986 refuses and ``xs:anyURI`` takes, hour 24 of a day, an
Arabic-Indic digit (XSD's ``\\d`` takes it, ECMA-262's does not). This module
takes a valid document of one binding and changes one value at a time to
such a value. The bindings self-test keeps the changed documents that
binding still accepts and checks that the other binding accepts them too.

What a value is changed to depends on what it looks like (a date-time, a
date, a URI, free text), not on its declared type: the schema itself then
says which changes it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from conformance.inputs.json_locate import pointer
from conformance.inputs.xml_input import parse_xml, readable_path
from conformance.model import JsonValue
from conformance.probing.interfaces import with_member


@dataclass(frozen=True)
class Edge:
    """One value of a valid document changed to an edge value."""

    name: str
    """What was done, for a person and for errata: ``a leap second``."""
    location: str
    """Where: an XPath in an XML document, a JSON Pointer in a JSON one."""
    document: JsonValue | bytes
    """The changed document: XML bytes, or a JSON value."""
    value: str | None = None
    """The value put in, where it is one fixed value (``2016-12-31T23:59:60Z``)."""

    def described(self) -> str:
        """``/registeredAt with a leap second ('2016-12-31T23:59:60Z')``."""
        shown = f" ({self.value!r})" if self.value is not None else ""
        return f"{self.location} with {self.name}{shown}"


_TEXT: list[tuple[str, Callable[[str], str]]] = [
    ("a line separator inside", lambda v: v[:1] + "\u2028" + v[1:]),
    ("a paragraph separator inside", lambda v: v[:1] + "\u2029" + v[1:]),
    ("a no-break space inside", lambda v: v[:1] + "\u00a0" + v[1:]),
    ("an ideographic space inside", lambda v: v[:1] + "\u3000" + v[1:]),
    ("a tab inside", lambda v: v[:1] + "\t" + v[1:]),
    ("a byte order mark first", lambda v: "\ufeff" + v),
    ("a combining mark first", lambda v: "\u0301" + v),
    ("64 more of its first character", lambda v: v[:1] * 64 + v),
    ("1000 more of its first character", lambda v: v[:1] * 1000 + v),
]
"""Changes to free text: characters regex dialects class differently, and
lengths past the limits one binding may state and the other not."""

_SHAPED: list[tuple[re.Pattern[str], list[tuple[str, str]]]] = [
    (
        re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt]"),
        [
            ("hour 24 of the last day of 9999", "9999-12-31T24:00:00Z"),
            ("hour 24", "2024-01-01T24:00:00Z"),
            ("no offset", "2024-01-01T00:00:00"),
            ("nine digits of fraction", "2024-01-01T00:00:00.123456789Z"),
            ("a leap second", "2016-12-31T23:59:60Z"),
            ("a five-digit year", "10000-01-01T00:00:00Z"),
            ("a negative year", "-0001-01-01T00:00:00Z"),
            ("year 0000", "0000-01-01T00:00:00Z"),
            ("an offset of 15 hours", "2024-01-01T00:00:00+15:00"),
        ],
    ),
    (
        re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
        [
            ("the offset Z", "2024-01-01Z"),
            ("an offset", "2024-01-01+04:00"),
            ("a five-digit year", "10000-01-01"),
            ("a negative year", "-0001-01-01"),
            ("year 0000", "0000-01-01"),
        ],
    ),
    (
        re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:"),
        [
            ("a broken percent escape", "https://a%zz"),
            ("a bracket in the fragment", "https://#["),
            ("a space", "http://a b"),
            ("a host in non-ASCII letters", "https://bakı.az"),
            ("a URN", "urn:a"),
            ("no scheme", "a"),
            ("a lone percent sign", "https://a.az/%"),
        ],
    ),
]
"""Values to put in place of one that looks like a date-time, a date or a
URI: hour 24, leap seconds, year 0000 and years beyond four digits, an
offset past XSD's 14 hours (RFC 3339 takes up to 23:59), URIs that
``xs:anyURI`` and RFC 3986 judge differently."""

_DIGITS = re.compile(r"[+-]?[0-9]+")
_DIGIT_CHANGES: list[tuple[str, Callable[[str], str]]] = [
    ("an Arabic-Indic digit last", lambda v: v[:-1] + chr(0x0660 + int(v[-1]))),
    ("64 more digits", lambda v: v + v[-1] * 64),
    ("1000 more digits", lambda v: v + v[-1] * 1000),
]
"""Changes to a string of digits (an id, a phone number, a count): XSD's
``\\d`` takes every script's digits, ECMA-262's only ASCII ones; and lengths
past the limits one binding may state and the other not."""

_NUMBER = re.compile(r"\s*[+-]?[0-9.]+([Ee][+-]?[0-9]+)?\s*$")


EDGE_NAMES = frozenset(
    [name for name, _ in _TEXT]
    + [name for name, _ in _DIGIT_CHANGES]
    + [name for _, values in _SHAPED for name, _ in values]
)
"""Every edge by name, as the self-test reports it and errata list it."""


def _changes(value: str) -> Iterator[tuple[str, str, str | None]]:
    """``(name, new value, the new value if it is a fixed one)``."""
    for shape, replacements in _SHAPED:
        if shape.match(value):
            for name, replacement in replacements:
                if replacement != value:
                    yield name, replacement, replacement
            return
    if _DIGITS.fullmatch(value):
        for name, change in _DIGIT_CHANGES:
            yield name, change(value), None
        return
    if not value.strip() or _NUMBER.match(value) or value in ("true", "false"):
        return  # decimals and flags have their own lexical rules, not text's
    for name, change in _TEXT:
        yield name, change(value), None


def xml_edges(xml: bytes) -> Iterator[Edge]:
    """Each text value of an XML document changed, one at a time."""
    parsed = parse_xml(xml)
    tree = parsed.tree
    if not parsed.ok or tree is None:  # a document read (ok) has its tree
        return
    for element in tree.getroot().iter():
        if not isinstance(element.tag, str) or len(element) or element.text is None:
            continue
        original = element.text
        where = readable_path(element)
        for name, value, fixed in _changes(original):
            element.text = value
            yield Edge(name, where, etree.tostring(tree, encoding="UTF-8"), fixed)
        element.text = original


def json_edges(document: JsonValue) -> Iterator[Edge]:
    """Each string of a JSON document changed, one at a time."""
    for path, value in _strings(document, ()):
        where = pointer(path)
        for name, changed, fixed in _changes(value):
            # The document itself may be the string.
            whole = with_member(document, where, changed) if path else changed
            yield Edge(name, where, whole, fixed)


def _strings(
    node: JsonValue, path: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(node, dict):
        for key, member in node.items():
            yield from _strings(member, (*path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, (*path, index))
    elif isinstance(node, str):
        yield path, node
