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

from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

import re2

from conformance.errors import PatternError

_SPACE_POINTS = [
    "9",
    "a",
    "b",
    "c",
    "d",
    "20",
    "a0",
    "1680",
    "2000-200a",
    "2028",
    "2029",
    "202f",
    "205f",
    "3000",
    "feff",
]
_HEX = set("0123456789abcdefABCDEF")


class CompiledPattern(Protocol):
    """What :func:`compile_pattern` returns (an RE2 regexp; re2 has no types)."""

    def search(self, text: str) -> object | None:
        """A match object where the pattern matches in ``text``, else ``None``."""
        ...


def _re2_escape(code: str) -> str:
    return f"\\x{{{code}}}"


def _python_escape(code: str) -> str:
    value = int(code, 16)
    return f"\\u{value:04x}" if value <= 0xFFFF else f"\\U{value:08x}"


def _space(escape: Callable[[str], str]) -> str:
    parts = []
    for item in _SPACE_POINTS:
        low, _, high = item.partition("-")
        parts.append(escape(low) + (f"-{escape(high)}" if high else ""))
    return "".join(parts)


def to_re2(pattern: str) -> str:
    """Translate an ECMA-262 pattern to RE2 syntax, or raise :class:`PatternError`."""
    return _translate(pattern, python=False)


def to_python(pattern: str) -> str:
    """Translate an ECMA-262 pattern to Python ``re`` syntax, for generating strings.

    Only for generation (hypothesis ``from_regex`` takes Python patterns):
    ``\\d`` and ``\\w`` become their ASCII classes and a final ``$`` becomes
    ``\\Z``, so generated strings match under ECMA meanings too. Matching
    itself always uses :func:`search` (RE2).
    """
    return _translate(pattern, python=True)


def _translate(pattern: str, *, python: bool) -> str:
    escape = _python_escape if python else _re2_escape
    space = _space(escape)
    dot = f"[^{escape('a')}{escape('d')}{escape('2028')}{escape('2029')}]"
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
                out.append(space if in_class else f"[{space}]")
            elif python and esc in "dw":
                ascii_class = "0-9" if esc == "d" else "A-Za-z0-9_"
                out.append(ascii_class if in_class else f"[{ascii_class}]")
            elif python and esc in "DW" and not in_class:
                ascii_class = "0-9" if esc == "D" else "A-Za-z0-9_"
                out.append(f"[^{ascii_class}]")
            elif esc == "S":
                if in_class:
                    raise PatternError(
                        f"pattern {pattern!r}: \\S inside a character class is not"
                        " supported; write the class without it"
                    )
                out.append(f"[^{space}]")
            elif esc == "u":
                if i < n and pattern[i] == "{":
                    end = pattern.find("}", i)
                    if end < 0:
                        raise PatternError(f"pattern {pattern!r}: unclosed \\u{{")
                    out.append(escape(pattern[i + 1 : end]))
                    i = end + 1
                else:
                    digits = pattern[i : i + 4]
                    if len(digits) != 4 or not set(digits) <= _HEX:
                        raise PatternError(
                            f"pattern {pattern!r}: \\u needs four hex digits after it"
                        )
                    out.append(escape(digits))
                    i += 4
            elif esc == "c":
                if i >= n or not pattern[i].isascii() or not pattern[i].isalpha():
                    raise PatternError(f"pattern {pattern!r}: \\c needs a letter")
                out.append(escape(f"{ord(pattern[i]) % 32:x}"))
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
            out.append(dot)
        elif ch == "$" and python and i == n - 1:
            out.append("\\Z")
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
def compile_pattern(pattern: str) -> CompiledPattern:
    """Compile an ECMA-262 pattern for searching; cached for the process."""
    translated = to_re2(pattern)
    options = re2.Options()
    options.log_errors = False
    try:
        compiled: CompiledPattern = re2.compile(translated, options)
    except re2.error as exc:
        raise PatternError(
            f"pattern {pattern!r} is not a valid regular expression in the"
            f" supported dialect: {exc}"
        ) from None
    return compiled


def search(pattern: str, text: str) -> bool:
    """True when ``pattern`` matches somewhere in ``text`` (ECMA ``RegExp.test``)."""
    return compile_pattern(pattern).search(text) is not None
