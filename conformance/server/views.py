"""What the service's pages and API show, gathered from the history.

The numbers are those of the reports (``results.scores``): an agency's
standing is that of its newest pushed run, per standard it implements.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from conformance.errors import ConformanceError
from conformance.history import HistoryStore
from conformance.history.central import Push, latest_pushes, pushes
from conformance.registry.manifest import Status
from conformance.registry.standards import Registry
from conformance.reporting.charts import axis_range
from conformance.results.run import Run
from conformance.results.scores import Tally, tally
from conformance.results.standing import AgencyStanding, agency_standing, headline

TREND_RUNS = 20
_W, _H, _PAD = 360, 120, 30


@dataclass(frozen=True, slots=True)
class StandardUse:
    """One standard version an agency implements, as its newest run found it."""

    ref: str
    standard: str
    status: str  # scores.STATUSES
    score: str
    must_failed: int
    lifecycle: str  # the version's status in the registry
    sunset: dt.date | None


@dataclass
class AgencyRow:
    """An agency and its standing."""

    id: str
    name: str | None
    latest: Push
    standing: AgencyStanding
    uses: list[StandardUse] = field(default_factory=list)

    @property
    def meets_every_must(self) -> bool:
        """Every standard it implements: no MUST failed, all checked."""
        return self.standing.meets_every_must


@dataclass
class Overview:
    """The dashboard: every agency, the headline, deprecated versions in use."""

    agencies: list[AgencyRow]
    runs: int

    @property
    def meeting(self) -> int:
        """How many agencies meet every MUST requirement."""
        return headline(a.standing for a in self.agencies).meeting

    @property
    def deprecated(self) -> list[tuple[AgencyRow, StandardUse]]:
        """Deprecated or retired versions still in use, soonest sunset first."""
        found = [
            (a, u)
            for a in self.agencies
            for u in a.uses
            if u.lifecycle in (Status.DEPRECATED.value, Status.RETIRED.value)
        ]
        return sorted(found, key=lambda p: (p[1].sunset or dt.date.max, p[0].id))


def _lifecycle(registry: Registry, ref: str) -> tuple[str, dt.date | None]:
    try:
        found = registry.resolve(ref)
    except ConformanceError:
        return "unknown", None
    return found.status.value, found.sunset


def agency_row(push: Push, run: Run, registry: Registry) -> AgencyRow:
    """An agency's standing from its newest run."""
    standing = agency_standing(run, push.agency)
    row = AgencyRow(id=push.agency, name=standing.name, latest=push, standing=standing)
    for verdict in standing.verdicts:
        lifecycle, sunset = _lifecycle(registry, verdict.ref)
        row.uses.append(
            StandardUse(
                ref=verdict.ref,
                standard=verdict.standard,
                status=verdict.status,
                score=verdict.score,
                must_failed=verdict.must_failed,
                lifecycle=lifecycle,
                sunset=sunset,
            )
        )
    return row


def overview(store: HistoryStore, registry: Registry) -> Overview:
    """Every agency's newest run, summed up."""
    rows = [
        agency_row(push, store.load(push.run_id, registry, evidence=False), registry)
        for push in latest_pushes(store)
    ]
    count = store.execute("SELECT COUNT(*) FROM pushes").fetchone()
    return Overview(agencies=rows, runs=int(count[0]))


@dataclass(frozen=True, slots=True)
class Chart:
    """A small line chart whose vertical axis fits the scores shown."""

    points: tuple[tuple[float, float, str], ...]
    line: str
    low: int  # the axis' bottom, in percent
    high: int
    ticks: tuple[tuple[float, str], ...]
    width: int = _W
    height: int = _H
    pad: int = _PAD


def chart(scores: list[tuple[str, float]]) -> Chart:
    """Scores (label, 0..1) oldest first; the axis spans them with a margin.

    A drop from 100 % to 93 % fills most of the height instead of a few
    pixels at the top of a 0-100 axis.
    """
    low, high = axis_range([s for _, s in scores])
    span = max(high - low, 1)
    inner_w, inner_h = _W - 2 * _PAD, _H - 2 * _PAD
    step = inner_w / max(len(scores) - 1, 1)
    points = []
    for index, (label, score) in enumerate(scores):
        x = _PAD + (index * step if len(scores) > 1 else inner_w / 2)
        y = _PAD + (1 - (score * 100 - low) / span) * inner_h
        points.append((round(x, 1), round(y, 1), f"{label}: {score * 100:.1f}%"))
    ticks = tuple(
        (round(_PAD + (1 - (v - low) / span) * inner_h, 1), f"{v}%")
        for v in (low, (low + high) // 2, high)
    )
    return Chart(
        points=tuple(points),
        line=" ".join(f"{x},{y}" for x, y, _ in points),
        low=low,
        high=high,
        ticks=ticks,
    )


def trend(store: HistoryStore, registry: Registry, agency: str) -> Chart | None:
    """An agency's score over its recent runs."""
    recent = list(reversed(pushes(store, agency, limit=TREND_RUNS)))
    scores = []
    for push in recent:
        run = store.load(push.run_id, registry, evidence=False)
        counted: Tally = tally(run.results)
        if counted.score is not None:
            scores.append((push.started[:16].replace("T", " "), counted.score))
    return chart(scores) if scores else None


@dataclass(frozen=True, slots=True)
class VersionRow:
    """A version of a standard and the agencies whose newest run implements it."""

    ref: str
    status: str
    sunset: dt.date | None
    agencies: tuple[str, ...]


def standard_rows(
    registry: Registry, standard: str, view: Overview
) -> list[VersionRow]:
    """Every version of a standard, with who implements it."""
    rows = []
    for version in registry.versions(standard):
        users = tuple(
            a.id for a in view.agencies if any(u.ref == version.ref for u in a.uses)
        )
        rows.append(
            VersionRow(
                ref=version.ref,
                status=version.status.value,
                sunset=version.sunset,
                agencies=users,
            )
        )
    return rows


BADGE_COLOURS = {
    "conformant": "#1b7f3b",
    "waived": "#5b4aa8",
    "non-conformant": "#b3261e",
    "incomplete": "#6b3e00",
    "not-checked": "#8b9096",
}
