"""Strings matching a regex, drawn a run at a time: the core both generators share.

``st.from_regex`` draws one choice per character, and building a regex out
of ``st.tuples``, ``st.lists`` and ``.map`` makes every group, repeat and
literal a draw of its own. Hypothesis tracks each draw (spans for shrinking
and mutation), and that tracking is most of what generating a document
costs. Here a regex parsed by ``re._parser`` (the parser ``st.from_regex``
uses) becomes a small program run inside a single draw: literals are
written as they are, a run of one character class is one string choice, a
repeat count or an alternative one integer choice. Shrinking still works
on those choices: shorter runs, fewer repeats, the first alternative.

The generators differ in which characters a class may stand for (JSON
takes text a person could type, XML what XML 1.0 can carry), so each
passes its own ``classes`` function; the walk over the parsed regex, the
repeat limits and the drawing are here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, cast

from hypothesis import strategies as st

from conformance.strategies.primitives import AVAILABLE as _PRIMITIVES
from conformance.strategies.primitives import IntervalSet, Leaf

if TYPE_CHECKING:
    # typeshed describes re._parser and re._constants under their old names.
    import sre_constants as _c
    import sre_parse as _parser
    from sre_constants import _NamedIntConstant
    from sre_parse import SubPattern, _AvType

    from hypothesis.internal.conjecture.data import ConjectureData
else:
    try:  # the parser st.from_regex uses; private, so callers fall back without it
        from re import _constants as _c
        from re import _parser
    except ImportError:  # pragma: no cover - Python < 3.11
        _parser = _c = None
constants = _c
"""``re._constants``: the opcodes a ``classes`` function compares items with."""
parser = _parser
"""``re._parser``, or ``None`` where it is missing."""

Parsed: TypeAlias = "SubPattern"
"""A regex as ``re._parser`` parses it: a sequence of (opcode, argument) items."""
Opcode: TypeAlias = "_NamedIntConstant"
"""The opcode of one parsed item (``constants.LITERAL``, ``constants.IN``...)."""
Argument: TypeAlias = "_AvType"
"""The argument of one parsed item; its shape depends on the opcode."""

SPARE = 8
"""How far past its minimum an unbounded run of one class goes."""
GROUP_SPARE = 3
"""How far past its minimum a repeated group goes."""
LONGEST_RUN = 1000
"""No run is drawn longer than this, whatever the regex allows."""

Wide = Callable[[int, int], st.SearchStrategy[str]]
"""Runs of a class too large to list (a negated class, ``.``): low, high -> text."""
Classes = Callable[[Opcode, Argument], "str | Wide | None"]
"""What one parsed item stands for: its characters, a Wide, or None if it
is not a single-character item. Raises :class:`Unsupported` to give up."""


class Unsupported(Exception):
    """A construct the run builder leaves to ``st.from_regex``."""


@dataclass(frozen=True)
class _Run:
    chars: str
    low: int
    high: int


@dataclass(frozen=True)
class _Strategy:
    strategy: st.SearchStrategy[str]


@dataclass(frozen=True)
class _Repeat:
    body: _Node
    low: int
    high: int


@dataclass(frozen=True)
class _Either:
    options: tuple[_Node, ...]


@dataclass(frozen=True)
class _Sequence:
    parts: tuple[_Node, ...]


_Node = str | _Run | _Strategy | _Repeat | _Either | _Sequence


def parse(regex: str) -> Parsed:
    """``regex`` parsed by ``re._parser``; :class:`Unsupported` for flags."""
    if _parser is None:
        raise Unsupported("re._parser is not available")
    try:
        parsed = _parser.parse(regex)
    except Exception as exc:  # re.error, or anything the private parser raises
        raise Unsupported(str(exc)) from exc
    if parsed.state.flags & ~_c.SRE_FLAG_UNICODE:
        raise Unsupported("inline flags")
    return parsed


def widths(parsed: Parsed) -> tuple[int, int | None]:
    """The shortest and longest string the parsed regex matches (None: no limit)."""
    shortest, longest = parsed.getwidth()
    return shortest, (None if longest >= _c.MAXREPEAT else longest)


def runs(
    parsed: Parsed,
    classes: Classes,
    *,
    longest: int | None = None,
    primitives: bool = True,
    source: str = "",
) -> st.SearchStrategy[str]:
    """Strings the parsed regex matches in full, a run per choice.

    An unbounded run may grow to ``longest`` (a length limit the caller
    knows, up to :data:`LONGEST_RUN`) so that long values are tried too.
    ``primitives=False`` builds the same strings from public strategies
    only (what is used when hypothesis's choice primitives are missing).
    ``source``, the regex as written, names the strategy in hypothesis's
    reports.
    """
    node = _compile(parsed.data, classes, longest)
    if isinstance(node, str):
        return st.just(node)
    if primitives and _PRIMITIVES:
        return _Draw(node, source)
    return _public(node)


def _compile(
    items: list[tuple[Opcode, Argument]], classes: Classes, longest: int | None
) -> _Node:
    parts: list[_Node] = []
    for op, arg in items:
        parts.append(_item(op, arg, classes, longest))
    merged: list[_Node] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part  # "+", "9", "9", "4" written as "+994"
        elif part != "":
            merged.append(part)
    if not merged:
        return ""
    if len(merged) == 1:
        return merged[0]
    return _Sequence(tuple(merged))


def _item(op: Opcode, arg: Argument, classes: Classes, longest: int | None) -> _Node:
    single = classes(op, arg)
    if single is not None:
        if isinstance(single, str) and len(single) == 1:
            return single
        return _run(single, 1, 1)
    # Each opcode has its own shape of argument (see re._parser).
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, repeated = cast("tuple[int, int, Parsed]", arg)
        body = repeated.data
        if len(body) == 1:
            chars = classes(*body[0])
            if chars is not None:
                if high is _c.MAXREPEAT:
                    high = max(low + SPARE, min(longest or 0, LONGEST_RUN))
                return _run(chars, low, min(high, max(low, LONGEST_RUN)))
        most = (
            low + GROUP_SPARE if high is _c.MAXREPEAT else min(high, low + GROUP_SPARE)
        )
        inner = _compile(body, classes, longest)
        if isinstance(inner, str) and low == most:
            return inner * low
        return _Repeat(inner, low, most)
    if op is _c.SUBPATTERN:
        _group, add_flags, del_flags, group = cast(
            "tuple[int | None, int, int, Parsed]", arg
        )
        if add_flags or del_flags:
            raise Unsupported("inline flags")
        return _compile(group.data, classes, longest)
    if op is _c.BRANCH:
        _, branches = cast("tuple[None, list[Parsed]]", arg)
        return _Either(tuple(_compile(b.data, classes, longest) for b in branches))
    raise Unsupported(f"regex construct {op}")


def _run(chars: str | Wide, low: int, high: int) -> _Node:
    if isinstance(chars, str):
        if not chars:
            raise Unsupported("an empty character class")
        return _Run(chars, low, high)
    return _Strategy(chars(low, high))


# -- drawing ------------------------------------------------------------------

if _PRIMITIVES:

    class _Draw(Leaf[str]):
        """One draw for a whole regex: runs, counts and alternatives as choices."""

        def __init__(self, node: _Node, source: str) -> None:
            super().__init__()
            self.node = node
            self.source = source
            self._intervals: dict[str, IntervalSet] = {}

        def __repr__(self) -> str:
            return f"regex_runs({self.source!r})"

        def do_draw(self, data: ConjectureData) -> str:
            out: list[str] = []
            self._emit(self.node, data, out)
            return "".join(out)

        def _emit(self, node: _Node, data: ConjectureData, out: list[str]) -> None:
            if isinstance(node, str):
                out.append(node)
            elif isinstance(node, _Run):
                intervals = self._intervals.get(node.chars)
                if intervals is None:
                    intervals = IntervalSet.from_string(node.chars)
                    self._intervals[node.chars] = intervals
                out.append(
                    data.draw_string(intervals, min_size=node.low, max_size=node.high)
                )
            elif isinstance(node, _Sequence):
                for part in node.parts:
                    self._emit(part, data, out)
            elif isinstance(node, _Repeat):
                for _ in range(data.draw_integer(node.low, node.high)):
                    self._emit(node.body, data, out)
            elif isinstance(node, _Either):
                chosen = data.draw_integer(0, len(node.options) - 1)
                self._emit(node.options[chosen], data, out)
            else:
                out.append(data.draw(node.strategy))


def _public(node: _Node) -> st.SearchStrategy[str]:
    """The same strings from public strategies (a draw per part, slower)."""
    if isinstance(node, str):
        return st.just(node)
    if isinstance(node, _Run):
        return st.text(list(node.chars), min_size=node.low, max_size=node.high)
    if isinstance(node, _Strategy):
        return node.strategy
    if isinstance(node, _Sequence):
        return st.tuples(*(_public(p) for p in node.parts)).map("".join)
    if isinstance(node, _Repeat):
        return st.lists(_public(node.body), min_size=node.low, max_size=node.high).map(
            "".join
        )
    return st.one_of([_public(option) for option in node.options])
