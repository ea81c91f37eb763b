"""Comparing two runs: what regressed, what was fixed, what is new.

Results are matched by id (``agency:service:operation:check`` for a
service check, ``target:path`` for a payload file), which stays the same
from run to run for the same target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from conformance.model import Outcome, Result
from conformance.results.run import Run

# Outcomes that say "conforms" and "does not"; the others say nothing either way.
_GOOD = (Outcome.PASSED, Outcome.WARNING)
_BAD = (Outcome.FAILED,)

KINDS = ("regression", "fix", "new-failure", "new-error", "recovered", "gone")


@dataclass(frozen=True, slots=True)
class Change:
    """One result whose outcome differs between the two runs."""

    kind: str  # one of KINDS
    id: str
    before: Result | None
    after: Result | None

    @property
    def result(self) -> Result:
        """The newer result when there is one, else the older."""
        # A change has a result in one run or the other, if not both.
        return cast("Result", self.after or self.before)


@dataclass(frozen=True, slots=True)
class Comparison:
    """The changes from ``old`` to ``new``."""

    old: Run
    new: Run
    changes: tuple[Change, ...]

    def of(self, kind: str) -> list[Change]:
        """The changes of one kind, in the newer run's order."""
        return [c for c in self.changes if c.kind == kind]

    @property
    def regressions(self) -> list[Change]:
        """Results that conformed before and fail now."""
        return self.of("regression")

    @property
    def fixes(self) -> list[Change]:
        """Results that failed before and conform now."""
        return self.of("fix")

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary for machines."""
        return {
            "old": self.old.id,
            "new": self.new.id,
            "counts": {kind: len(self.of(kind)) for kind in KINDS},
            "changes": [
                {
                    "kind": c.kind,
                    "id": c.id,
                    "before": c.before.outcome.value if c.before else None,
                    "after": c.after.outcome.value if c.after else None,
                    "title": c.result.title,
                    "requirement": c.result.requirement.id
                    if c.result.requirement
                    else None,
                }
                for c in self.changes
            ],
        }


def _kind(before: Result | None, after: Result | None) -> str | None:
    if after is None:
        return "gone" if before is not None and before.outcome in _BAD else None
    if before is None:
        if after.outcome in _BAD:
            return "new-failure"
        return "new-error" if after.outcome is Outcome.ERROR else None
    if before.outcome in _GOOD and after.outcome in _BAD:
        return "regression"
    if before.outcome in _BAD and after.outcome in _GOOD:
        return "fix"
    if after.outcome is Outcome.ERROR and before.outcome is not Outcome.ERROR:
        return "new-error"
    if before.outcome is Outcome.ERROR and after.outcome in _GOOD:
        return "recovered"
    if before.outcome is Outcome.ERROR and after.outcome in _BAD:
        return "new-failure"
    return None


def compare(old: Run, new: Run) -> Comparison:
    """Every result whose outcome changed between ``old`` and ``new``."""
    before = {r.id: r for r in old.results}
    after = {r.id: r for r in new.results}
    changes = []
    for result_id, result in after.items():
        kind = _kind(before.get(result_id), result)
        if kind:
            changes.append(Change(kind, result_id, before.get(result_id), result))
    for result_id, result in before.items():
        if result_id not in after:
            kind = _kind(result, None)
            if kind:
                changes.append(Change(kind, result_id, result, None))
    return Comparison(old=old, new=new, changes=tuple(changes))
