"""Waivers: time-limited exemptions the executive group grants to an agency.

A waivers file is TOML, one ``[[waivers]]`` table per exemption::

    [[waivers]]
    id = "W-2026-014"
    agency = "mia"
    requirement = "ER-HTTP-1"
    standard = "exchange-rules@1.1.0"   # optional; "exchange-rules" for any version
    target = "mia:population-register"  # optional
    check = "correlation-id"            # optional
    reason = "The gateway is replaced in January"
    granted = 2026-10-01                # optional
    granted_by = "Executive group decision 2026/14"
    expires = 2026-12-31                # the last day the waiver is in force

A waived failure stays a failure in every report, with the waiver beside it;
only while the waiver is in force does it stop counting against the verdict
and the gate. The day that decides is the run's date (UTC), so re-reading an
old report gives the verdict it had, and ``--on DATE`` asks what a report
would say on another day.
"""

from __future__ import annotations

import datetime as dt
import difflib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NotRequired, TypedDict, cast

from conformance.errors import RegistryError, UsageError
from conformance.inputs.packaged_schemas import described, schema_problems, toml_as_json
from conformance.model import Outcome, Result, Severity, WaiverNote
from conformance.registry.standards import Registry
from conformance.results.run import Run

# The shape of a waivers file once waivers.schema.json has checked it (dates
# as ISO 8601 strings).


class _WaiverEntry(TypedDict):
    id: str
    agency: str
    requirement: str
    reason: str
    expires: str
    standard: NotRequired[str]
    target: NotRequired[str]
    check: NotRequired[str]
    granted: NotRequired[str]
    granted_by: NotRequired[str]


class _WaiversFile(TypedDict, total=False):
    waivers: list[_WaiverEntry]


@dataclass(frozen=True, slots=True)
class Waiver:
    """One exemption as granted: who, for which requirement, why, until when."""

    id: str
    agency: str
    requirement: str
    reason: str
    expires: dt.date
    standard: str | None = None
    target: str | None = None
    check: str | None = None
    granted: dt.date | None = None
    granted_by: str | None = None

    def in_force(self, on: dt.date) -> bool:
        """True from the day it was granted to its expiry date, both included."""
        if self.granted is not None and on < self.granted:
            return False
        return on <= self.expires

    def note(self, on: dt.date) -> WaiverNote:
        """The waiver as a result carries it, decided for the date ``on``."""
        return WaiverNote(
            id=self.id,
            reason=self.reason,
            expires=self.expires,
            active=self.in_force(on),
            granted=self.granted,
            granted_by=self.granted_by,
        )

    def covers(self, result: Result) -> bool:
        """True when this waiver is about this failed result."""
        if result.outcome is not Outcome.FAILED:
            return False
        if agency_of(result) != self.agency:
            return False
        if self.target is not None and result.target != self.target:
            return False
        if self.check is not None and result.evidence.get("check") != self.check:
            return False
        return self._covers_requirement(result)

    def _covers_requirement(self, result: Result) -> bool:
        cited = result.requirement
        if (
            cited is not None
            and cited.id == self.requirement
            and _standard_matches(self.standard, result.standard)
        ):
            return True
        # A payload fails its binding requirement (PER-1) while its findings
        # cite the rules broken (PER-3). A waiver for PER-3 covers the failure
        # only when every error cites PER-3: it must not hide another problem.
        errors = [f for f in result.findings if f.severity is Severity.ERROR]
        return bool(errors) and all(
            f.requirement == self.requirement
            and _standard_matches(self.standard, f.standard or result.standard)
            for f in errors
        )


def agency_of(result: Result) -> str | None:
    """The agency a result is about: from its evidence, else its target id."""
    agency = result.evidence.get("agency")
    if agency:
        return str(agency)
    head, sep, _ = result.target.partition(":")
    return head if sep else None


def _standard_matches(pattern: str | None, ref: str | None) -> bool:
    if pattern is None:
        return True
    if ref is None:
        return False
    if "@" not in pattern:
        return ref.partition("@")[0] == pattern
    wanted_id, _, wanted_version = pattern.partition("@")
    ref_id, _, ref_version = ref.partition("@")
    if wanted_id != ref_id:
        return False
    # "person@1" matches every 1.x.y; "person@1.1" every 1.1.y.
    return (ref_version + ".").startswith(wanted_version + ".")


def load_waivers(path: Path, registry: Registry | None = None) -> list[Waiver]:
    """Read and check a waivers file; a :class:`UsageError` names every problem.

    With a ``registry``, a waiver that names a standard must name a
    requirement that standard has: a typo would otherwise waive nothing.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"waivers file {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the waivers file: {exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: the waivers file is not valid TOML: {exc}") from None
    plain = toml_as_json(data)
    problems = schema_problems("waivers.schema.json", plain, described)
    if problems:
        listed = "\n  ".join(problems)
        raise UsageError(
            f"{path}: the waivers file does not follow the format in"
            f" docs/reports.md:\n  {listed}"
        )
    checked = cast("_WaiversFile", plain)  # as the schema has just said
    waivers = [_waiver(entry) for entry in checked.get("waivers", [])]
    problems = _consistency(waivers, registry)
    if problems:
        raise UsageError(f"{path}: " + "\n  ".join(problems))
    return waivers


def _waiver(entry: _WaiverEntry) -> Waiver:
    granted = entry.get("granted")
    return Waiver(
        id=entry["id"],
        agency=entry["agency"],
        requirement=entry["requirement"],
        reason=entry["reason"],
        expires=dt.date.fromisoformat(entry["expires"]),
        standard=entry.get("standard"),
        target=entry.get("target"),
        check=entry.get("check"),
        granted=dt.date.fromisoformat(granted) if granted else None,
        granted_by=entry.get("granted_by"),
    )


def _consistency(waivers: list[Waiver], registry: Registry | None) -> list[str]:
    problems = []
    seen: set[str] = set()
    for index, waiver in enumerate(waivers):
        where = f"waivers[{index}] ({waiver.id})"
        if waiver.id in seen:
            problems.append(f"{where}: the id {waiver.id!r} is used twice")
        seen.add(waiver.id)
        if waiver.granted is not None and waiver.expires < waiver.granted:
            problems.append(
                f"{where}: expires {waiver.expires} is before granted {waiver.granted}"
            )
        if registry is not None and waiver.standard and "@" in waiver.standard:
            problems.extend(
                _unknown_requirement(where, waiver, waiver.standard, registry)
            )
    return problems


def _unknown_requirement(
    where: str, waiver: Waiver, ref: str, registry: Registry
) -> list[str]:
    try:
        standard = registry.resolve(ref)
    except RegistryError as exc:
        return [f"{where}: standard {ref!r}: {exc}"]
    known = [r.id for r in standard.requirements]
    if waiver.requirement in known:
        return []
    close = difflib.get_close_matches(waiver.requirement, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return [f"{where}: {standard.ref} has no requirement {waiver.requirement!r}{hint}"]


def run_date(run: Run) -> dt.date:
    """The day a run's waivers are decided for: the day it started, in UTC."""
    return run.started.astimezone(dt.UTC).date()


def waive(result: Result, waivers: Iterable[Waiver], day: dt.date) -> Result:
    """The result with the waiver that covers it on ``day`` (or none).

    Among several matching waivers, one in force wins, then the one that
    expires last. A waiver granted after ``day`` did not exist for that run.
    """
    matching = [
        w
        for w in waivers
        if w.covers(result) and (w.granted is None or w.granted <= day)
    ]
    if not matching:
        return replace(result, waiver=None)
    best = max(matching, key=lambda w: (w.in_force(day), w.expires))
    return replace(result, waiver=best.note(day))


def apply_waivers(
    run: Run, waivers: Iterable[Waiver], on: dt.date | None = None
) -> int:
    """Attach the matching waiver to every failed result; return how many are waived.

    Results that already carry a waiver (a report read back) get the one
    from ``waivers`` instead (see :func:`waive`).
    """
    day = on or run_date(run)
    waivers = list(waivers)
    run.results[:] = [waive(result, waivers, day) for result in run.results]
    return sum(r.waived for r in run.results)


def reconsider(run: Run, on: dt.date) -> int:
    """Decide the waivers a run already carries for another day."""
    results = []
    for result in run.results:
        note = result.waiver
        if note is not None:
            in_force = on <= note.expires and (
                note.granted is None or on >= note.granted
            )
            note = replace(note, active=in_force)
        results.append(replace(result, waiver=note))
    run.results[:] = results
    return sum(r.waived for r in results)
