"""Units of work: what one run checks, one result each.

A payload file, the lifecycle of the standard a payload target uses, or one
check of one service operation. A unit is planned before anything is read or
sent (:mod:`.runner`), executed into a :class:`Result` wherever the front end
runs it (an xdist worker, say), and recorded in the run by the engine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.inputs.json_input import JsonLimits
from conformance.model import (
    Evidence,
    Outcome,
    Requirement,
    Result,
    Severity,
    outcome_for,
)
from conformance.probing.profiles import PayloadTarget
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.reporting.escaping import file_name_text
from conformance.results.run import Target
from conformance.validation.payloads import (
    PayloadResult,
    Validators,
    lifecycle_findings,
    validate_file,
)

if TYPE_CHECKING:
    from conformance.probing.plan import Planned, Services


def display_path(path: Path | str) -> str:
    """A path relative to the working folder when it is inside it.

    A byte of the name that is not UTF-8 is shown as ``\\xff``: a result and
    its report are text every reader takes (a lone surrogate, which Python
    uses to carry such a byte, is not), and the name still says which file.
    """
    text = os.fspath(path)
    shown = os.path.normpath(text) if text else ""
    # A relative path that stays inside the working folder is already
    # relative to it: no need to ask where that is (twice per path).
    if (
        os.path.isabs(shown)
        or shown == os.pardir
        or shown.startswith(_UP)
        or os.path.splitdrive(shown)[0]  # C:name, relative to C:'s own folder
    ):
        try:
            shown = os.path.relpath(text, os.getcwd())
        except (ValueError, OSError):
            shown = str(path)
    elif not shown:
        shown = str(path)
    return file_name_text(shown)


_UP = os.pardir + os.sep


class FolderPaths:
    """:func:`display_path` of many files in few folders: each folder's is
    worked out once (a relative path costs a look at the working folder),
    each file's is its folder's and its name."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: Path | str) -> str:
        """The same as ``display_path(path)``."""
        folder, name = os.path.split(os.fspath(path))
        if not folder or name in ("", os.curdir, os.pardir):
            return display_path(path)
        shown = self._folders.get(folder)
        if shown is None:
            shown = self._folders[folder] = display_path(Path(folder))
        name = file_name_text(name)
        return name if shown == os.curdir else os.path.join(shown, name)


@dataclass(frozen=True, slots=True)
class PayloadUnit:
    """One payload file of a payload target."""

    target: PayloadTarget
    path: Path
    shown: str
    standard: StandardVersion | None
    named: bool = True
    regular: bool = False
    """A folder's listing found a regular file here: it is opened without a
    look first (``Listed.regular``)."""

    @property
    def id(self) -> str:
        """The result id: target and file."""
        return f"{self.target.id}:{self.shown}"


@dataclass(frozen=True, slots=True)
class LifecycleUnit:
    """A payload target's standard is deprecated or retired."""

    target: PayloadTarget
    standard: StandardVersion

    @property
    def id(self) -> str:
        """The result id: one per target."""
        return f"{self.target.id}:standard-lifecycle"


@dataclass(frozen=True, slots=True)
class ServiceUnit:
    """One check of one service (and operation)."""

    planned: Planned

    @property
    def id(self) -> str:
        """The result id: agency:service:operation:check."""
        return self.planned.id

    @property
    def service(self) -> str:
        """The service checked (agency:service). A service's checks are made
        in one process, in the plan's order: its rate limit holds."""
        return self.planned.target.id


Unit = PayloadUnit | LifecycleUnit | ServiceUnit


def payload_target(target: PayloadTarget, standard: StandardVersion | None) -> Target:
    """How a payload target appears in a run's report."""
    agency = target.agency
    return Target(
        id=target.id,
        kind="payloads",
        agency=agency.id if agency else None,
        agency_name=(agency.name_az or agency.name) if agency else None,
        location=", ".join(display_path(p) for p in target.paths),
        standard=standard.ref if standard else None,
    )


def _requirement(
    registry: Registry, standard: StandardVersion | None, result: PayloadResult
) -> Requirement | None:
    if standard is None:
        return None
    binding = standard.xml if result.format == "xml" else standard.json
    if binding is None:
        return None
    return registry.requirement(standard.ref, binding.requirement)


def payload_title(
    shown: str, against: str, result: PayloadResult, outcome: Outcome | None = None
) -> str:
    """A payload result's title, which reads as what happened.

    "p1.json against person@1.1.0: 3 findings": the file, the standard, and
    the outcome in words, so that a title under a red badge never reads as
    a claim that the file passed.
    """
    findings = result.findings
    errors = sum(1 for f in findings if f.severity is Severity.ERROR) if findings else 0
    others = len(findings) - errors
    if outcome is None:
        outcome = result.outcome
    if outcome is Outcome.ERROR:
        said = "could not be checked"
    elif outcome is Outcome.FAILED:
        said = _count((errors or len(result.findings)) + result.omitted, "finding")
    elif others:
        said = f"conforms, {_count(others, 'warning')}"
    else:
        said = "conforms"
    if result.format == "jsonl":
        said += f" ({result.failed_records} of {result.records} records failed)"
    return f"{shown} against {against}: {said}"


def _count(amount: int, noun: str) -> str:
    return f"{amount} {noun}" + ("" if amount == 1 else "s")


def payload_result(
    registry: Registry,
    result: PayloadResult,
    unit: PayloadUnit,
    *,
    duration: float = 0.0,
) -> Result:
    """A payload file's validation as a report :class:`Result`."""
    standard = unit.standard
    against = result.standard or "its standard"
    evidence: Evidence = {"file": unit.shown, "format": result.format}
    agency = unit.target.agency
    if agency:
        evidence["agency"] = agency.id
    if result.format == "jsonl":
        evidence["records"] = result.records
        evidence["failed_records"] = result.failed_records
    if standard is None and result.standard:
        # XML found its standard by namespace: cite that standard's binding.
        standard = result.version
        if standard is None:
            try:
                standard = registry.resolve(result.standard)
            except Exception:  # an unknown standard simply cites nothing
                standard = None
    outcome = result.outcome
    return Result(
        id=unit.id,
        title=payload_title(unit.shown, against, result, outcome),
        outcome=outcome,
        target=unit.target.id,
        standard=result.standard,
        requirement=_requirement(registry, standard, result),
        findings=result.findings,
        reason=result.error,
        evidence=evidence,
        kind="payload",
        duration=duration,
    )


def check_payload(
    unit: PayloadUnit,
    registry: Registry,
    validators: Validators,
    *,
    limits: JsonLimits,
    max_findings: int,
) -> Result:
    """Validate one payload file into its result."""
    started = time.perf_counter()
    payload = validate_file(
        unit.path,
        validators,
        standard=unit.standard,
        limits=limits,
        max_findings=max_findings,
        named=unit.named,
        regular=unit.regular,
    )
    return payload_result(
        registry, payload, unit, duration=time.perf_counter() - started
    )


def check_lifecycle(unit: LifecycleUnit, registry: Registry) -> Result:
    """The result of a deprecated (warning) or retired (failed) standard in use."""
    notes = lifecycle_findings(unit.standard)
    agency = unit.target.agency
    return Result(
        id=unit.id,
        title=f"{unit.target.id} uses a standard version in force",
        outcome=outcome_for(notes),
        target=unit.target.id,
        standard=unit.standard.ref,
        requirement=registry.requirement(
            notes[0].standard or "", notes[0].requirement or ""
        )
        if notes
        else None,
        findings=tuple(notes),
        kind="lifecycle",
        evidence=Evidence(agency=agency.id) if agency else Evidence(),
    )


def check_service(unit: ServiceUnit, services: Services) -> Result:
    """Run one planned service check; never raises for a service's misbehaviour."""
    from conformance.probing.plan import run_planned  # the probing side, on first need

    return run_planned(services, unit.planned)
