"""Where each agency stands: its verdict per standard it implements, and the headline.

One computation for every page that answers "does this agency meet every
MUST requirement of the standards it implements?": the central service's
dashboard, the static dashboard and the HTML run report. An agency's
standing is that of one run (its newest); the headline counts the agencies
whose every standard version is ``conformant`` in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from conformance.results.run import Run
from conformance.results.scores import Subjects, Tally, group, standard_id


@dataclass(frozen=True, slots=True)
class StandardVerdict:
    """One standard version an agency implements, as one run found it."""

    ref: str  # "person@1.2.0"
    standard: str  # "person"
    status: str  # scores.STATUSES
    score: str
    must_failed: int
    tally: Tally = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class AgencyStanding:
    """An agency, the run its standing comes from, and its verdict per standard."""

    id: str
    name: str | None
    run_id: str
    verdicts: tuple[StandardVerdict, ...]

    @property
    def meets_every_must(self) -> bool:
        """Every standard it implements: no MUST failed, all checked."""
        return bool(self.verdicts) and all(
            v.status == "conformant" for v in self.verdicts
        )


@dataclass(frozen=True, slots=True)
class Headline:
    """How many of how many agencies meet every MUST requirement they have."""

    meeting: int
    agencies: int


def agency_standing(run: Run, agency: str) -> AgencyStanding:
    """An agency's verdict per standard version, from one run."""
    subjects = Subjects(run.targets)
    mine = [r for r in run.results if subjects.agency(r) == agency]
    verdicts = tuple(
        StandardVerdict(
            ref=ref,
            standard=standard_id(ref),
            status=counted.status(complete=run.complete),
            score=counted.percent,
            must_failed=counted.must_failed,
            tally=counted,
        )
        for ref, counted in group(mine, subjects.standard).items()
        # Results about no standard (a target without one) judge no standard.
        if ref != "-"
    )
    return AgencyStanding(
        id=agency,
        name=subjects.agency_name(agency),
        run_id=run.id,
        verdicts=verdicts,
    )


def latest_standings(runs: Sequence[Run]) -> list[AgencyStanding]:
    """Each agency's standing from the newest run that checked it.

    ``runs`` are newest first.
    """
    found: dict[str, AgencyStanding] = {}
    for run in runs:
        subjects = Subjects(run.targets)
        for agency in sorted({subjects.agency(r) for r in run.results} - {"-"}):
            if agency not in found:
                found[agency] = agency_standing(run, agency)
    return [found[a] for a in sorted(found)]


def headline(rows: Iterable[AgencyStanding]) -> Headline:
    """How many of the agencies meet every MUST requirement."""
    listed = list(rows)
    return Headline(
        meeting=sum(1 for row in listed if row.meets_every_must),
        agencies=len(listed),
    )
