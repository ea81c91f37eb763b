"""The CI gate: what a run's results mean for a pipeline, as an exit code.

The policy, in order:

0. A run that was interrupted is incomplete (exit 3), whatever it found
   before it stopped; its failures so far are listed with the reason.
1. Any failed MUST requirement (a failure that cites no requirement counts
   as MUST) fails the gate: exit 1. A failure under a waiver in force does
   not count; an expired waiver counts again.
2. Failed SHOULD requirements are counted; with a threshold
   (``max_should_failures``) more than that many fail the gate: exit 1.
   Without one they never do. MAY failures and warnings never count.
3. Otherwise a run that could not check everything (an error outcome, an
   interruption, nothing checked) is incomplete: exit 3.
4. Otherwise the gate passes: exit 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.errors import UsageError
from conformance.model import Level, Outcome, Result
from conformance.results.run import Run, Verdict, level_of


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """How strict the gate is beyond "no failed MUST"."""

    max_should_failures: int | None = None

    def __post_init__(self) -> None:
        if self.max_should_failures is not None and self.max_should_failures < 0:
            raise UsageError("max_should_failures must be 0 or more")


@dataclass(frozen=True, slots=True)
class GateDecision:
    """The gate's answer, with the counts and reasons behind it."""

    verdict: Verdict
    passed: bool
    exit_code: int
    must_failures: tuple[Result, ...]
    should_failures: tuple[Result, ...]
    waived: tuple[Result, ...]
    errors: tuple[Result, ...]
    reasons: tuple[str, ...]

    @property
    def summary(self) -> str:
        """One line for a log: the verdict and why."""
        head = "gate passed" if self.passed else "gate failed"
        why = "; ".join(self.reasons)
        return f"{head} ({self.verdict.value})" + (f": {why}" if why else "")


def decide(run: Run, policy: GatePolicy | None = None) -> GateDecision:
    """Apply the policy to a run (whose waivers are already applied)."""
    policy = policy or GatePolicy()
    counted = [r for r in run.results if r.outcome is Outcome.FAILED and not r.waived]
    must = tuple(r for r in counted if level_of(r) == Level.MUST.value)
    should = tuple(r for r in counted if level_of(r) == Level.SHOULD.value)
    waived = tuple(r for r in run.results if r.waived)
    errors = tuple(r for r in run.results if r.outcome is Outcome.ERROR)
    reasons = []
    if must:
        reasons.append(f"{len(must)} failed MUST requirement(s): {_ids(must)}")
    limit = policy.max_should_failures
    should_over = limit is not None and len(should) > limit
    if should_over:
        reasons.append(
            f"{len(should)} failed SHOULD requirement(s), more than the threshold"
            f" of {limit}: {_ids(should)}"
        )
    verdict = run.verdict
    if not run.complete:
        # What was found so far is listed; what was not checked may hold more.
        verdict, code = Verdict.INCOMPLETE, 3
        reasons.insert(0, _incomplete_reason(run, errors))
    elif must or should_over:
        verdict, code = Verdict.NON_CONFORMANT, 1
    elif verdict is Verdict.INCOMPLETE:
        code = 3
        reasons.append(_incomplete_reason(run, errors))
    else:
        verdict, code = Verdict.CONFORMANT, 0
    if waived:
        reasons.append(f"{len(waived)} failure(s) waived: {_ids(waived)}")
    return GateDecision(
        verdict=verdict,
        passed=code == 0,
        exit_code=code,
        must_failures=must,
        should_failures=should,
        waived=waived,
        errors=errors,
        reasons=tuple(reasons),
    )


def _ids(results: tuple[Result, ...], shown: int = 5) -> str:
    ids = [r.id for r in results[:shown]]
    more = len(results) - shown
    return ", ".join(ids) + (f" and {more} more" if more > 0 else "")


def _incomplete_reason(run: Run, errors: tuple[Result, ...]) -> str:
    if not run.complete:
        return f"the run is incomplete ({run.interruption or 'it did not finish'})"
    if errors:
        return f"{len(errors)} result(s) could not be checked: {_ids(errors)}"
    return "nothing was checked"
