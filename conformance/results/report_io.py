"""Reading reports back, and merging runs made on several machines.

A JSON report is checked against the ``conformance-report`` version it
names before it is read: a file that is not a report, or a report that
does not follow its format, is a usage error naming the file and the
first problems, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path

from conformance.errors import UsageError
from conformance.model import Level, Requirement, Result
from conformance.registry.standards import Registry
from conformance.results.run import (
    REPORT_FORMATS,
    ReportDocument,
    RequirementRecord,
    Run,
    StandardProvenance,
    Target,
    result_from_dict,
)

_SHOWN_PROBLEMS = 5


def load_report(path: Path, registry: Registry) -> Run:
    """A JSON report file as a :class:`Run`; a :class:`UsageError` if it is not one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"report {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the report: {exc}") from None
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{path} is not a conformance report: it is not JSON ({exc});"
            " pass the conformance-report.json a run wrote"
        ) from None
    fmt = document.get("report") if isinstance(document, dict) else None
    if fmt not in REPORT_FORMATS:
        raise UsageError(
            f'{path} is not a conformance report: its "report" member is'
            f" {fmt!r}, expected one of {', '.join(REPORT_FORMATS)}"
        )
    _check(path, data, fmt, registry)
    return run_from_document(document, registry)


def _check(path: Path, data: bytes, fmt: str, registry: Registry) -> None:
    # Imported here: the JSON validator (orjson, RE2: ~24 ms) only checks a
    # report file; the history's commands import this module without one.
    from conformance.validation.json_validation import json_validator, validate_json

    try:
        standard = registry.resolve(fmt)
    except UsageError as exc:
        raise UsageError(f"{path}: cannot check the report's format: {exc}") from None
    findings = [
        f
        for f in validate_json(data, json_validator(registry, standard))
        if f.severity.value == "error"
    ]
    if findings:
        shown = "\n  ".join(
            f"{f.location}: {f.message}" for f in findings[:_SHOWN_PROBLEMS]
        )
        more = len(findings) - _SHOWN_PROBLEMS
        raise UsageError(
            f"{path} does not follow {fmt}:\n  {shown}"
            + (f"\n  … and {more} more" if more > 0 else "")
        )


def _time(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def run_from_document(document: ReportDocument, registry: Registry) -> Run:
    """A report document (already checked) as a :class:`Run`."""
    meta = document["run"]
    recorded = {(r["standard"], r["id"]): r for r in document.get("requirements", [])}
    results = []
    for data in document["results"]:
        requirement = None
        if data.get("requirement"):
            # The report schema makes these strings.
            standard, requirement_id, level = (
                data.get("standard"),
                data["requirement"],
                data.get("level"),
            )
            assert isinstance(requirement_id, str)
            requirement = requirement_for(
                registry,
                recorded,
                standard if isinstance(standard, str) else None,
                requirement_id,
                level if isinstance(level, str) else None,
            )
        results.append(result_from_dict(data, requirement))
    started = _time(meta["started"])
    assert started is not None
    return Run(
        registry=registry,
        command=meta["command"],
        id=meta["id"],
        started=started,
        finished=_time(meta.get("finished")),
        complete=meta["complete"],
        interruption=meta.get("interruption"),
        targets=[Target(**t) for t in document.get("targets", [])],
        results=results,
        source=meta.get("source"),
        merged_from=list(meta.get("merged_from", [])),
        provenance=list(document.get("standards", [])),
        recorded_requirements=list(recorded.values()),
    )


def requirement_for(
    registry: Registry,
    recorded: Mapping[tuple[str, str], RequirementRecord],
    standard: str | None,
    requirement_id: str,
    level: str | None,
) -> Requirement:
    """The requirement as the report recorded it, else the registry's, else a stub."""
    if standard and (standard, requirement_id) in recorded:
        item = recorded[(standard, requirement_id)]
        return Requirement(
            id=item["id"],
            level=Level(item["level"]),
            text=item["text"],
            source=item["source"],
        )
    found = registry.requirement(standard, requirement_id) if standard else None
    if found is not None:
        return found
    return Requirement(
        id=requirement_id,
        level=Level(level or "MUST"),
        text="",
        source=standard or "",
    )


def merge_runs(runs: list[Run], registry: Registry, *, source: str = "merged") -> Run:
    """One run from several (machines, pipelines), for one report and one gate.

    The merged run is complete only when every part is. A result id found
    in more than one part keeps the result of the part that started last:
    that is the newer word on the same check.
    """
    if not runs:
        raise UsageError("nothing to merge: name two or more reports or runs")
    ordered = sorted(runs, key=lambda r: r.started)
    results: dict[str, Result] = {}
    targets: dict[str, Target] = {}
    provenance: dict[str, StandardProvenance] = {}
    requirements: dict[tuple[str, str], RequirementRecord] = {}
    for run in ordered:
        for result in run.results:
            results.pop(result.id, None)  # keep the newer result, in its place
            results[result.id] = result
        for target in run.targets:
            targets[target.id] = target
        for used in run.provenance or []:
            provenance[used["ref"]] = used
        for cited in run.recorded_requirements:
            requirements[(cited["standard"], cited["id"])] = cited
    finished = [r.finished for r in ordered if r.finished]
    merged = Run(
        registry=registry,
        command="conformance report merge",
        started=ordered[0].started,
        finished=max(finished) if finished else None,
        complete=all(r.complete for r in ordered),
        interruption="; ".join(
            f"{r.id}: {r.interruption}" for r in ordered if r.interruption
        )
        or None,
        targets=list(targets.values()),
        results=list(results.values()),
        source=source,
        merged_from=[r.id for r in ordered],
        recorded_requirements=list(requirements.values()),
    )
    if all(r.provenance is not None for r in ordered):
        merged.provenance = sorted(provenance.values(), key=lambda i: i["ref"])
    return merged
