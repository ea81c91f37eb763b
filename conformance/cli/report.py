"""``conformance report ...`` and the history, waivers and gate of ``conformance run``.

Subcommands (a SOURCE is a JSON report file, or a run of the history:
``latest``, ``previous``, ``latest~2``, a run id or the start of one):

- ``list``: the runs in the history;
- ``render SOURCE``: the run in any report format (``--format html`` ...);
- ``merge SOURCE SOURCE ...``: one run from several machines or pipelines;
- ``compare OLD NEW``: regressions and fixes (exit 1 on a regression);
- ``summary SOURCE``: the Markdown summary for a CI job page;
- ``gate SOURCE``: the CI gate's verdict as the exit code;
- ``dashboard``: the agencies × standards dashboard over the history;
- ``import REPORT ...``: put reports made elsewhere into the history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from conformance.engine.config import Settings
from conformance.engine.flags import GATE, RECORDING, add_options
from conformance.errors import UsageError
from conformance.reporting.i18n import DEFAULT_LANGUAGE, LANGUAGES
from conformance.server import commands as server_commands

if TYPE_CHECKING:
    from conformance.history import HistoryStore
    from conformance.reporting.writers import WriterOptions
    from conformance.results.compare import Comparison
    from conformance.results.gating import GatePolicy
    from conformance.results.run import Run

# The command line imports this module on every call: the report model, the
# registry and the history are imported only by the subcommands that use them.
_REPORTS_DIR = Path("reports")

FORMATS = (
    "json",
    "junit",
    "markdown",
    "html",
    "earl",
    "tar",
    "traceability",
    "sarif",
)


# -- options ---------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD"
        ) from None


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count (0 or more)")
    return value


def _history_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--history",
        metavar="PATH",
        help="the results history: a SQLite file or sqlite:///PATH (default:"
        " REPORTS_DIR/history.sqlite, [tool.conformance] history,"
        " $CONFORMANCE_HISTORY)",
    )


def _reports_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--reports-dir",
        type=Path,
        metavar="DIR",
        help="the reports folder, where the history is by default (default: reports)",
    )


def _gate_options(parser: argparse.ArgumentParser, *, on_day: bool = True) -> None:
    """``--waivers`` and ``--max-should-failures``; ``--on`` for a past run."""
    group = parser.add_argument_group("waivers and the gate")
    group.add_argument(
        "--waivers",
        type=Path,
        metavar="FILE",
        help="waivers granted by the executive group (TOML, see docs/reports.md)",
    )
    if on_day:
        group.add_argument(
            "--on",
            type=_date,
            metavar="DATE",
            help="decide waivers for this day (YYYY-MM-DD; default: the run's date)",
        )
    group.add_argument(
        "--max-should-failures",
        type=_count,
        metavar="N",
        help="fail the gate when more than N SHOULD requirements fail"
        " (default: SHOULD failures never fail it)",
    )


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=f"language the HTML pages open in (default: {DEFAULT_LANGUAGE};"
        " both are in the file)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options ``conformance run`` takes for the history, waivers and gate.

    The history, waiver and gate flags are the ones the pytest plugin takes
    too (:mod:`conformance.engine.flags`); a run is decided on its own day.
    """
    add_options(parser.add_argument, RECORDING)
    parser.add_argument(
        "--source",
        metavar="LABEL",
        help="where the run is made (a machine or pipeline), kept in the reports",
    )
    _lang_option(parser)
    add_options(parser.add_argument_group("waivers and the gate").add_argument, GATE)


_SOURCE = (
    "a JSON report file, or a run of the history: latest, previous, latest~N,"
    " or a run id (its first characters are enough)"
)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``conformance report`` and its subcommands."""
    report = commands.add_parser(
        "report",
        help="reports, the results history, the dashboard and the CI gate",
        description="Render, merge, compare and gate reports; list the results"
        " history; build the dashboard. A SOURCE is a JSON report file or a run"
        " of the history (latest, previous, latest~N, or a run id).",
    )
    sub = report.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="the runs in the results history")
    _history_option(listing)
    _reports_dir_option(listing)
    listing.add_argument(
        "--limit", type=_count, metavar="N", default=30, help="runs shown (default 30)"
    )
    listing.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for machines (default: text)",
    )

    render = sub.add_parser("render", help="a run in one or more report formats")
    render.add_argument("source", metavar="SOURCE", help=_SOURCE)
    render.add_argument(
        "--format",
        action="append",
        choices=FORMATS,
        help="report format; repeatable (default: html)",
    )
    render.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="the file (one format)"
    )
    render.add_argument(
        "--output-dir", type=Path, metavar="DIR", help="the folder (any formats)"
    )
    _lang_option(render)
    _gate_options(render)
    _history_option(render)
    _reports_dir_option(render)

    merge = sub.add_parser(
        "merge", help="one run from several reports or runs (machines, pipelines)"
    )
    merge.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="the runs to merge: " + _SOURCE
    )
    merge.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="the merged JSON report"
    )
    merge.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="write the merged run in every format into DIR",
    )
    merge.add_argument(
        "--record", action="store_true", help="also record the merged run in history"
    )
    merge.add_argument(
        "--source",
        metavar="LABEL",
        default="merged",
        help="where the merged run was made, kept in its report (default: merged)",
    )
    _lang_option(merge)
    _history_option(merge)
    _reports_dir_option(merge)

    comparison = sub.add_parser(
        "compare", help="regressions and fixes from OLD to NEW (exit 1 on regression)"
    )
    comparison.add_argument("old", metavar="OLD", help="the earlier run: " + _SOURCE)
    comparison.add_argument("new", metavar="NEW", help="the later run: " + _SOURCE)
    comparison.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text, json, or markdown for a CI job page (default: text)",
    )
    comparison.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="default: standard output"
    )
    _history_option(comparison)
    _reports_dir_option(comparison)

    summary = sub.add_parser("summary", help="the Markdown summary for a CI job page")
    summary.add_argument("source", metavar="SOURCE", help=_SOURCE)
    summary.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="default: standard output"
    )
    _gate_options(summary)
    _history_option(summary)
    _reports_dir_option(summary)

    gate = sub.add_parser("gate", help="the CI gate: exit 0 pass, 1 fail, 3 incomplete")
    gate.add_argument("source", metavar="SOURCE", help=_SOURCE)
    gate.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit")
    gate.add_argument(
        "--summary", type=Path, metavar="FILE", help="also write the Markdown summary"
    )
    _gate_options(gate)
    _history_option(gate)
    _reports_dir_option(gate)

    dashboard = sub.add_parser(
        "dashboard", help="agencies × standards over the history, as one HTML file"
    )
    dashboard.add_argument(
        "--since", metavar="RUN", help="compare with this run (default: the previous)"
    )
    dashboard.add_argument(
        "--latest", metavar="RUN", help="the newest run to show (default: latest)"
    )
    dashboard.add_argument(
        "--window", type=_count, default=20, metavar="N", help="runs in the charts"
    )
    dashboard.add_argument(
        "--waivers",
        type=Path,
        metavar="FILE",
        help="decide waivers from this file for every run shown (default: as recorded)",
    )
    dashboard.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="default: REPORTS_DIR/dashboard.html",
    )
    _lang_option(dashboard)
    _history_option(dashboard)
    _reports_dir_option(dashboard)

    importing = sub.add_parser(
        "import", help="record JSON reports made elsewhere in the history"
    )
    importing.add_argument(
        "reports",
        nargs="+",
        type=Path,
        metavar="REPORT",
        help="conformance-report.json files of runs made elsewhere",
    )
    _history_option(importing)
    _reports_dir_option(importing)
    server_commands.add_push_parser(sub)


def _lang(args: argparse.Namespace, settings: Settings) -> str:
    return getattr(args, "lang", None) or settings.get("lang") or DEFAULT_LANGUAGE


def writer_options(args: argparse.Namespace, settings: Settings) -> WriterOptions:
    """The options of the report writers for these arguments."""
    from conformance.reporting.writers import WriterOptions

    return WriterOptions(lang=_lang(args, settings))


# -- conformance report ------------------------------------------------------------


class _Context:
    """The registry, settings and (opened on demand) history of one command."""

    def __init__(
        self, args: argparse.Namespace, registry_path: Path | None, settings: Settings
    ) -> None:
        from conformance.registry.standards import Registry

        self.args = args
        self.settings = settings
        self.registry = Registry.open(registry_path)
        self.reports_dir = (
            getattr(args, "reports_dir", None)
            or settings.get("reports_dir")
            or _REPORTS_DIR
        )
        self._store: HistoryStore | None = None

    @property
    def store(self) -> HistoryStore:
        from conformance.history import history_location, open_history

        if self._store is None:
            location = history_location(
                getattr(self.args, "history", None) or self.settings.get("history"),
                self.reports_dir,
            )
            writes = self.args.action == "import" or getattr(self.args, "record", False)
            if not writes and location.path is not None and not location.path.exists():
                # Reading must not leave an empty database behind a typo.
                raise UsageError(
                    f"no results history at {location}: `conformance run` records"
                    " one, or name it with --history"
                )
            self._store = open_history(location)
        return self._store

    def source(self, reference: str) -> Run:
        """A JSON report file, or a run of the history."""
        from conformance.results.report_io import load_report

        path = Path(reference)
        if path.is_file() or path.suffix.lower() == ".json":
            return load_report(path, self.registry)
        return self.store.load(self.store.resolve(reference), self.registry)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def dispatch(
    args: argparse.Namespace, registry_path: Path | None, settings: Settings
) -> int:
    """Run one ``conformance report`` subcommand; returns the exit code."""
    context = _Context(args, registry_path, settings)
    try:
        return _ACTIONS[args.action](context)
    finally:
        context.close()


def _apply_waivers(context: _Context, run: Run) -> None:
    from conformance.results.waivers import apply_waivers, load_waivers, reconsider

    args = context.args
    path = getattr(args, "waivers", None) or context.settings.get("waivers")
    if path:
        apply_waivers(run, load_waivers(Path(path), context.registry), args.on)
    elif getattr(args, "on", None):
        reconsider(run, args.on)


def _policy(context: _Context) -> GatePolicy:
    from conformance.results.gating import GatePolicy

    threshold = getattr(context.args, "max_should_failures", None)
    if threshold is None:
        threshold = context.settings.get("max_should_failures")
    return GatePolicy(max_should_failures=threshold)


def _list(context: _Context) -> int:
    from conformance.cli.output import print_json

    runs = context.store.runs(limit=context.args.limit)
    if context.args.format == "json":
        print_json(
            [
                {
                    "id": r.id,
                    "started": r.started.isoformat(),
                    "complete": r.complete,
                    "verdict": r.verdict,
                    "source": r.source,
                    "total": r.total,
                    "failed": r.failed,
                    "waived": r.waived,
                    "error": r.error,
                }
                for r in runs
            ]
        )
        return 0
    out = sys.stdout
    out.write(f"results history: {context.store.location}\n")
    if not runs:
        out.write("no runs recorded yet\n")
    for r in runs:
        state = "" if r.complete else "  (incomplete)"
        out.write(
            f"{r.id}  {r.started:%Y-%m-%d %H:%M}  {r.verdict:<14}"
            f" {r.total:>5} results, {r.failed} failed ({r.waived} waived),"
            f" {r.error} error{state}\n"
        )
    return 0


def _write_formats(
    context: _Context, run: Run, formats: list[str], output: Path | None, folder: Path
) -> list[Path]:
    from conformance.reporting.writers import WRITERS, write_all, writer

    options = writer_options(context.args, context.settings)
    if output is not None:
        if len(formats) != 1:
            raise UsageError(
                "--output names one file: give one --format, or --output-dir for"
                " several"
            )
        writer(formats[0])(run, output, options)
        return [output]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown:
        raise UsageError(f"unknown report format(s): {', '.join(unknown)}")
    return write_all(run, folder, tuple(formats), options)


def _render(context: _Context) -> int:
    args = context.args
    run = context.source(args.source)
    _apply_waivers(context, run)
    formats = args.format or ["html"]
    paths = _write_formats(
        context, run, formats, args.output, args.output_dir or context.reports_dir
    )
    sys.stdout.write("".join(f"{p}\n" for p in paths))
    return 0


def _merge(context: _Context) -> int:
    from conformance.results.report_io import merge_runs

    args = context.args
    if len(args.sources) < 2:
        raise UsageError("merge needs two or more SOURCEs")
    merged = merge_runs(
        [context.source(s) for s in args.sources], context.registry, source=args.source
    )
    paths = []
    if args.output is not None or args.output_dir is None:
        output = args.output or context.reports_dir / "merged-report.json"
        paths += _write_formats(context, merged, ["json"], output, context.reports_dir)
    if args.output_dir is not None:
        paths += _write_formats(context, merged, list(FORMATS), None, args.output_dir)
    if args.record:
        context.store.save(merged)
    sys.stdout.write(
        f"merged {len(args.sources)} runs into {merged.id}: {merged.verdict.value}\n"
        + "".join(f"  {p}\n" for p in paths)
    )
    return 0


def _compare(context: _Context) -> int:
    from conformance.cli.output import print_json
    from conformance.results.compare import compare

    args = context.args
    comparison = compare(context.source(args.old), context.source(args.new))
    if args.format == "json":
        text = None
        if args.output is None:
            print_json(comparison.to_dict())
        else:
            import json

            text = json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False)
    else:
        text = _comparison_text(comparison, markdown=args.format == "markdown")
        if args.output is None:
            sys.stdout.write(text)
    if args.output is not None and text is not None:
        from conformance.atomic import write_text_atomic

        write_text_atomic(args.output, text if text.endswith("\n") else text + "\n")
    worse = comparison.regressions or comparison.of("new-failure")
    return 1 if worse else 0


def _comparison_text(comparison: Comparison, *, markdown: bool) -> str:
    # Result ids and titles carry payload file names: shown, never acted on.
    from conformance.reporting.escaping import one_line
    from conformance.reporting.writers.markdown import inline
    from conformance.results.compare import KINDS

    old, new = comparison.old, comparison.new
    lines = []
    if markdown:
        lines += [f"## Changes from `{old.id[:8]}` to `{new.id[:8]}`", ""]
        lines += ["| change | result | before | after |", "|---|---|---|---|"]
        for c in comparison.changes:
            before = c.before.outcome.value if c.before else "–"
            after = c.after.outcome.value if c.after else "–"
            lines.append(
                f"| {c.kind} | {inline(c.result.title)} | {before} | {after} |"
            )
        if not comparison.changes:
            lines.append("| – | no changes | | |")
        return "\n".join(lines) + "\n"
    lines.append(f"from {old.id} ({old.started:%Y-%m-%d %H:%M})")
    lines.append(f"to   {new.id} ({new.started:%Y-%m-%d %H:%M})")
    counts = ", ".join(f"{len(comparison.of(k))} {k}" for k in KINDS)
    lines.append(counts)
    for c in comparison.changes:
        before = c.before.outcome.value if c.before else "-"
        after = c.after.outcome.value if c.after else "-"
        lines.append(f"  {c.kind:<12} {before:>8} -> {after:<8} {one_line(c.id)}")
    return "\n".join(lines) + "\n"


def _summary(context: _Context) -> int:
    from conformance.atomic import write_text_atomic
    from conformance.reporting.writers.markdown import render_markdown
    from conformance.results.gating import decide

    args = context.args
    run = context.source(args.source)
    _apply_waivers(context, run)
    text = render_markdown(run, decision=decide(run, _policy(context)))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text)
    return 0


def _gate(context: _Context) -> int:
    from conformance.atomic import write_text_atomic
    from conformance.reporting.escaping import one_line
    from conformance.reporting.writers.junit import write_junit
    from conformance.reporting.writers.markdown import render_markdown
    from conformance.results.gating import decide

    args = context.args
    run = context.source(args.source)
    _apply_waivers(context, run)
    decision = decide(run, _policy(context))
    if args.junit is not None:
        write_junit(run, args.junit)
    if args.summary is not None:
        write_text_atomic(args.summary, render_markdown(run, decision=decision))
    print(one_line(decision.summary))
    return decision.exit_code


def _dashboard(context: _Context) -> int:
    from conformance.reporting.dashboard import write_dashboard
    from conformance.results.waivers import load_waivers

    args = context.args
    waivers = load_waivers(args.waivers, context.registry) if args.waivers else None
    path = args.output or context.reports_dir / "dashboard.html"
    dashboard = write_dashboard(
        context.store,
        context.registry,
        path,
        lang=_lang(args, context.settings),
        since=args.since,
        latest=args.latest,
        window=max(args.window, 1),
        waivers=waivers,
    )
    regressions = len(dashboard.changes.get("regression", []))
    sys.stdout.write(
        f"{path}: {len(dashboard.runs)} run(s), {len(dashboard.cells)} agency ×"
        f" standard cells, {regressions} regression(s)\n"
    )
    return 0


def _import(context: _Context) -> int:
    from conformance.results.report_io import load_report

    for path in context.args.reports:
        run = load_report(path, context.registry)
        context.store.save(run)
        sys.stdout.write(f"recorded {run.id} from {path}\n")
    return 0


_ACTIONS = {
    "list": _list,
    "render": _render,
    "merge": _merge,
    "compare": _compare,
    "summary": _summary,
    "gate": _gate,
    "dashboard": _dashboard,
    "import": _import,
}
