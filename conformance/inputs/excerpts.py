"""Values quoted in findings' messages, never whole.

A finding quotes the value it is about, and values come from untrusted
input: a 10 MB string or a 1 MB member name would make a 10 MB message,
printed, stored in the history and written to every report. :func:`quoted`
is the one place a value becomes message text, for JSON and XML findings
alike: at most :data:`QUOTE_LIMIT` characters of it, then its length.
:func:`cap_quoted` applies it to the quoted values in a message that a
validator wrote (libxml2, xmlschema).
"""

from __future__ import annotations

import json
import re

from conformance.model import JsonValue

QUOTE_LIMIT = 100
"""The most characters of one value a message quotes."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
SURROGATE = re.compile("[\ud800-\udfff]")
"""A UTF-16 surrogate, which only a ``str``, never valid UTF-8, can hold."""
# A quoted value in a validator's message: libxml2 and xmlschema quote with
# apostrophes and escape nothing; libxml2 cuts a long message mid-value,
# leaving the last quote open.
_QUOTED = re.compile(r"'([^']*)(?:'|\Z)")


def quoted(value: JsonValue, *, limit: int = QUOTE_LIMIT) -> str:
    """``value`` as a message quotes it: JSON, at most ``limit`` characters.

    A string is a JSON string (so quotes, line breaks and control
    characters inside it are escaped and cannot forge message text, and a
    lone surrogate is written as its escape); past ``limit`` characters it
    is cut and its length follows: ``"abc"… (10,000,000 characters)``.
    Arrays and objects are compact JSON, cut likewise, with their number
    of items or members; they are never serialised past the cut.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return printable(_ENCODER.encode(value))
        return (
            printable(_ENCODER.encode(value[:limit])) + f"… ({len(value):,} characters)"
        )
    text = ""
    for piece in _ENCODER.iterencode(value):
        text += piece
        if len(text) > limit:
            break
    if len(text) <= limit:
        return printable(text)
    if isinstance(value, list):
        size = f"{len(value):,} items"
    elif isinstance(value, dict):
        size = f"{len(value):,} members"
    else:
        size = f"{len(str(value)):,} characters"
    return printable(text[:limit]) + f"… ({size})"


def cap_quoted(message: str, *, limit: int = QUOTE_LIMIT) -> str:
    """A validator's message with each long quoted value cut by :func:`quoted`.

    Short values keep the validator's own quotes; a value left open at the
    end of the message (libxml2 cut the message) is at least that long.
    """
    if len(message) <= limit:
        return printable(message)

    def cut(match: re.Match[str]) -> str:
        value = match.group(1)
        if len(value) <= limit:
            return match.group()
        shown = quoted(value, limit=limit)
        if not match.group().endswith("'"):
            shown = shown.replace("… (", "… (at least ", 1)
        return shown

    return printable(_QUOTED.sub(cut, message))


def printable(text: str) -> str:
    """``text`` with each surrogate written as its JSON escape (``\\ud800``).

    A lone surrogate cannot be written as UTF-8: a message, a pointer or a
    report that held one could not be printed or saved.
    """
    if text.isascii():
        return text
    return SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
