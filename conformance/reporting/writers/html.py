"""The HTML run report: one self-contained file for a reviewer.

A summary (verdict, the headline and each agency's verdict per standard
it implements, a chart of the score per standard, counts, score per
standard, per conformance class and per requirement level, waivers),
filters by agency, standard, level and outcome, every failure with its
requirement, evidence and the command that reproduces it, and every
result in a table. Both languages are in the
file; ``lang`` picks the one shown first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from conformance import __version__
from conformance.atomic import write_text_atomic
from conformance.errors import UsageError
from conformance.model import Level, Outcome, Result, WaiverNote
from conformance.reporting.charts import Chart, score_chart
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.reporting.templating import render
from conformance.reporting.views import failure_view, is_failure, result_row
from conformance.results.run import Run
from conformance.results.scores import Subjects, Tally, by_level, class_of, group, tally
from conformance.results.standing import headline, latest_standings


@dataclass(frozen=True, slots=True)
class StandardRow:
    """A line of the per-standard summary."""

    ref: str
    title: str | None
    title_az: str | None
    agencies: list[str]
    tally: Tally


@dataclass(frozen=True, slots=True)
class WaiverRow:
    """A waiver that covered results of this run."""

    waiver: WaiverNote
    agency: str
    requirement: str
    count: int


def _titles(run: Run, ref: str) -> tuple[str | None, str | None]:
    try:
        standard = run.registry.resolve(ref)
    except UsageError:
        return None, None
    return standard.title, standard.title_az


def _standards(run: Run, subjects: Subjects) -> list[StandardRow]:
    rows = []
    for ref, counted in group(run.results, subjects.standard).items():
        title, title_az = _titles(run, ref) if ref != "-" else (None, None)
        agencies = sorted({subjects.agency(r) for r in counted.results})
        rows.append(StandardRow(ref, title, title_az, agencies, counted))
    return rows


def _waivers(run: Run, subjects: Subjects) -> list[WaiverRow]:
    found: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    notes: dict[str, WaiverNote] = {}
    for result in run.results:
        if result.waiver is None:
            continue
        requirement = result.requirement.id if result.requirement else "-"
        key = (result.waiver.id, subjects.agency(result), requirement)
        found[key].append(result)
        notes[result.waiver.id] = result.waiver
    return [
        WaiverRow(notes[waiver_id], agency, requirement, len(results))
        for (waiver_id, agency, requirement), results in sorted(found.items())
    ]


def _standard_chart(standards: list[StandardRow]) -> Chart | None:
    """The score per standard version, on an axis that fits them."""
    scored = [(row.ref, row.tally.score) for row in standards if row.ref != "-"]
    if not any(score is not None for _, score in scored):
        return None
    return score_chart(
        "by-standard",
        [ref for ref, _ in scored],
        [score for _, score in scored],
        failing=[bool(row.tally.must_failed) for row in standards if row.ref != "-"],
    )


def _options(values: set[str]) -> list[tuple[str, str | None]]:
    return [(v, None) for v in sorted(values)]


def render_html(run: Run, *, lang: str = DEFAULT_LANGUAGE) -> str:
    """The report page as text."""
    subjects = Subjects(run.targets)
    rows = [result_row(run, r, subjects) for r in run.results]
    outcomes = [(o.value, f"outcome.{o.value}") for o in Outcome]
    outcomes.insert(2, ("waived", "outcome.waived"))
    filters = [
        ("agency", "agency", _options({row.agency for row in rows})),
        ("standard", "standard", _options({row.standard for row in rows})),
        ("level", "level", [(level.value, None) for level in Level]),
        ("outcome", "outcome", outcomes),
    ]
    gate_verdict = run.verdict.value
    standings = latest_standings([run])
    standards = _standards(run, subjects)
    return render(
        "report.html.j2",
        lang=lang,
        title_key="report.title",
        version=__version__,
        run=run,
        verdict=gate_verdict,
        overall=tally(run.results),
        levels=by_level(run),
        standards=standards,
        standings=standings,
        headline=headline(standings),
        chart=_standard_chart(standards),
        classes=group(run.results, class_of),
        waivers=_waivers(run, subjects),
        filters=filters,
        failures=[failure_view(run, r, subjects) for r in run.results if is_failure(r)],
        rows=rows,
    )


def write_html(run: Run, path: Path, *, lang: str = DEFAULT_LANGUAGE) -> None:
    """Write the report page atomically."""
    write_text_atomic(path, render_html(run, lang=lang))
