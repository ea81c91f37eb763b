"""Strings that match an XSD pattern, from xmlschema's Python translation of it.

``st.from_regex(regex, fullmatch=True)`` draws one choice per character,
which makes it the slowest part of generating a record full of codes and
names. :func:`matching` hands the same parsed regex to :mod:`.regex_runs`,
which draws each run of one character class (``[0-9]{7}``,
``[A-Za-zƏə]+``) as a single string choice; this module says which
characters a class may stand for in XML. A regex with anything else
(anchors, lookarounds, back references, flags, a negated category inside a
class) falls back to ``st.from_regex``. Either way the caller checks every
string against the type's facets.

Characters are limited to those XML 1.0 can carry and the suite generates:
no surrogates, no control characters other than tab, line feed and carriage
return, no unassigned code points.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache
from typing import cast

from hypothesis import strategies as st

from conformance.strategies import regex_runs
from conformance.strategies._xsd_lexical import TEXT_WS
from conformance.strategies.regex_runs import constants as _c

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
        return regex_runs.runs(regex_runs.parse(regex), _classes, source=regex)
    except regex_runs.Unsupported:
        return st.from_regex(regex, fullmatch=True, alphabet=TEXT_WS)


def _classes(
    op: regex_runs.Opcode, arg: regex_runs.Argument
) -> str | regex_runs.Wide | None:
    alphabet = _alphabet(op, arg)
    if isinstance(alphabet, frozenset):
        return _wide(alphabet)
    return alphabet


def _wide(excluded: frozenset[str]) -> regex_runs.Wide:
    """Runs of a negated class, which takes nearly all of Unicode.

    Any one character of it is rarely drawn, so half of its runs are drawn
    from a few characters that matter instead: separators and spaces other
    regex dialects class differently, a byte order mark, a combining mark,
    the characters XML escapes.
    """
    wide = st.characters(
        exclude_categories=("Cs", "Cc", "Cn"),
        exclude_characters="".join(sorted(excluded)) + _UNUSABLE,
        include_characters="".join(c for c in "\t\n\r" if c not in excluded),
    )
    few = "".join(c for c in _NOTABLE if c not in excluded)

    def run(low: int, high: int) -> st.SearchStrategy[str]:
        runs = [st.text(wide, min_size=low, max_size=high)]
        if few:
            runs.append(st.text(few, min_size=low, max_size=high))
        return st.one_of(runs)

    return run


def _alphabet(
    op: regex_runs.Opcode, arg: regex_runs.Argument
) -> str | frozenset[str] | None:
    """The characters one single-character item stands for, or ``None``.

    A string lists them; a frozenset names the only ones excluded.
    """
    # Each opcode has its own shape of argument (see re._parser).
    if op is _c.LITERAL:
        return _positive({chr(cast("int", arg))})
    if op is _c.NOT_LITERAL:
        return _negative({chr(cast("int", arg))})
    if op is _c.ANY:  # Python's "." (xmlschema spells XSD's as a class)
        return _negative({"\n"})
    if op is _c.IN:
        items = cast("list[tuple[regex_runs.Opcode, object]]", arg)
        if len(items) == 1 and items[0][0] is _c.CATEGORY and items[0][1] in _NEGATED:
            # \S, \D or \W alone: everything but the category.
            return _negative(set(_category(_NEGATED[items[0][1]])))
        chars: set[str] = set()
        negated = False
        for kind, value in items:
            if kind is _c.NEGATE:
                negated = True
            elif kind is _c.LITERAL:
                chars.add(chr(cast("int", value)))
            elif kind is _c.RANGE:
                low, high = cast("tuple[int, int]", value)
                chars.update(map(chr, range(low, high + 1)))
            elif kind is _c.CATEGORY and value in _CATEGORIES:
                chars.update(_category(value))
            else:
                raise regex_runs.Unsupported("a negated category inside a class")
        return _negative(chars) if negated else _positive(chars)
    return None


# A category opcode (re._constants.CATEGORY_DIGIT...).
_Category = regex_runs.Opcode
_CATEGORIES: dict[_Category, Callable[[str], bool]] = {}
if _c is not None:
    # Python's meaning of \d, \s and \w in a str pattern, which is what
    # xmlschema's translation relies on.
    _CATEGORIES = {
        _c.CATEGORY_DIGIT: lambda c: unicodedata.category(c) == "Nd",
        _c.CATEGORY_SPACE: str.isspace,
        _c.CATEGORY_WORD: lambda c: c.isalnum() or c == "_",
    }


_NEGATED: dict[_Category, _Category] = {}
if _c is not None:
    _NEGATED = {
        _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
        _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
        _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
    }


@cache
def _category(name: _Category) -> frozenset[str]:
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
        raise regex_runs.Unsupported("no character XML can carry")
    return "".join(usable)


def _negative(chars: set[str]) -> frozenset[str]:
    return frozenset(chars)
