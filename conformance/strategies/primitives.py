"""Strategies drawn straight from hypothesis's choices, for speed.

Every ``data.draw`` of a nested strategy is tracked by hypothesis (a span
for shrinking and mutation), and that tracking costs more than the value
drawn. The few strategies here take their choices directly
(``draw_integer``, ``draw_string``) inside one draw.
They use hypothesis's internal API, which has kept its shape since
6.130; where it is missing, :data:`AVAILABLE` is false and callers build
the same values from public strategies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from hypothesis import strategies as st

if TYPE_CHECKING:
    from hypothesis.internal.conjecture.data import ConjectureData
    from hypothesis.strategies._internal.strategies import RecurT

    from conformance.model import JsonValue

__all__ = ["AVAILABLE", "IntervalSet", "SearchStrategy", "members"]

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

    class _Members(SearchStrategy[dict[str, "JsonValue"]]):
        def __init__(
            self,
            required: tuple[tuple[str, st.SearchStrategy[JsonValue]], ...],
            optional: tuple[tuple[str, st.SearchStrategy[JsonValue]], ...],
        ) -> None:
            super().__init__()
            self.required = required
            self.optional = optional

        def __repr__(self) -> str:
            names = [n for n, _ in self.required] + [f"{n}?" for n, _ in self.optional]
            return f"members({', '.join(names)})"

        def calc_is_empty(self, recur: RecurT) -> bool:
            return any(recur(s) for _, s in self.required)

        def do_draw(self, data: ConjectureData) -> dict[str, JsonValue]:
            pairs = [(name, data.draw(s)) for name, s in self.required]
            if self.optional:
                present = data.draw_integer(0, (1 << len(self.optional)) - 1)
                for bit, (name, s) in enumerate(self.optional):
                    if present >> bit & 1 and not s.is_empty:
                        pairs.append((name, data.draw(s)))
            if len(pairs) > 1:
                turn = data.draw_integer(0, len(pairs) - 1)
                pairs = pairs[turn:] + pairs[:turn]
            return dict(pairs)
