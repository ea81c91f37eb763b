"""Strategies drawn straight from hypothesis's choices, for speed.

Every ``data.draw`` of a nested strategy is tracked by hypothesis (a span
for shrinking and mutation), and that tracking costs more than the value
drawn. The few strategies here take their choices directly
(``draw_integer``, ``draw_string``) inside one draw.
They use hypothesis's internal API, which has kept its shape since
6.130; where it is missing, :data:`AVAILABLE` is false and callers build
the same values from public strategies.

The strategies of a value of few choices (a regex's runs, an enum's pick,
a day, a number) are :class:`Leaf` strategies: an object or array drawing
one takes its choices inside its own draw, without a span for that value.
The choices are the same, and shrinking and mutation still work on them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

from hypothesis import strategies as st

if TYPE_CHECKING:
    from hypothesis.internal.conjecture.data import ConjectureData
    from hypothesis.strategies._internal.strategies import RecurT

    from conformance.model import JsonValue

__all__ = [
    "AVAILABLE",
    "IntervalSet",
    "Leaf",
    "SearchStrategy",
    "integers_as",
    "members",
    "numbers",
    "picks",
    "rows",
]

T = TypeVar("T")

try:
    from hypothesis.internal.intervalsets import IntervalSet
    from hypothesis.strategies._internal.strategies import SearchStrategy

    AVAILABLE = all(
        hasattr(cls, name)
        for cls, name in (
            (SearchStrategy, "do_draw"),
            (IntervalSet, "from_string"),
        )
    )
except ImportError:  # pragma: no cover - a hypothesis that moved them
    AVAILABLE = False
    if not TYPE_CHECKING:
        # Stand-ins so that importers still load; nothing draws with them.
        IntervalSet = None
        SearchStrategy = object

try:
    from hypothesis.strategies._internal.lazy import LazyStrategy

    _LAZY_KNOWN = True
except ImportError:  # pragma: no cover - drawn as they are, through the wrapper
    _LAZY_KNOWN = False


def members(
    required: Mapping[str, st.SearchStrategy[JsonValue]],
    optional: Mapping[str, st.SearchStrategy[JsonValue]],
) -> st.SearchStrategy[dict[str, JsonValue]]:
    """Objects with every required member and any of the optional ones.

    Like ``st.fixed_dictionaries``, but which optional members are present
    is one choice (the bits of an integer, which shrinks towards none) and
    the order of members one more (a rotation), where hypothesis's own
    takes two choices per member present and a full shuffle. Services that
    care about member order are still tried with other orders.
    """
    if not AVAILABLE:
        return st.fixed_dictionaries(dict(required), optional=dict(optional))
    return _Members(tuple(required.items()), tuple(optional.items()))


if AVAILABLE:

    class Leaf(SearchStrategy[T], Generic[T]):
        """A value of a few choices, drawn within the draw of what holds it.

        Hypothesis tracks every draw as a span, and for a value of one or
        two choices that tracking costs more than the value: an object's
        members and an array's rows (:func:`members`, :func:`rows`) call a
        leaf's ``do_draw`` themselves, so its choices belong to their span.
        """

elif not TYPE_CHECKING:  # pragma: no cover - a hypothesis without the internal API

    class Leaf(Generic[T]):
        """A stand-in: without the internal API no strategy is a leaf."""


def _draw(strategy: st.SearchStrategy[T], data: ConjectureData) -> T:
    """A member's or a row's value: a leaf inside the holder's draw, any
    other strategy as a draw of its own."""
    if isinstance(strategy, Leaf):
        value: T = strategy.do_draw(data)
        return value
    return data.draw(strategy)


def picks(values: Sequence[T]) -> st.SearchStrategy[T]:
    """One of ``values`` (an enum), shrinking towards the first: as
    ``st.sampled_from``, one choice, as a :class:`Leaf`."""
    if not values:
        return st.nothing()
    if not AVAILABLE:
        return st.sampled_from(values)
    return _Picks(tuple(values))


def integers_as(
    low: int, high: int, then: Callable[[int], T], name: str
) -> st.SearchStrategy[T]:
    """``then`` of an integer between ``low`` and ``high`` (a day, a second):
    as ``st.integers(low, high).map(then)``, one choice, as a :class:`Leaf`.
    ``name`` says what it draws, for hypothesis's reports."""
    if not AVAILABLE:
        return st.integers(low, high).map(then)
    return _IntegersAs(low, high, then, name)


if AVAILABLE:

    class _Picks(Leaf[T]):
        def __init__(self, values: tuple[T, ...]) -> None:
            super().__init__()
            self.values = values

        def __repr__(self) -> str:
            return f"picks({list(self.values)!r})"

        def do_draw(self, data: ConjectureData) -> T:
            return self.values[data.draw_integer(0, len(self.values) - 1)]

    class _IntegersAs(Leaf[T]):
        def __init__(
            self, low: int, high: int, then: Callable[[int], T], name: str
        ) -> None:
            super().__init__()
            self.low, self.high, self.then, self.name = low, high, then, name

        def __repr__(self) -> str:
            return f"{self.name}({self.low}, {self.high})"

        def do_draw(self, data: ConjectureData) -> T:
            return self.then(data.draw_integer(self.low, self.high))


_Drawn: TypeAlias = tuple[
    tuple[tuple[str, "st.SearchStrategy[JsonValue]"], ...],
    tuple[tuple[int, str, "st.SearchStrategy[JsonValue]"], ...],
]


def _built(strategy: st.SearchStrategy[JsonValue]) -> st.SearchStrategy[JsonValue]:
    """What a lazily built strategy (``st.text``, ``st.sampled_from``...)
    builds; any other strategy as it is."""
    if _LAZY_KNOWN and isinstance(strategy, LazyStrategy):
        return strategy.wrapped_strategy
    return strategy


if AVAILABLE:

    class _Members(SearchStrategy[dict[str, "JsonValue"]]):
        def __init__(
            self,
            required: tuple[tuple[str, st.SearchStrategy[JsonValue]], ...],
            optional: tuple[tuple[str, st.SearchStrategy[JsonValue]], ...],
        ) -> None:
            super().__init__()
            self.required = required
            self.optional = optional
            self._drawn: _Drawn | None = None

        def __repr__(self) -> str:
            names = [n for n, _ in self.required] + [f"{n}?" for n, _ in self.optional]
            return f"members({', '.join(names)})"

        def calc_is_empty(self, recur: RecurT) -> bool:
            return any(recur(s) for _, s in self.required)

        def drawn(self) -> _Drawn:
            """The members' strategies as drawn, worked out on the first draw
            (a recursive schema's strategies are complete only by then).

            Which optional members can be drawn at all is asked once:
            hypothesis derives ``is_empty`` anew at every access. A lazily
            built strategy is drawn through the strategy it builds, which
            spares a tracked draw per member and holds the same choices.
            """
            if self._drawn is None:
                self._drawn = (
                    tuple((name, _built(s)) for name, s in self.required),
                    tuple(
                        (1 << bit, name, _built(s))
                        for bit, (name, s) in enumerate(self.optional)
                        if not s.is_empty
                    ),
                )
            return self._drawn

        def do_draw(self, data: ConjectureData) -> dict[str, JsonValue]:
            required, optional = self.drawn()
            pairs = [(name, _draw(s, data)) for name, s in required]
            if self.optional:
                present = data.draw_integer(0, (1 << len(self.optional)) - 1)
                for bit, name, s in optional:
                    if present & bit:
                        pairs.append((name, _draw(s, data)))
            if len(pairs) > 1:
                turn = data.draw_integer(0, len(pairs) - 1)
                pairs = pairs[turn:] + pairs[:turn]
            return dict(pairs)


_STEPS = 1 << 53
"""Evenly spaced points of a float range a number is drawn from (a double's
precision: every step is a distinct float in a range of one order)."""


def floats(
    low: float, high: float, *, exclude_min: bool = False, exclude_max: bool = False
) -> st.SearchStrategy[float]:
    """JSON's floats between ``low`` and ``high``: finite, never NaN."""
    return st.floats(
        low,
        high,
        allow_nan=False,
        allow_infinity=False,
        exclude_min=exclude_min,
        exclude_max=exclude_max,
    )


def numbers(
    integers: tuple[int, int] | None,
    low: float,
    high: float,
    *,
    exclude_min: bool = False,
    exclude_max: bool = False,
) -> st.SearchStrategy[int | float]:
    """JSON numbers: integers in ``integers`` (when not ``None``) or floats
    between ``low`` and ``high``.

    One choice for which, one for the value (an integer, or a point of the
    range, which shrinks towards ``low``): hypothesis's ``one_of(integers(),
    floats())`` tracks three draws for each number, and a GeoJSON boundary
    holds hundreds of numbers.
    """
    if not AVAILABLE:
        reals = floats(low, high, exclude_min=exclude_min, exclude_max=exclude_max)
        return st.one_of(st.integers(*integers), reals) if integers else reals
    return _Numbers(integers, low, high, exclude_min, exclude_max)


def rows(
    items: Sequence[st.SearchStrategy[JsonValue]],
) -> st.SearchStrategy[list[JsonValue]]:
    """Lists of exactly one value of each strategy in turn (``prefixItems``
    with nothing after them: a GeoJSON position, a bounding box)."""
    if not AVAILABLE:
        return st.tuples(*items).map(list)
    return _Rows(tuple(items))


if AVAILABLE:

    class _Numbers(Leaf[int | float]):
        def __init__(
            self,
            integers: tuple[int, int] | None,
            low: float,
            high: float,
            exclude_min: bool,
            exclude_max: bool,
        ) -> None:
            super().__init__()
            self.integers = integers
            self.low, self.high = low, high
            self.exclude_min, self.exclude_max = exclude_min, exclude_max

        def __repr__(self) -> str:
            return f"numbers({self.integers!r}, {self.low!r}, {self.high!r})"

        def calc_is_empty(self, recur: RecurT) -> bool:
            return self.integers is None and (
                self.low > self.high
                or (self.low == self.high and (self.exclude_min or self.exclude_max))
            )

        def do_draw(self, data: ConjectureData) -> int | float:
            if self.integers is not None and (
                self.calc_is_empty(lambda _: False) or data.draw_boolean()
            ):
                return data.draw_integer(*self.integers)
            low, high = self.low, self.high
            point = data.draw_integer(0, _STEPS)
            value = min(max(low + (high - low) * (point / _STEPS), low), high)
            if self.exclude_min and value <= low:
                value = math.nextafter(low, high)
            if self.exclude_max and value >= high:
                value = math.nextafter(high, low)
            return value

    class _Rows(SearchStrategy[list["JsonValue"]]):
        def __init__(self, items: tuple[st.SearchStrategy[JsonValue], ...]) -> None:
            super().__init__()
            self.items = items

        def __repr__(self) -> str:
            return f"rows({', '.join(map(repr, self.items))})"

        def calc_is_empty(self, recur: RecurT) -> bool:
            return any(recur(s) for s in self.items)

        def do_draw(self, data: ConjectureData) -> list[JsonValue]:
            return [_draw(s, data) for s in self.items]
