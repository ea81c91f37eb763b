"""The regular-expression dialect of ``pattern`` and ``patternProperties``.

JSON Schema patterns are ECMA-262 regular expressions. The suite accepts
the part of ECMA-262 that a linear-time engine can run, so that no pattern
in any schema can hang a run: everything except lookaround (``(?=``,
``(?!``, ``(?<=``, ``(?<!``) and backreferences (``\\1``, ``\\k<name>``).

jsonschema-rs runs these with the Rust ``regex`` engine and ECMA-262
meanings. On the Python side a pattern is translated to RE2 (also linear
time) where the two dialects differ:

- ``.`` excludes every ECMA line terminator (``\\n \\r \\u2028 \\u2029``);
- ``\\s``/``\\S`` use the ECMA white-space set (which includes U+00A0,
  U+FEFF and the other Unicode space separators);
- ``\\uXXXX``, ``\\u{X}`` and ``\\cX`` become RE2 escapes;
- ``(?<name>`` becomes ``(?P<name>``; the empty classes ``[]`` and ``[^]``
  are refused, as jsonschema-rs refuses them.

``\\d``, ``\\w`` and ``\\b`` are ASCII-only in both, ``$`` matches only at
the very end (Python's ``re`` would also match before a final newline, a
classic source of accepted ``"1234567\\n"`` identifiers).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

from .errors import PatternError

_ECMA_SPACE = (
    "\\x{9}\\x{a}\\x{b}\\x{c}\\x{d}\\x{20}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}"
    "\\x{2028}\\x{2029}\\x{202f}\\x{205f}\\x{3000}\\x{feff}"
)
_DOT = "[^\\x{a}\\x{d}\\x{2028}\\x{2029}]"
_HEX = set("0123456789abcdefABCDEF")


def to_re2(pattern: str) -> str:
    """Translate an ECMA-262 pattern to RE2 syntax, or raise :class:`PatternError`."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 >= n:
                raise PatternError(f"pattern {pattern!r} ends with a lone backslash")
            esc = pattern[i + 1]
            i += 2
            if esc == "s":
                out.append(_ECMA_SPACE if in_class else f"[{_ECMA_SPACE}]")
            elif esc == "S":
                if in_class:
                    raise PatternError(
                        f"pattern {pattern!r}: \\S inside a character class is not"
                        " supported; write the class without it"
                    )
                out.append(f"[^{_ECMA_SPACE}]")
            elif esc == "u":
                if i < n and pattern[i] == "{":
                    end = pattern.find("}", i)
                    if end < 0:
                        raise PatternError(f"pattern {pattern!r}: unclosed \\u{{")
                    out.append(f"\\x{{{pattern[i + 1 : end]}}}")
                    i = end + 1
                else:
                    digits = pattern[i : i + 4]
                    if len(digits) != 4 or not set(digits) <= _HEX:
                        raise PatternError(
                            f"pattern {pattern!r}: \\u needs four hex digits after it"
                        )
                    out.append(f"\\x{{{digits}}}")
                    i += 4
            elif esc == "c":
                if i >= n or not pattern[i].isascii() or not pattern[i].isalpha():
                    raise PatternError(f"pattern {pattern!r}: \\c needs a letter")
                out.append(f"\\x{{{ord(pattern[i]) % 32:x}}}")
                i += 1
            elif esc.isdigit() or esc == "k":
                raise PatternError(
                    f"pattern {pattern!r}: \\{esc} is not supported: backreferences"
                    " and \\0 are outside the dialect (ECMA-262 without"
                    " backreferences and lookaround); write \\x00 for NUL"
                )
            elif esc == "/":
                out.append("/")
            else:
                out.append("\\" + esc)
            continue
        if in_class:
            if ch == "]" and i > class_start:
                in_class = False
            elif ch == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            if pattern.startswith(("[]", "[^]"), i):
                raise PatternError(
                    f"pattern {pattern!r}: the empty classes [] and [^] are not"
                    " supported"
                )
            in_class = True
            out.append(ch)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            class_start = i
            continue
        if ch == ".":
            out.append(_DOT)
        elif ch == "(" and pattern.startswith("(?", i):
            if pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), i):
                raise PatternError(
                    f"pattern {pattern!r}: lookaround is not supported"
                    " (the dialect is ECMA-262 without backreferences and lookaround)"
                )
            if pattern.startswith("(?<", i):
                out.append("(?P<")
                i += 3
                continue
            out.append(ch)
        else:
            out.append(ch)
        i += 1
    if in_class:
        raise PatternError(f"pattern {pattern!r}: unclosed character class")
    return "".join(out)


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> Any:
    """Compile an ECMA-262 pattern for searching; cached for the process."""
    translated = to_re2(pattern)
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(translated, options)
    except re2.error as exc:
        raise PatternError(
            f"pattern {pattern!r} is not a valid regular expression in the"
            f" supported dialect: {exc}"
        ) from None


def search(pattern: str, text: str) -> bool:
    """True when ``pattern`` matches somewhere in ``text`` (ECMA ``RegExp.test``)."""
    return compile_pattern(pattern).search(text) is not None
