"""Scores and statuses: how results add up per agency, standard and class.

Shared by the HTML report, the dashboard and the Markdown summary, so each
shows the same numbers. The definitions (also in docs/reports.md):

- a result is **checked** when it passed, had only warnings, or failed
  (waived or not); skipped, not applicable and error results are not;
- the **score** is the share of checked results that passed or had only
  warnings. A waived failure is still a failure here: a waiver exempts from
  the gate, it does not make a service conformant;
- the **status** of a group is ``non-conformant`` on any counted MUST
  failure, ``waived`` when its only MUST failures are waived, ``incomplete``
  when something could not be checked (or nothing was), else ``conformant``;
  a conformance class none of whose results applied is ``not-applicable``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from conformance.model import Level, Outcome, Result
from conformance.results.run import Run, Target, level_of
from conformance.results.waivers import agency_of

STATUSES = ("conformant", "waived", "non-conformant", "incomplete")


@dataclass
class Tally:
    """Counts of outcomes in a group of results."""

    passed: int = 0
    warning: int = 0
    failed: int = 0
    waived: int = 0
    skipped: int = 0
    not_applicable: int = 0
    error: int = 0
    must_failed: int = 0
    must_waived: int = 0
    should_failed: int = 0
    results: list[Result] = field(default_factory=list, repr=False)

    def add(self, result: Result) -> None:
        """Count one result."""
        self.results.append(result)
        outcome = result.outcome
        if outcome is Outcome.FAILED:
            self.failed += 1
            level = level_of(result)
            if result.waived:
                self.waived += 1
                if level == Level.MUST.value:
                    self.must_waived += 1
            elif level == Level.MUST.value:
                self.must_failed += 1
            elif level == Level.SHOULD.value:
                self.should_failed += 1
        else:
            setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    @property
    def checked(self) -> int:
        """Results that said something about conformance."""
        return self.passed + self.warning + self.failed

    @property
    def total(self) -> int:
        """Every result counted."""
        return len(self.results)

    @property
    def score(self) -> float | None:
        """Share of checked results that passed (0..1); ``None`` if none checked."""
        if not self.checked:
            return None
        return (self.passed + self.warning) / self.checked

    @property
    def percent(self) -> str:
        """The score as a whole percentage, or an en dash."""
        score = self.score
        return "–" if score is None else f"{round(score * 100)}%"

    def status(self, *, complete: bool = True) -> str:
        """One of :data:`STATUSES`."""
        if self.must_failed:
            return "non-conformant"
        if self.error or not self.checked or not complete:
            return "incomplete"
        if self.must_waived:
            return "waived"
        return "conformant"

    @property
    def applies(self) -> bool:
        """Whether anything here applied: not every result is not applicable."""
        return self.not_applicable < self.total

    def class_status(self, *, complete: bool = True) -> str:
        """A conformance class's status: ``not-applicable`` if none of it applied.

        A class whose every check said "not applicable" (a read-only service's
        writes) was not left unchecked: it has nothing to check, so it is not
        ``incomplete``.
        """
        if self.total and not self.applies:
            return "not-applicable"
        return self.status(complete=complete)


def class_of(result: Result) -> str:
    """The conformance class of a result: a check's class, or the kind of target."""
    named = result.evidence.get("conformance_class")
    if named:
        return str(named)
    return {"payload": "payloads", "lifecycle": "versioning"}.get(
        result.kind, result.kind
    )


class Subjects:
    """Which agency and which standard each result of a run is about.

    A service check cites ``exchange-rules``, but it checks the agency's
    implementation of the target's standard (``person@1.2.0``): the target
    decides, so the matrix shows an agency's compliance with each standard.
    """

    def __init__(self, targets: Iterable[Target]) -> None:
        self._targets = {t.id: t for t in targets}

    def agency(self, result: Result) -> str:
        """The agency id, ``-`` when the result concerns none."""
        target = self._targets.get(result.target)
        if target is not None and target.agency:
            return target.agency
        return agency_of(result) or "-"

    def standard(self, result: Result) -> str:
        """The exact standard reference the result is about, ``-`` if none."""
        target = self._targets.get(result.target)
        if target is not None and target.standard:
            return target.standard
        return result.standard or "-"

    def agency_name(self, agency: str) -> str | None:
        """The agency's name as the run's targets give it."""
        for target in self._targets.values():
            if target.agency == agency and target.agency_name:
                return target.agency_name
        return None


def standard_id(ref: str) -> str:
    """``person@1.2.0`` → ``person``."""
    return ref.partition("@")[0]


def group(results: Iterable[Result], key: Callable[[Result], str]) -> dict[str, Tally]:
    """Tallies of results by a key, in key order."""
    tallies: dict[str, Tally] = {}
    for result in results:
        tallies.setdefault(key(result), Tally()).add(result)
    return dict(sorted(tallies.items()))


def tally(results: Iterable[Result]) -> Tally:
    """One tally of all the results."""
    total = Tally()
    for result in results:
        total.add(result)
    return total


def by_level(run: Run) -> dict[str, Tally]:
    """Tallies per requirement level, MUST first."""
    tallies = {level.value: Tally() for level in Level}
    for result in run.results:
        tallies[level_of(result)].add(result)
    return tallies
