"""Strings that match an XSD pattern, from xmlschema's Python translation of it.

``st.from_regex(regex, fullmatch=True)`` draws one choice per character,
which makes it the slowest part of generating a record full of codes and
names. :func:`matching` compiles the same parsed regex (``re._parser``, the
parser ``st.from_regex`` itself uses) into hypothesis strategies where each
run of one character class (``[0-9]{7}``, ``[A-Za-zƏə]+``) is a single
``st.text`` draw. A regex with anything else (anchors, lookarounds, back
references, flags, ``\\d``-style categories) falls back to ``st.from_regex``.
Either way the caller checks every string against the type's facets.

Characters are limited to those XML 1.0 can carry and the suite generates:
no surrogates, no control characters other than tab, line feed and carriage
return, no unassigned code points.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from hypothesis import strategies as st

from ._xsd_lexical import TEXT_WS

try:  # the parser st.from_regex uses; private, hence the fallback below
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    _parser = _c = None

SPARE = 12
"""How far past its minimum a repeated character class goes."""
GROUP_SPARE = 3
"""How far past its minimum a repeated group goes."""
_UNUSABLE = "\ufffe\uffff"
_NOTABLE = "a Z0ə\u00a0\u2028\u2029\ufeff\u3000\u200b\u0301&<>'\"\t"
LARGE = 256
"""A character class with more characters than this is an expanded escape."""
PORTABLE = frozenset(
    [chr(c) for c in range(0x20, 0x7F)]
    + [chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)]
    + list("ƏəĞğİıŞş")
)
"""ASCII, the Latin-1 letters and the Azerbaijani ones: characters whose class
every Unicode version, and XML 1.0 fourth edition, agree on."""


class _Unknown(Exception):
    """A regex construct this compiler leaves to st.from_regex."""


def _usable(char: str) -> bool:
    if char in "\t\n\r":
        return True
    if char in _UNUSABLE:
        return False
    return unicodedata.category(char) not in ("Cs", "Cc", "Cn")


@lru_cache(maxsize=1024)
def matching(regex: str) -> st.SearchStrategy[str]:
    """Strings that ``regex`` matches in full (compiled once per regex)."""
    try:
        if _parser is None:
            raise _Unknown
        parsed = _parser.parse(regex)
        if parsed.state.flags & ~(_c.SRE_FLAG_UNICODE):
            raise _Unknown
        return _sequence(list(parsed))
    except (_Unknown, re.error, ValueError, AttributeError):
        return st.from_regex(regex, fullmatch=True, alphabet=TEXT_WS)


def _sequence(items: list[Any]) -> st.SearchStrategy[str]:
    parts: list[st.SearchStrategy[str]] = []
    literal = ""
    for op, arg in items:
        if op is _c.LITERAL:
            literal += chr(arg)
            continue
        if literal:
            parts.append(st.just(literal))
            literal = ""
        parts.append(_item(op, arg))
    if literal:
        parts.append(st.just(literal))
    if not parts:
        return st.just("")
    if len(parts) == 1:
        return parts[0]
    return st.tuples(*parts).map("".join)


def _item(op: Any, arg: Any) -> st.SearchStrategy[str]:
    alphabet = _alphabet(op, arg)
    if alphabet is not None:
        return _run(alphabet, 1, 1)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, body = arg
        body = list(body)
        if len(body) == 1:
            alphabet = _alphabet(*body[0])
            if alphabet is not None:
                # The fast path: a whole run of one class in one draw.
                return _run(alphabet, low, _most(low, high, SPARE))
        most = _most(low, high, GROUP_SPARE)
        return st.lists(_sequence(body), min_size=low, max_size=most).map("".join)
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, body = arg
        if add_flags or del_flags:
            raise _Unknown
        return _sequence(list(body))
    if op is _c.BRANCH:
        return st.one_of([_sequence(list(b)) for b in arg[1]])
    raise _Unknown


def _run(alphabet: str | frozenset[str], low: int, high: int) -> Any:
    """A run of ``low`` to ``high`` characters of one class.

    A class written as a positive set is its characters (a string). A
    negated class (a frozenset of what it excludes) takes nearly all of
    Unicode, where any one character is rarely drawn; half of its runs are
    drawn from a few characters that matter instead: separators and spaces
    other regex dialects class differently, a byte order mark, a combining
    mark, the characters XML escapes.
    """
    if isinstance(alphabet, str):
        return st.text(alphabet, min_size=low, max_size=high)
    wide = st.characters(
        exclude_categories=("Cs", "Cc", "Cn"),
        exclude_characters="".join(sorted(alphabet)) + _UNUSABLE,
        include_characters="".join(c for c in "\t\n\r" if c not in alphabet),
    )
    few = "".join(c for c in _NOTABLE if c not in alphabet)
    runs = [st.text(wide, min_size=low, max_size=high)]
    if few:
        runs.append(st.text(few, min_size=low, max_size=high))
    return st.one_of(runs)


def _most(low: int, high: int, spare: int) -> int:
    return low + spare if high is _c.MAXREPEAT else min(high, low + spare)


def _alphabet(op: Any, arg: Any) -> Any:
    """The characters one single-character item stands for, or ``None``."""
    if op is _c.LITERAL:
        return _positive({chr(arg)})
    if op is _c.NOT_LITERAL:
        return _negative({chr(arg)})
    if op is _c.IN:
        if len(arg) == 1 and arg[0][0] is _c.CATEGORY and arg[0][1] in _NEGATED:
            # \S, \D or \W alone: everything but the category.
            return _negative(set(_category(_NEGATED[arg[0][1]])))
        chars: set[str] = set()
        negated = False
        for kind, value in arg:
            if kind is _c.NEGATE:
                negated = True
            elif kind is _c.LITERAL:
                chars.add(chr(value))
            elif kind is _c.RANGE:
                chars.update(map(chr, range(value[0], value[1] + 1)))
            elif kind is _c.CATEGORY and value in _CATEGORIES:
                chars.update(_category(value))
            else:
                raise _Unknown  # a negated category (\D) inside a class
        return _negative(chars) if negated else _positive(chars)
    return None


_CATEGORIES = {}
if _c is not None:
    # Python's meaning of \d, \s and \w in a str pattern, which is what
    # xmlschema's translation relies on.
    _CATEGORIES = {
        _c.CATEGORY_DIGIT: lambda c: unicodedata.category(c) == "Nd",
        _c.CATEGORY_SPACE: str.isspace,
        _c.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    }


_NEGATED = {}
if _c is not None:
    _NEGATED = {
        _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
        _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
        _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
    }


@cache
def _category(name: Any) -> frozenset[str]:
    test = _CATEGORIES[name]
    return frozenset(
        c
        for c in map(chr, range(0x110000))
        if not 0xD800 <= ord(c) < 0xE000 and test(c)
    )


def _positive(chars: set[str]) -> str:
    usable = sorted(c for c in chars if _usable(c))
    if len(usable) > LARGE:
        # A class this large comes from an escape (\i, \c, \d, \w, \p{L}),
        # which each engine expands from its own tables: libxml2's name
        # characters are XML 1.0 fourth edition's, xmlschema's Python's
        # Unicode. Drawing from the characters all of them agree on keeps a
        # generated value valid for both.
        portable = [c for c in usable if c in PORTABLE]
        usable = portable or usable
    if not usable:
        raise _Unknown  # nothing XML can carry; let st.from_regex decide
    return "".join(usable)


def _negative(chars: set[str]) -> frozenset[str]:
    return frozenset(chars)
