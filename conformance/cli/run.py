"""``conformance validate`` and ``conformance run``: options in, the engine runs.

Each command translates its arguments and ``[tool.conformance]`` settings
into :class:`~conformance.engine.RunOptions`, lets the engine plan, execute
and conclude the run, and prints what happened.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from conformance.cli.output import (
    EXIT_INTERNAL,
    EXIT_OK,
    Progress,
    Style,
    colour_wanted,
    print_json,
)
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
from conformance.probing.profiles import PayloadTarget, bundled_profiles
from conformance.registry.standards import Registry
from conformance.reporting.ci import append_step_summary, github_annotations
from conformance.reporting.escaping import one_line
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.reporting.text import render_result
from conformance.reporting.writers import ReportsNotWritten
from conformance.reporting.writers.markdown import render_markdown
from conformance.reporting.writers.sarif import write_sarif
from conformance.results.gating import GateDecision
from conformance.results.run import Run, default_reports_dir, to_document
from conformance.validation.payloads import iter_payload_files

if TYPE_CHECKING:
    from conformance.probing.http import Exchange

_SHOWN_FINDINGS = 20
_MARK = {
    Outcome.PASSED: "ok  ",
    Outcome.FAILED: "FAIL",
    Outcome.WARNING: "warn",
    Outcome.ERROR: "ERR ",
    Outcome.SKIPPED: "skip",
    Outcome.NOT_APPLICABLE: "n/a ",
}


_MARK_STYLE = {
    Outcome.PASSED: ("green",),
    Outcome.FAILED: ("red", "bold"),
    Outcome.WARNING: ("yellow",),
    Outcome.ERROR: ("red",),
    Outcome.SKIPPED: ("dim",),
    Outcome.NOT_APPLICABLE: ("dim",),
}
_VERDICT_STYLE = {
    "conformant": ("green", "bold"),
    "non-conformant": ("red", "bold"),
}


class ProgressLine(Listener):
    """The progress of a run, told of each result; it knows the total."""

    def __init__(self, total: int, style: Style, *, announce: bool = True) -> None:
        self.progress = Progress(total=total, style=style, announce=announce)
        self.done = 0

    def started(self, run: Run) -> None:
        self.progress.start()

    def recorded(self, run: Run, result: Result) -> None:
        self.done += 1
        # Shown on a terminal ten times a second at most, and never in a log:
        # the name is made only for a line that is drawn.
        self.progress(
            self.done, lambda: one_line(str(result.evidence.get("file", result.id)))
        )

    def finished(self, run: Run, decision: GateDecision) -> None:
        self.progress.clear()


def style_of(args: argparse.Namespace, stream: TextIO = sys.stdout) -> Style:
    """Colour for ``stream`` as ``--color``/``--no-color`` and NO_COLOR say."""
    choice = "never" if getattr(args, "no_color", False) else args.color
    return Style(colour_wanted(choice, stream))


def _ci_outputs(
    args: argparse.Namespace, run: Run, decision: GateDecision, out: TextIO
) -> list[Path]:
    """GitHub annotations, the SARIF file and the job summary, as asked.

    The Markdown summary goes to ``$GITHUB_STEP_SUMMARY`` whenever GitHub
    Actions sets it: the job's page then shows the verdict without a step.
    """
    written = []
    if args.format == "github":
        for line in github_annotations(run):
            out.write(line + "\n")
    if args.sarif is not None:
        write_sarif(run, args.sarif)
        written.append(args.sarif)
    summary = append_step_summary(render_markdown(run, decision=decision))
    if summary is not None:
        written.append(summary)
    return written


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
    # A command is one process and one run: what exists by now (modules,
    # the registry, compiled schemas) lives to its end. Frozen, the garbage
    # collector stops walking it on every full collection (hypothesis forces
    # one in each thread that first draws), and forked workers share it.
    gc.freeze()
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


_INI_FILES = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


def payload_mapping(folder: Path) -> tuple[Path, list[tuple[Path, str]]]:
    """The repository's ``conformance_payloads``: each folder and its standard.

    Read where pytest reads it, in pytest's order (``pytest.ini``,
    ``.pytest.ini``, ``pyproject.toml``'s ``[tool.pytest.ini_options]``,
    ``tox.ini``, ``setup.cfg``), so that ``pytest`` and the pre-commit hook
    map the same folders to the same standards. Returns the file it was
    read from and the mapping, longest folder first.
    """
    for name, section in _INI_FILES:
        path = folder / name
        if not path.is_file():
            continue
        lines = _ini_lines(path, section)
        if lines is None:
            continue
        mapping = []
        for line in lines:
            place, sep, ref = line.partition("=")
            if not sep or not place.strip() or not ref.strip():
                raise UsageError(
                    f"{path}: conformance_payloads: {line!r} is not"
                    " 'folder = standard' (e.g. 'payloads/person = person@1.1.0')"
                )
            mapping.append(((folder / place.strip()).resolve(), ref.strip()))
        mapping.sort(key=lambda m: len(m[0].parts), reverse=True)
        return path, mapping
    raise UsageError(
        f"no conformance_payloads in {folder}: map payload folders to standards"
        " in pyproject.toml, e.g. [tool.pytest.ini_options] conformance_payloads"
        ' = ["payloads/person = person@1.1.0"] (see docs/ci.md)'
    )


def _ini_lines(path: Path, section: str | None) -> list[str] | None:
    """The ``conformance_payloads`` lines of one settings file, or None."""
    import configparser
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        if section is None:
            table = tomllib.loads(text).get("tool", {}).get("pytest", {})
            value = table.get("ini_options", {}).get("conformance_payloads")
        else:
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(text, source=str(path))
            value = parser.get(section, "conformance_payloads", fallback=None)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: cannot read conformance_payloads: {exc}") from None
    except configparser.Error as exc:
        raise UsageError(f"{path}: cannot read conformance_payloads: {exc}") from None
    if value is None:
        return None
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(
            f"{path}: conformance_payloads must be lines of 'folder = standard'"
        )
    return [line.strip() for line in value if line.strip()]


def _mapped_targets(paths: list[Path]) -> tuple[PayloadTarget, ...]:
    """The given files, grouped by the mapped folder each is in.

    A file in no mapped folder is not a payload of the repository (a
    package.json, a fixture of another tool) and is left out.
    """
    _, mapping = payload_mapping(Path.cwd())
    groups: dict[tuple[Path, str], list[Path]] = {}
    # A folder given (`.` in a CI job) stands for the payload files in it,
    # each then mapped on its own: folders may be mapped inside others.
    files = [listed.path for listed in iter_payload_files(paths)]
    for path in files:
        where = path.resolve()
        for folder, ref in mapping:
            if where == folder or folder in where.parents:
                groups.setdefault((folder, ref), []).append(path)
                break
    return tuple(
        PayloadTarget(
            id=display_path(folder),
            paths=tuple(found),
            standard=None if ref == "auto" else ref,
        )
        for (folder, ref), found in groups.items()
    )


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
    if args.mapped:
        targets = _mapped_targets(args.paths)
        if not targets:
            print(
                f"none of the {len(args.paths)} files given is in a folder of"
                " conformance_payloads: nothing to check"
            )
            return EXIT_OK
    else:
        targets = (
            PayloadTarget(
                id="validate", paths=tuple(args.paths), standard=args.standard
            ),
        )
    options = RunOptions(
        command=_command(),
        registry=registry_path,
        payloads=targets,
        schema=args.schema,
        limits=_limits(args, settings),
        jobs=args.jobs,
    )
    style = style_of(args)
    with Engine(options) as engine:
        # A quick look (a pre-commit hook, say) announces nothing in a log.
        progress = ProgressLine(
            len(engine.plan().units), style_of(args, sys.stderr), announce=False
        )
        session = engine.start([progress, ReportFiles(files=files)])
        decision, unwritten = _execute(session)
    if args.format == "json":
        print_json(to_document(session.run))
    else:
        _print_results(session.run, sys.stdout, verbose=args.verbose, style=style)
    _ci_outputs(args, session.run, decision, sys.stdout)
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
        jobs=args.jobs,
    )
    style = style_of(args)
    with Engine(options) as engine:
        plan = engine.plan()
        progress = ProgressLine(len(plan.units), style_of(args, sys.stderr))
        if plan.fuzzing:
            seed = engine.fuzz.seed
            sys.stderr.write(
                f"fuzz seed {seed} (repeat with --fuzz-seed {seed}"
                " or --fuzz-seed last)\n"
            )
        if args.dry_run:
            dry = engine.start([progress])
            dry.execute()
            return _print_dry_run(dry.run, engine.exchanges(), reports_dir)
        listeners: list[Listener] = [progress]
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
    _print_results(
        session.run, out, verbose=False, quiet=(Outcome.NOT_APPLICABLE,), style=style
    )
    paths = session.outputs()
    if unwritten is not None:
        paths += unwritten.written
    if plan.probes:
        paths.append(options.audit_path)
    paths += _ci_outputs(args, session.run, decision, out)
    # The gate's reasons name results, and a result's id a payload's file.
    gate_style = _VERDICT_STYLE.get(decision.verdict.value, ("yellow", "bold"))
    out.write(style(one_line(decision.summary), *gate_style) + "\n")
    out.write("reports:\n" + "".join(f"  {one_line(display_path(p))}\n" for p in paths))
    for line in next_steps(session.run, decision, reports_dir, engine.fuzz.seed):
        out.write(f"{style('next:', 'bold')} {one_line(line)}\n")
    return _exit_code(decision, unwritten)


def next_steps(
    run: Run, decision: GateDecision, reports_dir: Path, seed: int | None
) -> list[str]:
    """What to do after a run, in the order a person would do it."""
    failing = [
        r
        for r in run.results
        if r.outcome in (Outcome.FAILED, Outcome.ERROR) and not r.waived
    ]
    steps = []
    if not failing:
        if decision.exit_code == EXIT_OK:
            steps.append(
                f"nothing to fix; the reviewers' report is"
                f" {display_path(reports_dir / 'report.html')}"
            )
        return steps
    steps.append(
        f"read the failures with their evidence in"
        f" {display_path(reports_dir / 'report.html')}"
    )
    if any(r.kind == "payload" for r in failing):
        first = next(r for r in failing if r.kind == "payload")
        shown = first.evidence.get("file", first.target)
        against = f" --standard {first.standard}" if first.standard else ""
        steps.append(
            f"fix a payload and check it again: conformance validate {shown}{against}"
        )
    if any(r.evidence.get("exchanges") for r in failing):
        steps.append("reproduce a service failure with the curl command shown under it")
    if seed is not None and any(r.evidence.get("fuzz") for r in failing):
        steps.append(f"repeat the fuzzing exactly: --fuzz-seed {seed}")
    steps.append(
        f"after fixing, compare with this run: conformance report compare latest~1"
        f" latest --reports-dir {display_path(reports_dir)}"
    )
    return steps


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
    style: Style | None = None,
) -> None:
    style = style or Style(False)
    for result in run.results:
        if result.outcome in quiet or (
            result.outcome is Outcome.PASSED and not verbose
        ):
            continue
        _print_result(run.registry, result, out, style)
    _print_summary(run, out, style)


def _print_result(
    registry: Registry, result: Result, out: TextIO, style: Style | None = None
) -> None:
    style = style or Style(False)
    first, *rest = render_result(
        result,
        registry,
        max_findings=_SHOWN_FINDINGS,
        more_hint=" (write them all with --report FILE)",
    )
    mark = style(_MARK[result.outcome], *_MARK_STYLE[result.outcome])
    out.write(f"{mark}  {style(first, 'bold')}\n")
    for line in rest:
        out.write(f"    {line}\n")


def _print_summary(run: Run, out: TextIO, style: Style) -> None:
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
    verdict = style(
        run.verdict.value, *_VERDICT_STYLE.get(run.verdict.value, ("yellow",))
    )
    out.write(f"{line}\nverdict: {verdict}\n")


def _counted(results: list[Result]) -> str:
    counts = Counter(r.outcome for r in results)
    return ", ".join(f"{counts[o]} {o.value}" for o in Outcome if counts[o])


def _print_dry_run(run: Run, exchanges: list[Exchange], reports_dir: Path) -> int:
    """List the requests; a check that could not even say what it would send
    is shown, and makes the dry run incomplete (exit 3)."""
    from conformance.probing.http import write_dry_run  # requests: services only

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
