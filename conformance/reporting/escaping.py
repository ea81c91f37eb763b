"""Text a service or a payload sent, made safe for the format it is written in.

Any byte a service or a payload sends may reach a report: a reply's
headers and body, a finding's message, a file name. A character the format
cannot carry, or one that would act instead of being read (a terminal's
escape sequence, a bare CR that starts a line over), is shown as a visible
escape, the way Python writes it in a string: ``\\x1b``, ``\\r``,
``\\x00``, ``\\ud800``. Printable text, whatever its script, is kept.

The JSON report keeps the original text (JSON escapes what it must); every
other writer escapes with one of these.
"""

from __future__ import annotations

import re

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}

# XML 1.0 refuses C0 controls other than TAB, LF and CR, lone surrogates,
# U+FFFE and U+FFFF. CR is allowed but a reader turns it into LF, and DEL
# and the C1 controls (one of them, U+009B, starts a terminal's escape
# sequence) are allowed but discouraged: all three are shown as well.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# A line of text (a terminal, a Markdown cell, a CSV reason) keeps no control
# character at all, nor one that moves or reorders what follows: the Unicode
# line and paragraph separators and the bidirectional controls.
_NOT_IN_A_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


# What ``json.dumps(ensure_ascii=False)`` leaves as it is (it escapes C0
# controls itself) and a terminal may act on, or UTF-8 cannot carry.
_JSON_KEEPS = re.compile(
    "[\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def escape_char(char: str) -> str:
    """The visible escape of one character: ``\\r``, ``\\x1b``, ``\\u202e``."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def file_name_text(name: str) -> str:
    """A file name (or path) as UTF-8 can carry it: each byte the file
    system's name held that did not decode (read, as Python reads names,
    into a lone surrogate) written as ``\\xff``; the rest kept. A lone
    surrogate no byte could have given is written as ``\\ud800``."""
    if name.isascii():
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _escaped(match: re.Match[str]) -> str:
    return escape_char(match.group())


def xml_safe(text: str) -> str:
    """``text`` as an XML document may carry it (in an element or an attribute).

    TAB and LF stay; every other character XML refuses or a reader would
    change (CR) or act on (DEL, C1 controls) is shown as its escape.
    """
    return _NOT_XML.sub(_escaped, text)


def one_line(text: str) -> str:
    """``text`` as one line a terminal or a table shows as it is: every control
    character (LF, CR and TAB too), line separator and bidirectional control
    is shown as its escape, so nothing in it can start a line or act."""
    return _NOT_IN_A_LINE.sub(_escaped, text)


def json_for_a_terminal(text: str) -> str:
    """JSON text (from ``json.dumps``) with each character a terminal may act
    on written as its ``\\uXXXX`` escape: the same JSON value, printable."""
    if text.isascii() and "\x7f" not in text:
        return text  # nothing to escape: asked of the string, not searched
    return _JSON_KEEPS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
