"""The report model: one run, its targets, its results, and what they add up to.

A report is data exchange too: its JSON form is the ``conformance-report``
standard in the registry, so the suite validates its own reports. It records
the tool version and the SHA-256 of every standard file the run used, so a
result can be reproduced.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Required, TypedDict

from conformance import __version__
from conformance.errors import RegistryError
from conformance.model import (
    Evidence,
    Finding,
    FindingDocument,
    Level,
    Outcome,
    Requirement,
    Result,
    WaiverDocument,
    WaiverNote,
)
from conformance.registry.integrity import file_digest
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry

REPORT_STANDARD = "conformance-report@1.1.0"
REPORT_FORMATS = ("conformance-report@1.0.0", REPORT_STANDARD)
_RELATIVE_REF = re.compile(r"\.\./\.\./([a-z][a-z0-9-]*)/([0-9]+\.[0-9]+\.[0-9]+)/")


class RequirementRecord(TypedDict):
    """A requirement as a report records it: the text the run was judged by."""

    standard: str
    id: str
    level: str
    text: str
    source: str


class StandardProvenance(TypedDict, total=False):
    """A standard version a run used, with the SHA-256 of each of its files."""

    ref: Required[str]
    status: Required[str]
    files: Required[dict[str, str]]
    owner: str
    sunset: str


class ResultDocument(TypedDict, total=False):
    """One result as the JSON report holds it."""

    id: Required[str]
    title: Required[str]
    kind: Required[str]
    outcome: Required[str]
    target: Required[str]
    duration: Required[float]
    findings: Required[list[FindingDocument]]
    standard: str
    requirement: str
    level: str
    reason: str
    evidence: Evidence
    waiver: WaiverDocument


class TargetDocument(TypedDict, total=False):
    """One of the report's ``targets``: empty fields left out."""

    id: Required[str]
    kind: Required[str]
    agency: str
    agency_name: str
    location: str
    standard: str


class RunInfo(TypedDict, total=False):
    """When and how a run was made."""

    id: Required[str]
    command: Required[str]
    started: Required[str]
    complete: Required[bool]
    finished: str
    interruption: str
    source: str
    merged_from: list[str]


class Summary(TypedDict):
    """Counts of a run's results: per outcome, failed and waived per level."""

    total: int
    passed: int
    failed: int
    warning: int
    skipped: int
    not_applicable: int
    error: int
    failed_by_level: dict[str, int]
    waived: int
    waived_by_level: dict[str, int]


class ReportDocument(TypedDict):
    """A whole run as a ``conformance-report@1.1.0`` JSON document."""

    report: str
    run: RunInfo
    tool: dict[str, str]
    registry: dict[str, str]
    verdict: str
    summary: Summary
    targets: list[TargetDocument]
    standards: list[StandardProvenance]
    requirements: list[RequirementRecord]
    results: list[ResultDocument]


class Verdict(enum.StrEnum):
    """What a run adds up to; each verdict has its exit code."""

    CONFORMANT = "conformant"
    NON_CONFORMANT = "non-conformant"
    INCOMPLETE = "incomplete"

    @property
    def exit_code(self) -> int:
        """0 conformant, 1 non-conformant, 3 could not check everything."""
        return {"conformant": 0, "non-conformant": 1, "incomplete": 3}[self.value]


@dataclass(frozen=True, slots=True)
class Target:
    """What a run checked: payload files or (later) a service."""

    id: str
    kind: str
    agency: str | None = None
    agency_name: str | None = None
    location: str | None = None
    standard: str | None = None


@dataclass
class Run:
    """One execution over one or more targets, filled in as results arrive."""

    registry: Registry
    command: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)
    )
    finished: dt.datetime | None = None
    complete: bool = False
    interruption: str | None = None
    targets: list[Target] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    # Where the run was made (a machine or a pipeline), and for a merged run
    # the runs it was made from.
    source: str | None = None
    merged_from: list[str] = field(default_factory=list)
    # A run read back from a report or the history keeps the provenance and
    # requirement texts it recorded, rather than today's registry's.
    provenance: list[StandardProvenance] | None = None
    recorded_requirements: list[RequirementRecord] = field(default_factory=list)

    def add(self, result: Result) -> None:
        """Add one result (the engine tells its listeners)."""
        self.results.append(result)

    def finish(self, *, complete: bool, interruption: str | None = None) -> None:
        """Close the run; an interrupted run stays marked incomplete."""
        self.finished = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.complete = complete
        self.interruption = interruption

    def counts(self) -> Counter[str]:
        """Results per outcome."""
        return Counter(_OUTCOME_VALUE[r.outcome] for r in self.results)

    @property
    def verdict(self) -> Verdict:
        """Incomplete when interrupted; else non-conformant on a failed MUST,
        incomplete on an error.

        An interrupted run is incomplete whatever it found before it stopped:
        what it did not check may hold more. A run that checked nothing (no
        results, or only skipped ones) is incomplete too: a mistyped path must
        not turn a CI job green.
        """
        outcomes = {r.outcome for r in self.results}
        if not self.complete:
            return Verdict.INCOMPLETE
        if any(_fails_the_run(r) for r in self.results):
            return Verdict.NON_CONFORMANT
        checked = any(
            r.kind != "lifecycle" and r.outcome in (Outcome.PASSED, Outcome.WARNING)
            for r in self.results
        )
        if Outcome.ERROR in outcomes or not self.complete or not checked:
            return Verdict.INCOMPLETE
        return Verdict.CONFORMANT


def _fails_the_run(result: Result) -> bool:
    # Only a failed MUST makes a run non-conformant; a failed SHOULD or MAY is
    # reported and counted, and the gate's threshold may act on it. A failure
    # under a waiver in force is shown but does not count (see waivers.py).
    if result.outcome is not Outcome.FAILED or result.waived:
        return False
    return result.requirement is None or result.requirement.level is Level.MUST


def standards_used(run: Run) -> list[str]:
    """Every exact standard reference the run's results depend on, sorted."""
    refs: set[str] = set()
    for result in run.results:
        if result.standard:
            refs.add(result.standard)
        refs.update(f.standard for f in result.findings if f.standard)
    return sorted(_with_dependencies(run.registry, refs))


def _with_dependencies(registry: Registry, refs: set[str]) -> set[str]:
    # Schemas refer to other standards by relative path (../../address/1.0.0/);
    # those standards' files shape the verdict too.
    pending, seen = list(refs), set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        try:
            standard = registry.resolve(ref)
        except RegistryError:
            continue
        for binding in standard.bindings:
            try:
                text = binding.path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            pending.extend(f"{m[0]}@{m[1]}" for m in _RELATIVE_REF.findall(text))
    return seen


def _provenance(registry: Registry, refs: list[str]) -> list[StandardProvenance]:
    items: list[StandardProvenance] = []
    for ref in refs:
        try:
            standard = registry.resolve(ref)
        except RegistryError:
            items.append({"ref": ref, "status": "unknown", "files": {}})
            continue
        # Hashed once per registry, as its validators are compiled once: the
        # report and the history of a run (and every run of a long-lived
        # process) name the files its validators were built from.
        files = registry.cached(
            ("provenance", standard.ref), partial(_file_digests, registry, standard)
        )
        entry = StandardProvenance(
            ref=ref, status=standard.status.value, files=dict(files)
        )
        if standard.owner is not None:
            entry["owner"] = standard.owner.id
        if standard.sunset:
            entry["sunset"] = standard.sunset.isoformat()
        items.append(entry)
    return items


def _file_digests(registry: Registry, standard: StandardVersion) -> dict[str, str]:
    return {
        registry.relative(p): file_digest(p)
        for p in sorted(standard.folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _requirements(run: Run) -> list[RequirementRecord]:
    recorded = {(r["standard"], r["id"]): r for r in run.recorded_requirements}
    cited: set[tuple[str, str]] = set()
    for result in run.results:
        if result.requirement and result.standard:
            cited.add((result.standard, result.requirement.id))
        for finding in result.findings:
            if finding.requirement and finding.standard:
                cited.add((finding.standard, finding.requirement))
    items: list[RequirementRecord] = []
    for standard, requirement_id in sorted(cited):
        requirement = run.registry.requirement(standard, requirement_id)
        if requirement is None:
            if (standard, requirement_id) in recorded:
                items.append(recorded[(standard, requirement_id)])
            continue
        items.append(
            RequirementRecord(
                standard=standard,
                id=requirement.id,
                level=requirement.level.value,
                text=requirement.text,
                source=requirement.source,
            )
        )
    return items


# An enum member's value is a property in Python code: read once per
# report of many results, not once per result.
_OUTCOME_VALUE = {outcome: outcome.value for outcome in Outcome}
_LEVEL_VALUE = {level: level.value for level in Level}


def result_to_dict(result: Result) -> ResultDocument:
    """A result as the report's JSON shape."""
    data: ResultDocument = {
        "id": result.id,
        "title": result.title,
        "kind": result.kind,
        "outcome": _OUTCOME_VALUE[result.outcome],
        "target": result.target,
        "duration": round(result.duration, 6),
        "findings": [f.to_dict() for f in result.findings] if result.findings else [],
    }
    if result.standard:
        data["standard"] = result.standard
    if result.requirement:
        data["requirement"] = result.requirement.id
        data["level"] = _LEVEL_VALUE[result.requirement.level]
    if result.reason:
        data["reason"] = result.reason
    if result.evidence:
        data["evidence"] = result.evidence
    if result.waiver is not None:
        data["waiver"] = result.waiver.to_dict()
    return data


def result_from_dict(
    data: ResultDocument, requirement: Requirement | None = None
) -> Result:
    """The inverse of :func:`result_to_dict`; the caller supplies the requirement."""
    return Result(
        id=data["id"],
        title=data["title"],
        outcome=Outcome(data["outcome"]),
        target=data["target"],
        standard=data.get("standard"),
        requirement=requirement,
        findings=tuple(Finding.from_dict(f) for f in data.get("findings", [])),
        reason=data.get("reason"),
        evidence=data.get("evidence", Evidence()),
        duration=data.get("duration", 0.0),
        kind=data.get("kind", "payload"),
        waiver=WaiverNote.from_dict(data["waiver"]) if "waiver" in data else None,
    )


def level_of(result: Result) -> str:
    """The level a result weighs at; a result citing no requirement is a MUST."""
    return result.requirement.level.value if result.requirement else Level.MUST.value


def to_document(run: Run) -> ReportDocument:
    """The whole run as a ``conformance-report@1.1.0`` JSON document."""
    counts = run.counts()
    failed_by_level: Counter[str] = Counter(
        level_of(r) for r in run.results if r.outcome is Outcome.FAILED
    )
    waived_by_level: Counter[str] = Counter(
        level_of(r) for r in run.results if r.waived
    )
    info = RunInfo(
        id=run.id,
        command=run.command,
        started=_utc(run.started),
        complete=run.complete,
    )
    if run.finished:
        info["finished"] = _utc(run.finished)
    if run.interruption:
        info["interruption"] = run.interruption
    if run.source:
        info["source"] = run.source
    if run.merged_from:
        info["merged_from"] = list(run.merged_from)
    return ReportDocument(
        report=REPORT_STANDARD,
        run=info,
        tool={"name": "egov-conformance", "version": __version__},
        registry={
            "name": run.registry.name,
            "base_uri": run.registry.base_uri,
            "path": str(run.registry.root),
        },
        verdict=run.verdict.value,
        summary=Summary(
            total=len(run.results),
            passed=counts[Outcome.PASSED.value],
            failed=counts[Outcome.FAILED.value],
            warning=counts[Outcome.WARNING.value],
            skipped=counts[Outcome.SKIPPED.value],
            not_applicable=counts[Outcome.NOT_APPLICABLE.value],
            error=counts[Outcome.ERROR.value],
            failed_by_level={
                level.value: failed_by_level[level.value] for level in Level
            },
            waived=sum(waived_by_level.values()),
            waived_by_level={
                level.value: waived_by_level[level.value] for level in Level
            },
        ),
        targets=[_target_document(t) for t in run.targets],
        standards=run.provenance
        if run.provenance is not None
        else _provenance(run.registry, standards_used(run)),
        requirements=_requirements(run),
        results=[result_to_dict(r) for r in run.results],
    )


def _target_document(target: Target) -> TargetDocument:
    document = TargetDocument(id=target.id, kind=target.kind)
    if target.agency is not None:
        document["agency"] = target.agency
    if target.agency_name is not None:
        document["agency_name"] = target.agency_name
    if target.location is not None:
        document["location"] = target.location
    if target.standard is not None:
        document["standard"] = target.standard
    return document


def _utc(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def default_reports_dir() -> Path:
    """Where reports go when no folder is named: ``./reports``."""
    return Path("reports")
