"""``conformance validate`` and ``conformance run``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.cli import report as cli_report
from conformance.cli.output import Progress, print_json
from conformance.engine.payloads import check_payloads, display_path
from conformance.errors import UsageError
from conformance.inputs.json_input import DEFAULT_LIMITS, JsonLimits
from conformance.model import Outcome, Result
from conformance.probing.profiles import PayloadTarget, bundled_profiles, load_profiles
from conformance.registry.standards import Registry
from conformance.results.run import Run, default_reports_dir, to_document
from conformance.validation.payloads import DEFAULT_MAX_FINDINGS, Validators

_SHOWN_FINDINGS = 20
_MARK = {
    Outcome.PASSED: "ok  ",
    Outcome.FAILED: "FAIL",
    Outcome.WARNING: "warn",
    Outcome.ERROR: "ERR ",
    Outcome.SKIPPED: "skip",
    Outcome.NOT_APPLICABLE: "n/a ",
}


def _limits(
    args: argparse.Namespace, settings: dict[str, Any]
) -> tuple[JsonLimits, int]:
    max_bytes = args.max_bytes or settings.get("max_bytes") or DEFAULT_LIMITS.max_bytes
    max_findings = (
        args.max_findings or settings.get("max_findings") or DEFAULT_MAX_FINDINGS
    )
    if max_bytes <= 0 or max_findings <= 0:
        raise UsageError("--max-bytes and --max-findings must be positive numbers")
    return JsonLimits(max_bytes=max_bytes), max_findings


def _command() -> str:
    return "conformance " + " ".join(sys.argv[1:])


def _execute(run: Run, body: Any) -> None:
    """Run ``body``; an interruption still leaves a run marked incomplete."""
    try:
        body()
    except KeyboardInterrupt:
        run.finish(complete=False, interruption="interrupted (SIGINT or SIGTERM)")
        print(
            "conformance: interrupted; the report is marked incomplete", file=sys.stderr
        )
        return
    run.finish(complete=True)


def validate(
    args: argparse.Namespace, registry_path: Path | None, settings: dict
) -> int:
    """Validate files and folders; exit 0 only when all conform."""
    from conformance.validation.json_validation import json_validator_for_file
    from conformance.validation.xml_validation import xml_validator_for_file

    registry = Registry.open(registry_path)
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    limits, max_findings = _limits(args, settings)
    validators = Validators(registry)
    if args.schema is not None:
        if not args.schema.is_file():
            raise UsageError(f"--schema {args.schema}: no such file")
        if args.schema.suffix.lower() == ".xsd":
            validators.xml_override = xml_validator_for_file(args.schema, registry)
        else:
            validators.json_override = json_validator_for_file(args.schema, registry)
    target = PayloadTarget(
        id="validate", paths=tuple(args.paths), standard=args.standard
    )
    run = Run(registry=registry, command=_command())
    progress = Progress()
    _execute(
        run,
        lambda: check_payloads(
            run,
            [target],
            validators=validators,
            limits=limits,
            max_findings=max_findings,
            progress=progress,
        ),
    )
    progress.clear()
    _write_requested(run, args)
    if args.format == "json":
        print_json(to_document(run))
    else:
        _print_results(run, verbose=args.verbose)
    return run.verdict.exit_code


def _write_requested(run: Run, args: argparse.Namespace) -> None:
    from conformance.reporting.writers import writer

    if getattr(args, "report", None):
        writer("json")(run, args.report)
    if getattr(args, "junit", None):
        writer("junit")(run, args.junit)


def _print_results(run: Run, *, verbose: bool) -> None:
    out = sys.stdout
    for result in run.results:
        if result.outcome is Outcome.PASSED and not verbose:
            continue
        _print_result(run.registry, result, out)
    _print_summary(run, out)


def _print_result(registry: Registry, result: Result, out: Any) -> None:
    against = f"  ({result.standard})" if result.standard else ""
    records = ""
    if "records" in result.evidence:
        records = (
            f"  {result.evidence['failed_records']} of"
            f" {result.evidence['records']} records failed"
        )
    out.write(
        f"{_MARK[result.outcome]}  {result.evidence.get('file', result.id)}"
        f"{against}{records}\n"
    )
    if result.reason:
        out.write(f"      {result.reason}\n")
    for finding in result.findings[:_SHOWN_FINDINGS]:
        out.write(f"      {finding.location}: {finding.message}\n")
        detail = [f"rule {finding.rule}"]
        if finding.schema_location:
            detail.append(f"at {finding.schema_location}")
        if finding.requirement:
            requirement = (
                registry.requirement(finding.standard, finding.requirement)
                if finding.standard
                else None
            )
            if requirement is not None:
                detail.append(
                    f"requirement {requirement.id} ({requirement.level}):"
                    f" {requirement.text}"
                )
            else:
                detail.append(f"requirement {finding.requirement}")
        out.write(f"        {'; '.join(detail)}\n")
    hidden = len(result.findings) - _SHOWN_FINDINGS
    if hidden > 0:
        out.write(
            f"      … {hidden} more findings (write them all with --report FILE)\n"
        )


def _print_summary(run: Run, out: Any) -> None:
    files = [r for r in run.results if r.kind == "payload"]
    checks = [r for r in run.results if r.kind == "service"]
    others = [r for r in run.results if r.kind not in ("payload", "service")]
    line = f"{len(files)} files checked: {_counted(files) or 'nothing to check'}"
    if not files and not checks:
        line += (
            "\nno payload files were found (looked for .json, .jsonl, .ndjson and"
            " .xml files under the paths given)"
        )
    records = sum(int(r.evidence.get("records", 0)) for r in files)
    if records:
        failed_records = sum(int(r.evidence.get("failed_records", 0)) for r in files)
        line += f"; {records} JSON Lines records, {failed_records} failed"
    if checks:
        line += f"\n{len(checks)} service checks: {_counted(checks)}"
    if others:
        line += f"\n{len(others)} other checks: {_counted(others)}"
    if not run.complete:
        line += "\nthe run was interrupted: results are incomplete"
    out.write(f"{line}\nverdict: {run.verdict.value}\n")


def _counted(results: list[Result]) -> str:
    counts = Counter(r.outcome for r in results)
    return ", ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o])


def run(args: argparse.Namespace, registry_path: Path | None, settings: dict) -> int:
    """The main job: every target of the agency profiles, reports written."""
    from conformance.probing.checks import select
    from conformance.probing.plan import (
        opened,
        plan,
        require_credentials,
        run_planned,
        targets_of,
    )
    from conformance.reporting.writers import write_all

    registry = Registry.open(registry_path)
    limits, max_findings = _limits(args, settings)
    profiles = load_profiles(args.agency or [bundled_profiles()])
    reports_dir = (
        args.reports_dir or settings.get("reports_dir") or default_reports_dir()
    )
    specs = select(
        ids=args.check,
        classes=args.check_class,
        requirements=args.requirement,
        levels=args.level,
        level_of=lambda spec: _level(registry, spec),
    )
    services = targets_of(profiles)
    planned = plan(registry, services, specs)
    if not args.dry_run:
        require_credentials(services)
    run = Run(registry=registry, command=_command())
    history = cli_report.start_run(args, run, reports_dir, settings)
    payloads = [t for p in profiles for t in p.payloads]
    progress = Progress()
    audit = args.audit_log or reports_dir / "audit.log"
    fuzz = _fuzz_settings(args, reports_dir)
    if any(item.spec.conformance_class == "fuzzing" for item in planned):
        sys.stderr.write(
            f"fuzz seed {fuzz.seed} (repeat with --fuzz-seed {fuzz.seed}"
            " or --fuzz-seed last)\n"
        )
    with opened(
        registry,
        audit=None if args.dry_run else audit,
        dry_run=args.dry_run,
        fuzz=fuzz,
    ) as opened_services:

        def body() -> None:
            if not args.dry_run:
                check_payloads(
                    run,
                    payloads,
                    limits=limits,
                    max_findings=max_findings,
                    progress=progress,
                )
            done = len(run.results)
            for target in services:
                run.targets.append(_service_target(target))
            for item in planned:
                run.add(run_planned(opened_services, item))
                done += 1
                progress(done, item.id)

        _execute(run, body)
        progress.clear()
        if args.dry_run:
            return _print_dry_run(list(opened_services.exchanges()), reports_dir)
    decision = cli_report.conclude_run(history, run, args, settings)
    paths = write_all(
        run, reports_dir, options=cli_report.writer_options(args, settings)
    )
    out = sys.stdout
    agencies = ", ".join(p.agency.id for p in profiles)
    out.write(f"agencies: {agencies}\n")
    for result in run.results:
        if result.outcome not in (Outcome.PASSED, Outcome.NOT_APPLICABLE):
            _print_result(registry, result, out)
    _print_summary(run, out)
    if planned and not args.dry_run:
        paths.append(audit)
    paths += history.extra_paths
    out.write(f"{decision.summary}\n")
    out.write("reports:\n" + "".join(f"  {display_path(p)}\n" for p in paths))
    return decision.exit_code


def _fuzz_settings(args: argparse.Namespace, reports_dir: Path) -> Any:
    from conformance.probing.fuzzing import (
        DEFAULT_EXAMPLES,
        DEFAULT_SECONDS,
        FuzzSettings,
        remember_seed,
        resolve_seed,
    )

    examples = args.fuzz_examples or DEFAULT_EXAMPLES
    seconds = args.fuzz_seconds or DEFAULT_SECONDS
    if examples <= 0 or seconds <= 0:
        raise UsageError("--fuzz-examples and --fuzz-seconds must be positive")
    seed = resolve_seed(args.fuzz_seed, reports_dir)
    remember_seed(seed, reports_dir)
    return FuzzSettings(
        seed=seed,
        examples=examples,
        seconds=seconds,
        regressions=reports_dir / "regressions",
    )


def _level(registry: Registry, spec: Any) -> str:
    requirement = registry.requirement(spec.standard, spec.requirement)
    return requirement.level.value if requirement else "MUST"


def _service_target(target: Any) -> Any:
    from conformance.results.run import Target

    return Target(
        id=target.id,
        kind="service",
        agency=target.agency.id,
        agency_name=target.agency.name_az or target.agency.name,
        location="reference service" if target.is_reference else target.base_url,
        standard=target.standard,
    )


def _print_dry_run(exchanges: list[Any], reports_dir: Path) -> int:
    from conformance.probing.http import write_dry_run

    path = reports_dir / "dry-run.txt"
    write_dry_run(exchanges, path)
    out = sys.stdout
    for exchange in exchanges:
        out.write(exchange.curl() + "\n")
    out.write(
        f"dry run: {len(exchanges)} requests would be sent; nothing was sent;"
        f" the list is in {display_path(path)}\n"
    )
    return 0
