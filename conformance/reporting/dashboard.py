"""The dashboard: every agency against every standard, over time, in one file.

Built from the results history:

- the **matrix** of agencies × standards: each cell is the latest run that
  checked that agency and standard, with its score, status and failures;
- **trends**: the score per agency (and overall) over the recent runs, as
  inline SVG charts;
- **changes** since a chosen earlier run (by default the one before the
  latest): regressions, fixes and new failures, each linked to its evidence;
- **deprecated and retired versions in use**, from the agencies' targets and
  from the ``Standard`` header their services declare, with sunset dates;
- the **headline** (how many agencies meet every MUST requirement of the
  standards they implement, as the central service counts it) and one row
  per agency with its verdict per standard version;
- **primary sources**: the agency that owns each standard's data, and
  whether its own service conforms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

from conformance import __version__
from conformance.atomic import write_text_atomic
from conformance.errors import UsageError
from conformance.history import HistoryStore, RunSummary
from conformance.model import Result
from conformance.registry.manifest import Status
from conformance.registry.standards import Registry
from conformance.reporting.charts import Chart, score_chart
from conformance.reporting.i18n import DEFAULT_LANGUAGE, both
from conformance.reporting.templating import anchor, render
from conformance.reporting.views import (
    FailureView,
    failure_view,
    is_failure,
    result_anchor,
)
from conformance.results.compare import Change, Comparison, compare
from conformance.results.run import Run
from conformance.results.scores import Subjects, Tally, standard_id, tally
from conformance.results.standing import (
    AgencyStanding,
    Headline,
    headline,
    latest_standings,
)
from conformance.results.waivers import Waiver, apply_waivers

DEFAULT_WINDOW = 20
# Checks whose replies carry the Standard header the service declares.
_DECLARING_CHECKS = ("standard-lifecycle", "standard-declared")


@dataclass(frozen=True, slots=True)
class Cell:
    """One agency × standard: the latest run that checked it."""

    agency: str
    standard: str  # the standard id: "person"
    refs: tuple[str, ...]  # the versions checked: ("person@1.1.0", "person@1.2.0")
    tally: Tally
    status: str
    run_id: str
    started: dt.datetime
    failures: tuple[FailureView, ...]
    anchor: str


@dataclass(frozen=True, slots=True)
class LifecycleRow:
    """A deprecated or retired version an agency still uses."""

    agency: str
    target: str
    ref: str
    status: str
    sunset: dt.date | None
    days_left: int | None
    seen_in: str  # "profile" or "declared"


@dataclass(frozen=True, slots=True)
class PrimaryRow:
    """A standard, the agency that is its primary source, and that agency's service."""

    standard: str
    title: str
    title_az: str | None
    ref: str
    owner: str
    owner_name: str
    owner_name_az: str | None
    status: str  # a status of scores.STATUSES, or "not-checked"
    score: str
    cell_anchor: str | None


@dataclass(frozen=True, slots=True)
class ChangeRow:
    """A change between the two compared runs, ready to show."""

    change: Change
    agency: str
    standard: str
    anchor: str | None


@dataclass
class Dashboard:
    """Everything the dashboard page shows."""

    generated: dt.datetime
    today: dt.date
    runs: list[RunSummary]  # oldest first
    latest: RunSummary
    since: RunSummary | None
    agencies: list[tuple[str, str | None]]
    standards: list[tuple[str, str, str | None]]  # id, title, title_az
    cells: dict[tuple[str, str], Cell]
    charts: list[Chart]
    comparison: Comparison | None
    changes: dict[str, list[ChangeRow]] = field(default_factory=dict)
    lifecycle: list[LifecycleRow] = field(default_factory=list)
    primary: list[PrimaryRow] = field(default_factory=list)
    standings: list[AgencyStanding] = field(default_factory=list)
    headline: Headline = field(default_factory=lambda: Headline(0, 0))


def _cell_anchor(agency: str, standard: str) -> str:
    return "cell-" + anchor(agency, standard)[2:]


def _cells(runs: list[Run]) -> dict[tuple[str, str], Cell]:
    """The newest run wins each agency × standard (``runs`` newest first)."""
    cells: dict[tuple[str, str], Cell] = {}
    for run in runs:
        subjects = Subjects(run.targets)
        grouped: dict[tuple[str, str], list[Result]] = {}
        for result in run.results:
            agency = subjects.agency(result)
            ref = subjects.standard(result)
            if agency == "-" or ref == "-":
                continue
            grouped.setdefault((agency, standard_id(ref)), []).append(result)
        for key, results in grouped.items():
            if key in cells:
                continue
            counted = tally(results)
            cells[key] = Cell(
                agency=key[0],
                standard=key[1],
                refs=tuple(sorted({subjects.standard(r) for r in results})),
                tally=counted,
                status=counted.status(complete=run.complete),
                run_id=run.id,
                started=run.started,
                failures=tuple(
                    failure_view(run, r, subjects) for r in results if is_failure(r)
                ),
                anchor=_cell_anchor(*key),
            )
    return cells


def _chart(title: str, runs: list[RunSummary], scores: list[Tally | None]) -> Chart:
    return score_chart(
        title,
        [f"{s.started:%m-%d %H:%M}" for s in runs],
        [c.score if c is not None else None for c in scores],
        failing=[bool(c and c.must_failed) for c in scores],
    )


def _charts(runs: list[Run], summaries: list[RunSummary]) -> list[Chart]:
    """Overall, then one chart per agency, oldest run on the left."""
    agencies = sorted(
        {Subjects(r.targets).agency(x) for r in runs for x in r.results} - {"-"}
    )
    charts = [_chart("overall", summaries, [tally(r.results) for r in runs])]
    for agency in agencies:
        per_run: list[Tally | None] = []
        for run in runs:
            subjects = Subjects(run.targets)
            mine = [r for r in run.results if subjects.agency(r) == agency]
            per_run.append(tally(mine) if mine else None)
        charts.append(_chart(agency, summaries, per_run))
    return charts


def _declared(result: Result) -> str | None:
    """The ``Standard`` header a service's reply declared, if any."""
    for exchange in reversed(result.evidence.get("exchanges") or []):
        response = exchange.get("response")
        if response is None:
            continue
        for name, value in response["headers"].items():
            if name.lower() == "standard" and value:
                return str(value).strip()
    return None


def _lifecycle(
    registry: Registry, runs: Iterable[Run], today: dt.date
) -> list[LifecycleRow]:
    seen: dict[tuple[str, str, str], LifecycleRow] = {}
    for run in runs:
        subjects = Subjects(run.targets)
        uses = [(t.agency or "-", t.id, t.standard, "profile") for t in run.targets]
        for result in run.results:
            if result.evidence.get("check") in (
                "standard-lifecycle",
                "standard-declared",
            ):
                declared = _declared(result)
                if declared:
                    uses.append(
                        (subjects.agency(result), result.target, declared, "declared")
                    )
        for agency, target, ref, seen_in in uses:
            if not ref or (agency, target, ref) in seen:
                continue
            try:
                standard = registry.resolve(ref)
            except UsageError:
                continue
            if standard.status not in (Status.DEPRECATED, Status.RETIRED):
                continue
            sunset = standard.sunset
            seen[(agency, target, ref)] = LifecycleRow(
                agency=agency,
                target=target,
                ref=standard.ref,
                status=standard.status.value,
                sunset=sunset,
                days_left=(sunset - today).days if sunset else None,
                seen_in=seen_in,
            )
    return sorted(seen.values(), key=lambda r: (r.sunset or dt.date.max, r.agency))


def _primary(
    registry: Registry, cells: dict[tuple[str, str], Cell]
) -> list[PrimaryRow]:
    rows = []
    for standard_name in registry.ids():
        try:
            latest = registry.resolve(standard_name)
        except UsageError:
            continue
        owner = latest.owner
        cell = cells.get((owner.id, standard_name)) if owner is not None else None
        services = (
            [f for f in cell.tally.results if f.kind == "service"] if cell else []
        )
        if services:
            counted = tally(services)
            status, score = counted.status(), counted.percent
        else:
            status, score = "not-checked", "–"
        rows.append(
            PrimaryRow(
                standard=standard_name,
                title=latest.title,
                title_az=latest.title_az,
                ref=latest.ref,
                # An external standard may name no primary source.
                owner=owner.id if owner is not None else "–",
                owner_name=owner.name if owner is not None else both("not.stated")[1],
                owner_name_az=owner.name_az
                if owner is not None
                else both("not.stated")[0],
                status=status,
                score=score,
                cell_anchor=cell.anchor if cell and cell.failures else None,
            )
        )
    return rows


def _change_rows(
    comparison: Comparison, cells: dict[tuple[str, str], Cell]
) -> dict[str, list[ChangeRow]]:
    subjects = Subjects([*comparison.old.targets, *comparison.new.targets])
    anchors = {f.anchor for cell in cells.values() for f in cell.failures}
    rows: dict[str, list[ChangeRow]] = {}
    for change in comparison.changes:
        result = change.result
        target = comparison.new if change.after else comparison.old
        evidence = result_anchor(target, result)
        rows.setdefault(change.kind, []).append(
            ChangeRow(
                change=change,
                agency=subjects.agency(result),
                standard=subjects.standard(result),
                anchor=evidence if evidence in anchors else None,
            )
        )
    return rows


def build_dashboard(
    store: HistoryStore,
    registry: Registry,
    *,
    since: str | None = None,
    latest: str | None = None,
    window: int = DEFAULT_WINDOW,
    waivers: list[Waiver] | None = None,
    today: dt.date | None = None,
) -> Dashboard:
    """Gather the dashboard from the history (``since``/``latest``: run references)."""
    listed = store.runs()
    if not listed:
        raise UsageError(
            f"the results history {store.location} holds no run yet; run"
            " `conformance run` first"
        )
    latest_id = store.resolve(latest) if latest else listed[0].id
    position = next(i for i, s in enumerate(listed) if s.id == latest_id)
    recent = listed[position : position + window]  # newest first
    since_id = store.resolve(since) if since else None
    if since_id is None and len(recent) > 1:
        since_id = recent[1].id
    runs = [store.load(s.id, registry) for s in recent]
    if waivers is not None:
        for run in runs:
            apply_waivers(run, waivers)
    by_id = {r.id: r for r in runs}
    since_run = None
    if since_id is not None:
        since_run = by_id.get(since_id) or store.load(since_id, registry)
        if waivers is not None and since_id not in by_id:
            apply_waivers(since_run, waivers)
    cells = _cells(runs)
    agencies = sorted({key[0] for key in cells})
    names: dict[str, str] = {}
    for run in runs:
        subjects = Subjects(run.targets)
        for agency in agencies:
            name = subjects.agency_name(agency)
            if name and agency not in names:
                names[agency] = name
    standard_ids = sorted({key[1] for key in cells})
    standards = []
    for name in standard_ids:
        try:
            found = registry.resolve(name)
            standards.append((name, found.title, found.title_az))
        except UsageError:
            standards.append((name, name, None))
    comparison = compare(since_run, by_id[latest_id]) if since_run else None
    today = today or dt.datetime.now(dt.UTC).date()
    oldest_first = list(reversed(runs))
    summaries = list(reversed(recent))
    standings = latest_standings(runs)
    return Dashboard(
        generated=dt.datetime.now(dt.UTC).replace(microsecond=0),
        today=today,
        runs=summaries,
        latest=recent[0],
        since=next((s for s in listed if s.id == since_id), None),
        agencies=[(a, names.get(a)) for a in agencies],
        standards=standards,
        cells=cells,
        charts=_charts(oldest_first, summaries),
        comparison=comparison,
        changes=_change_rows(comparison, cells) if comparison else {},
        lifecycle=_lifecycle(registry, runs, today),
        primary=_primary(registry, cells),
        standings=standings,
        headline=headline(standings),
    )


def render_dashboard(dashboard: Dashboard, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """The dashboard page as text."""
    return render(
        "dashboard.html.j2",
        lang=lang,
        title_key="dashboard.title",
        version=__version__,
        d=dashboard,
    )


class DashboardOptions(TypedDict, total=False):
    """The keyword options of :func:`build_dashboard`, as write_dashboard takes them."""

    since: str | None
    latest: str | None
    window: int
    waivers: list[Waiver] | None
    today: dt.date | None


def write_dashboard(
    store: HistoryStore,
    registry: Registry,
    path: Path,
    *,
    lang: str = DEFAULT_LANGUAGE,
    **options: Unpack[DashboardOptions],
) -> Dashboard:
    """Build the dashboard and write it atomically; returns what it showed."""
    dashboard = build_dashboard(store, registry, **options)
    write_text_atomic(path, render_dashboard(dashboard, lang=lang))
    return dashboard
