"""The engine both front ends call: targets in, results into a :class:`Run`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from conformance.inputs.json_input import DEFAULT_LIMITS, JsonLimits
from conformance.model import Outcome, Requirement, Result, outcome_for
from conformance.probing.profiles import PayloadTarget
from conformance.registry.manifest import StandardVersion
from conformance.registry.standards import Registry
from conformance.results.run import Run, Target
from conformance.validation.payloads import (
    DEFAULT_MAX_FINDINGS,
    PayloadResult,
    Validators,
    iter_payload_files,
    lifecycle_findings,
    validate_file,
)

Progress = Callable[[int, str], None]


def display_path(path: Path) -> str:
    """A path relative to the working folder when it is inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _requirement(
    registry: Registry, standard_ref: str | None, result: PayloadResult
) -> Requirement | None:
    if standard_ref is None:
        return None
    try:
        standard = registry.resolve(standard_ref)
    except Exception:  # an unknown standard simply cites nothing
        return None
    binding = standard.xml if result.format == "xml" else standard.json
    if binding is None:
        return None
    return registry.requirement(standard.ref, binding.requirement)


def payload_to_result(
    registry: Registry, result: PayloadResult, target_id: str, agency: str | None
) -> Result:
    """A payload file's validation as a report :class:`Result`."""
    shown = display_path(result.path)
    against = result.standard or "its standard"
    evidence: dict[str, object] = {"file": shown, "format": result.format}
    if agency:
        evidence["agency"] = agency
    if result.format == "jsonl":
        evidence["records"] = result.records
        evidence["failed_records"] = result.failed_records
    return Result(
        id=f"{target_id}:{shown}",
        title=f"{shown} conforms to {against}",
        outcome=result.outcome,
        target=target_id,
        standard=result.standard,
        requirement=_requirement(registry, result.standard, result),
        findings=result.findings,
        reason=result.error,
        evidence=evidence,
        kind="payload",
    )


def check_payloads(
    run: Run,
    targets: Iterable[PayloadTarget],
    *,
    validators: Validators | None = None,
    limits: JsonLimits = DEFAULT_LIMITS,
    max_findings: int = DEFAULT_MAX_FINDINGS,
    progress: Progress | None = None,
) -> None:
    """Validate every payload file of every target, adding one result per file.

    Standards are resolved before any file is read, so a wrong reference
    fails fast with a usage error instead of after a long run.
    """
    validators = validators or Validators(run.registry)
    planned: list[tuple[PayloadTarget, StandardVersion | None]] = []
    for target in targets:
        standard = run.registry.resolve(target.standard) if target.standard else None
        planned.append((target, standard))
    done = 0
    for target, standard in planned:
        agency = target.agency
        run.targets.append(
            Target(
                id=target.id,
                kind="payloads",
                agency=agency.id if agency else None,
                agency_name=(agency.name_az or agency.name) if agency else None,
                location=", ".join(display_path(p) for p in target.paths),
                standard=standard.ref if standard else None,
            )
        )
        notes = lifecycle_findings(standard)
        if notes:
            run.add(
                Result(
                    id=f"{target.id}:standard-lifecycle",
                    title=f"{target.id} uses a standard version in force",
                    outcome=outcome_for(notes),
                    target=target.id,
                    standard=standard.ref if standard else None,
                    requirement=run.registry.requirement(
                        notes[0].standard or "", notes[0].requirement or ""
                    ),
                    findings=tuple(notes),
                    kind="lifecycle",
                    evidence={"agency": agency.id} if agency else {},
                )
            )
        for path, named in iter_payload_files(target.paths):
            started = time.perf_counter()
            payload = validate_file(
                path,
                validators,
                standard=standard,
                limits=limits,
                max_findings=max_findings,
                named=named,
            )
            result = payload_to_result(
                run.registry, payload, target.id, agency.id if agency else None
            )
            result = _timed(result, time.perf_counter() - started)
            run.add(result)
            done += 1
            if progress is not None:
                progress(done, display_path(path))


def _timed(result: Result, seconds: float) -> Result:
    from dataclasses import replace

    return replace(result, duration=seconds)


def failed(results: Iterable[Result]) -> list[Result]:
    """The results that did not pass (failed, warning, error)."""
    return [
        r
        for r in results
        if r.outcome in (Outcome.FAILED, Outcome.WARNING, Outcome.ERROR)
    ]
