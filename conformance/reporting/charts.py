"""Small inline SVG charts of scores whose vertical axis fits the data.

A score axis forced to 0..100 % hides what a reviewer looks for: a drop
from 100 % to 93 % moves a point a few pixels. The axis here spans the
scores shown, padded to whole steps of 5 %, and at least 10 % tall, so the
same drop fills about half the chart. The labels on the axis say where it
starts, so the chart does not pretend the scale begins at zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

STEP = 5  # the axis ends on multiples of this many percent
MIN_SPAN = 10  # the axis is never shorter than this (in percent)


def axis_range(scores: Sequence[float]) -> tuple[int, int]:
    """The vertical axis, (bottom, top) in whole percent, for scores in 0..1.

    The top is the highest score rounded up to a step of 5 %; the bottom
    the lowest rounded down, one step lower so the lowest point does not
    sit on the axis; the range stays within 0..100 and spans at least 10 %.
    No scores: the top ten percent.
    """
    values = [s * 100 for s in scores] or [100.0]
    # round() first: 0.93 * 100 is 93.00000000000001, which must not round up.
    low = max(0, int(round(min(values), 6) // STEP * STEP) - STEP)
    high = min(100, int(-(-round(max(values), 6) // STEP) * STEP))
    if high - low < MIN_SPAN:
        low = max(0, high - MIN_SPAN)
        high = max(high, low + MIN_SPAN)
    return low, high


@dataclass(frozen=True, slots=True)
class Chart:
    """A line chart of scores, laid out for a template.

    Points are (x, y, tooltip, failing); a missing score breaks the line.
    """

    title: str
    points: tuple[tuple[float, float, str, bool], ...]
    lines: tuple[str, ...]  # SVG polyline point lists
    labels: tuple[tuple[float, str], ...]  # x, label under the axis
    ticks: tuple[tuple[float, str], ...]  # y, label of the vertical axis
    low: int
    high: int
    width: int
    height: int
    pad: int


def score_chart(
    title: str,
    labels: Sequence[str],
    scores: Sequence[float | None],
    *,
    failing: Sequence[bool] | None = None,
    width: int = 520,
    height: int = 150,
    pad: int = 32,
) -> Chart:
    """Scores (0..1, ``None`` for none) at evenly spaced labels, oldest first."""
    if len(labels) != len(scores):
        raise ValueError("score_chart: one label per score")
    flags = list(failing) if failing is not None else [False] * len(scores)
    low, high = axis_range([s for s in scores if s is not None])
    span = high - low
    inner_w, inner_h = width - 2 * pad, height - 2 * pad

    def y_of(percent: float) -> float:
        return round(pad + (1 - (percent - low) / span) * inner_h, 1)

    step = inner_w / max(len(scores) - 1, 1)
    xs = [
        round(pad + (i * step if len(scores) > 1 else inner_w / 2), 1)
        for i in range(len(scores))
    ]
    points: list[tuple[float, float, str, bool]] = []
    lines: list[str] = []
    current: list[str] = []
    for x, label, score, bad in zip(xs, labels, scores, flags, strict=True):
        if score is None:
            if current:
                lines.append(" ".join(current))
            current = []
            continue
        y = y_of(score * 100)
        current.append(f"{x},{y}")
        points.append((x, y, f"{label}: {score * 100:.1f}%", bad))
    if current:
        lines.append(" ".join(current))
    middle = (low + high) / 2
    ticks = tuple((y_of(v), f"{v:g}%") for v in (high, middle, low))
    return Chart(
        title=title,
        points=tuple(points),
        lines=tuple(lines),
        labels=tuple(zip(xs, labels, strict=True)),
        ticks=ticks,
        low=low,
        high=high,
        width=width,
        height=height,
        pad=pad,
    )
