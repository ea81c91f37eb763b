"""``conformance validate`` and ``conformance run``: options in, the engine runs.

Each command translates its arguments and ``[tool.conformance]`` settings
into :class:`~conformance.engine.RunOptions`, lets the engine plan, execute
and conclude the run, and prints what happened.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from conformance.cli.output import EXIT_INTERNAL, EXIT_OK, Progress, print_json
from conformance.engine import (
    Engine,
    FuzzOptions,
    GateOptions,
    HistoryListener,
    Limits,
    Listener,
    ReportFiles,
    RunOptions,
    RunSession,
    Selection,
    display_path,
)
from conformance.engine.config import Settings
from conformance.errors import UsageError
from conformance.model import Outcome, Result
from conformance.probing.http import Exchange, write_dry_run
from conformance.probing.profiles import PayloadTarget, bundled_profiles
from conformance.registry.standards import Registry
from conformance.reporting.escaping import one_line
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.reporting.text import render_result
from conformance.reporting.writers import ReportsNotWritten
from conformance.results.gating import GateDecision
from conformance.results.run import Run, default_reports_dir, to_document

_SHOWN_FINDINGS = 20
_MARK = {
    Outcome.PASSED: "ok  ",
    Outcome.FAILED: "FAIL",
    Outcome.WARNING: "warn",
    Outcome.ERROR: "ERR ",
    Outcome.SKIPPED: "skip",
    Outcome.NOT_APPLICABLE: "n/a ",
}


class ProgressLine(Listener):
    """The one-line progress display of a terminal, told of each result."""

    def __init__(self) -> None:
        self.progress = Progress()
        self.done = 0

    def recorded(self, run: Run, result: Result) -> None:
        self.done += 1
        name = str(result.evidence.get("file", result.id))
        self.progress(self.done, one_line(name))

    def finished(self, run: Run, decision: GateDecision) -> None:
        self.progress.clear()


def _command() -> str:
    return "conformance " + " ".join(sys.argv[1:])


def _limits(args: argparse.Namespace, settings: Settings) -> Limits:
    defaults = Limits()
    return Limits(
        max_bytes=args.max_bytes or settings.get("max_bytes") or defaults.max_bytes,
        max_findings=args.max_findings
        or settings.get("max_findings")
        or defaults.max_findings,
    )


def _execute(session: RunSession) -> tuple[GateDecision, ReportsNotWritten | None]:
    """Run the session; the gate's decision, and the reports not written.

    A report that could not be written does not hide the run: the run was
    decided and recorded, and the command still says what it found.
    """
    unwritten = None
    try:
        decision = session.execute()
    except ReportsNotWritten as exc:
        assert session.decision is not None
        decision, unwritten = session.decision, exc
    if not session.run.complete:
        print(
            "conformance: interrupted; the report is marked incomplete", file=sys.stderr
        )
    return decision, unwritten


def _exit_code(decision: GateDecision, unwritten: ReportsNotWritten | None) -> int:
    """The gate's exit code, or 3 when reports are missing (said on stderr)."""
    if unwritten is None:
        return decision.exit_code
    sys.stdout.flush()
    print(f"conformance: error: {unwritten}", file=sys.stderr)
    return EXIT_INTERNAL


def validate(
    args: argparse.Namespace, registry_path: Path | None, settings: Settings
) -> int:
    """Validate files and folders; exit 0 only when all conform."""
    for path in args.paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder")
    files: dict[str, Path] = {}
    if args.report:
        files["json"] = args.report
    if args.junit:
        files["junit"] = args.junit
    options = RunOptions(
        command=_command(),
        registry=registry_path,
        payloads=(
            PayloadTarget(
                id="validate", paths=tuple(args.paths), standard=args.standard
            ),
        ),
        schema=args.schema,
        limits=_limits(args, settings),
        jobs=args.jobs,
    )
    with Engine(options) as engine:
        session = engine.start([ProgressLine(), ReportFiles(files=files)])
        decision, unwritten = _execute(session)
    if args.format == "json":
        print_json(to_document(session.run))
    else:
        _print_results(session.run, sys.stdout, verbose=args.verbose)
    return _exit_code(decision, unwritten)


def run(
    args: argparse.Namespace, registry_path: Path | None, settings: Settings
) -> int:
    """The main job: every target of the agency profiles, reports written."""
    reports_dir = Path(
        args.reports_dir or settings.get("reports_dir") or default_reports_dir()
    )
    lang = args.lang or settings.get("lang") or DEFAULT_LANGUAGE
    waivers = args.waivers or settings.get("waivers")
    threshold = args.max_should_failures
    if threshold is None:
        threshold = settings.get("max_should_failures")
    options = RunOptions(
        command=_command(),
        registry=registry_path,
        agencies=tuple(args.agency or [bundled_profiles()]),
        reports_dir=reports_dir,
        selection=Selection(
            ids=tuple(args.check or ()),
            classes=tuple(args.check_class or ()),
            requirements=tuple(args.requirement or ()),
            levels=tuple(args.level or ()),
        ),
        fuzz=_fuzz_options(args),
        gate=GateOptions(
            waivers=Path(waivers) if waivers else None,
            max_should_failures=threshold,
        ),
        dry_run=args.dry_run,
        audit_log=args.audit_log,
        history=args.history or settings.get("history"),
        record_history=not (args.no_history or args.dry_run),
        source=args.source,
        lang=lang,
        limits=_limits(args, settings),
    )
    with Engine(options) as engine:
        plan = engine.plan()
        if plan.fuzzing:
            seed = engine.fuzz.seed
            sys.stderr.write(
                f"fuzz seed {seed} (repeat with --fuzz-seed {seed}"
                " or --fuzz-seed last)\n"
            )
        if args.dry_run:
            dry = engine.start([ProgressLine()])
            dry.execute()
            return _print_dry_run(dry.run, engine.exchanges(), reports_dir)
        listeners: list[Listener] = [ProgressLine()]
        if options.record_history:
            listeners.append(
                HistoryListener(
                    options.history_location,
                    dashboard=reports_dir / "dashboard.html",
                    lang=lang,
                )
            )
        listeners.append(ReportFiles(reports_dir, lang=lang))
        session = engine.start(listeners)
        decision, unwritten = _execute(session)
    out = sys.stdout
    agencies = ", ".join(p.agency.id for p in engine.profiles)
    out.write(f"agencies: {one_line(agencies)}\n")
    _print_results(session.run, out, verbose=False, quiet=(Outcome.NOT_APPLICABLE,))
    paths = session.outputs()
    if unwritten is not None:
        paths += unwritten.written
    if plan.probes:
        paths.append(options.audit_path)
    # The gate's reasons name results, and a result's id a payload's file.
    out.write(f"{one_line(decision.summary)}\n")
    out.write("reports:\n" + "".join(f"  {one_line(display_path(p))}\n" for p in paths))
    return _exit_code(decision, unwritten)


def _fuzz_options(args: argparse.Namespace) -> FuzzOptions:
    defaults = FuzzOptions()
    return FuzzOptions(
        seed=args.fuzz_seed,
        examples=args.fuzz_examples or defaults.examples,
        seconds=args.fuzz_seconds or defaults.seconds,
    )


def _print_results(
    run: Run,
    out: TextIO,
    *,
    verbose: bool,
    quiet: tuple[Outcome, ...] = (),
) -> None:
    for result in run.results:
        if result.outcome in quiet or (
            result.outcome is Outcome.PASSED and not verbose
        ):
            continue
        _print_result(run.registry, result, out)
    _print_summary(run, out)


def _print_result(registry: Registry, result: Result, out: TextIO) -> None:
    first, *rest = render_result(
        result,
        registry,
        max_findings=_SHOWN_FINDINGS,
        more_hint=" (write them all with --report FILE)",
    )
    out.write(f"{_MARK[result.outcome]}  {first}\n")
    for line in rest:
        out.write(f"    {line}\n")


def _print_summary(run: Run, out: TextIO) -> None:
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


def _print_dry_run(run: Run, exchanges: list[Exchange], reports_dir: Path) -> int:
    """List the requests; a check that could not even say what it would send
    is shown, and makes the dry run incomplete (exit 3)."""
    path = reports_dir / "dry-run.txt"
    write_dry_run(exchanges, path)
    out = sys.stdout
    for exchange in exchanges:
        out.write(one_line(exchange.curl()) + "\n")
    broken = [r for r in run.results if r.outcome is Outcome.ERROR]
    for result in broken:
        _print_result(run.registry, result, out)
    out.write(
        f"dry run: {len(exchanges)} requests would be sent; nothing was sent;"
        f" the list is in {one_line(display_path(path))}\n"
    )
    if broken:
        out.write(f"{len(broken)} checks could not say what they would send\n")
        return EXIT_INTERNAL
    return EXIT_OK
