"""The ``conformance`` command: a thin layer over the library.

Exit codes: 0 conformant, 1 non-conformant, 2 usage error, 3 the run could
not check everything (an internal error, or a target that could not be
checked). Output for machines with ``--format json``.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from conformance import __version__
from conformance.cache import user_cache
from conformance.cli import report as cli_report
from conformance.cli.completion import walk
from conformance.cli.output import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from conformance.engine.flags import FUZZING, JOBS, SELECTION, add_options
from conformance.errors import ConformanceError, UsageError
from conformance.server import commands as server_commands

# The files `conformance run` writes, as `reporting.writers.WRITERS` names
# them (spelled out: importing the writers would load the report model on
# every command; tests/test_cli_options.py keeps the two lists equal).
REPORT_FILES = (
    "conformance-report.json",
    "junit.xml",
    "summary.md",
    "report.html",
    "earl-results.rdf",
    "tar.xml",
    "traceability.csv",
    "conformance.sarif",
)


def _examples(*lines: str) -> str:
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


# Each subcommand's help ends with examples a person can paste.
_EXAMPLES: dict[tuple[str, ...], str] = {
    (): _examples(
        "conformance validate payloads/ --standard person@1.1.0",
        "conformance run --agency agencies/mia.toml",
        "conformance standards list",
        "conformance completion bash > ~/.local/share/bash-completion/completions/"
        "conformance",
    ),
    ("validate",): _examples(
        "conformance validate person.json --standard person@1.1.0",
        "conformance validate payloads/ --standard person@1 --sarif results.sarif",
        "conformance validate record.xml              # standard by namespace",
        "conformance validate draft/ --schema draft/person.schema.json",
        "conformance validate payloads/ --standard person --format github",
        "conformance validate --mapped payloads/person/p1.json   # the pre-commit hook",
    ),
    ("run",): _examples(
        "conformance run                              # the bundled samples",
        "conformance run --agency agencies/mia.toml --reports-dir reports",
        "conformance run --agency agencies/ --level must --check-class core",
        "conformance run --agency mia.toml --waivers waivers.toml"
        " --max-should-failures 3",
        "conformance run --agency mia.toml --format github --sarif conformance.sarif",
        "conformance run --agency mia.toml --dry-run   # list the requests only",
    ),
    ("report",): _examples(
        "conformance report list",
        "conformance report render latest --format junit -o junit.xml",
        "conformance report gate latest --summary summary.md",
    ),
    ("report", "list"): _examples(
        "conformance report list --limit 5", "conformance report list --format json"
    ),
    ("report", "render"): _examples(
        "conformance report render latest                 # report.html",
        "conformance report render latest --format sarif -o conformance.sarif",
        "conformance report render run.json --format junit --format markdown"
        " --output-dir out",
    ),
    ("report", "merge"): _examples(
        "conformance report merge a/conformance-report.json"
        " b/conformance-report.json -o merged.json",
    ),
    ("report", "compare"): _examples(
        "conformance report compare previous latest",
        "conformance report compare old.json new.json --format markdown",
    ),
    ("report", "summary"): _examples(
        "conformance report summary latest -o summary.md",
        'conformance report summary latest >> "$GITHUB_STEP_SUMMARY"',
    ),
    ("report", "gate"): _examples(
        "conformance report gate latest --waivers waivers.toml",
        "conformance report gate merged.json --junit junit.xml --summary summary.md",
    ),
    ("report", "dashboard"): _examples(
        "conformance report dashboard", "conformance report dashboard --since latest~5"
    ),
    ("report", "import"): _examples(
        "conformance report import ci-artifacts/*/conformance-report.json"
    ),
    ("checks",): _examples("conformance checks list"),
    ("checks", "list"): _examples(
        "conformance checks list", "conformance checks list --format json"
    ),
    ("standards",): _examples(
        "conformance standards list", "conformance standards show person@1.1.0"
    ),
    ("standards", "list"): _examples("conformance standards list --format json"),
    ("standards", "show"): _examples(
        "conformance standards show person@1.1.0", "conformance standards show person"
    ),
    ("standards", "check"): _examples(
        "conformance standards check", "conformance standards check person@1.2.0"
    ),
    ("standards", "selftest"): _examples("conformance standards selftest person@1"),
    ("standards", "generate"): _examples(
        "conformance standards generate person@1.1.0 --count 3",
        "conformance standards generate person@1.1.0 --binding xml --kind invalid",
    ),
    ("standards", "lock"): _examples("conformance standards lock person@1.2.0"),
    ("standards", "diff"): _examples(
        "conformance standards diff person@1.2.0 person@1.3.0",
        "conformance standards diff person@1.2.0 person@1.3.0 --format html"
        " -o person-1.3.0-changes.html",
    ),
    ("serve",): _examples(
        "conformance serve                    # SQLite: reports/history.sqlite",
        "conformance serve --database postgresql://conformance@db:5432/conformance",
    ),
    ("serve", "tokens"): _examples(
        "conformance serve tokens issue mia --note 'GitLab CI'",
        "conformance serve tokens list",
    ),
    ("serve", "tokens", "issue"): _examples(
        "conformance serve tokens issue mia --note 'GitLab CI'"
    ),
    ("serve", "tokens", "list"): _examples("conformance serve tokens list mia"),
    ("serve", "tokens", "revoke"): _examples(
        "conformance serve tokens revoke mia --id 3"
    ),
    ("report", "push"): _examples(
        "conformance report push https://conformance.e-gov.az"
        "   # the token in $CONFORMANCE_TOKEN",
        "conformance report push https://conformance.e-gov.az"
        " --report ci/conformance-report.json",
    ),
    ("standards", "import"): _examples(
        "conformance standards import https://api.example.az/openapi.yaml"
        " --into standards/parcel/1.0.0",
    ),
    ("completion",): _examples(
        "conformance completion bash >"
        " ~/.local/share/bash-completion/completions/conformance",
        'eval "$(conformance completion bash)"          # in ~/.bashrc',
        'eval "$(conformance completion zsh)"           # in ~/.zshrc',
    ),
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop, and keep what was found."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


class _Parser(argparse.ArgumentParser):
    """argparse, with a suggestion for a mistyped option, command or choice."""

    def parse_args(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        namespace: argparse.Namespace | None = None,
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            # The usage and the suggestions of the subcommand the options were
            # given to, not of the whole command.
            where = _deepest(self, parsed)
            where.error(unrecognized(extras, where))
        return parsed

    def error(self, message: str) -> NoReturn:
        """Exit 2 with the message, and a did-you-mean for a mistyped choice."""
        found = _INVALID_CHOICE.search(message)
        if found:
            choices = re.findall(r"'([^']*)'", found.group(2))
            close = difflib.get_close_matches(found.group(1), choices, n=1)
            if not close:
                lowered = {c.lower(): c for c in choices}
                close = [lowered[k] for k in (found.group(1).lower(),) if k in lowered]
            if close:
                message += f"; did you mean {close[0]!r}?"
        super().error(message)


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


def unrecognized(extras: list[str], parser: argparse.ArgumentParser) -> str:
    """The error for arguments ``parser`` does not take, with suggestions."""
    known = [s for action in parser._actions for s in action.option_strings]
    shown = []
    for extra in extras:
        name = extra.split("=", 1)[0]
        close = (
            difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if extra.startswith("-")
            else []
        )
        shown.append(f"{extra} (did you mean {close[0]}?)" if close else extra)
    return f"unrecognized arguments: {' '.join(shown)}"


def _deepest(
    parser: argparse.ArgumentParser, parsed: argparse.Namespace
) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = getattr(parsed, action.dest, None)
            if chosen in action.choices:
                return _deepest(action.choices[chosen], parsed)
    return parser


def _global_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept the command's global options after any subcommand too.

    ``conformance validate x.json --registry R`` means what
    ``conformance --registry R validate x.json`` does. Each global option is
    declared again on every subcommand with no default of its own, so that
    given before the subcommand it is not overwritten by the subcommand's.
    """
    shared = [
        action
        for action in parser._actions
        if action.option_strings
        and not isinstance(action, argparse._HelpAction | argparse._VersionAction)
    ]
    for path, sub in walk(parser):
        if not path:
            continue
        group = sub.add_argument_group("global options (also before the command)")
        for action in shared:
            again = copy.copy(action)
            again.default = argparse.SUPPRESS
            group._add_action(again)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: every subcommand, option and example."""
    parser = _Parser(
        prog="conformance",
        description=(
            "Check payloads and services against the e-government data-exchange"
            " standards. Exit codes: 0 conformant, 1 non-conformant, 2 usage"
            " error, 3 incomplete (could not check everything)."
        ),
        epilog=_EXAMPLES[()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--registry",
        type=Path,
        metavar="PATH",
        help="a folder of your own standards, read beside the bundled ones"
        " (default: [tool.conformance] registry, $CONFORMANCE_REGISTRY, or the"
        " bundled registry alone)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show a traceback on internal errors"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output: auto (a terminal, unless NO_COLOR is set),"
        " always, never (default: auto)",
    )
    parser.add_argument(
        "--no-color", action="store_true", help="no colour (as --color never)"
    )
    commands: argparse._SubParsersAction[argparse.ArgumentParser]
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )

    validate = commands.add_parser(
        "validate",
        help="validate payload files, folders and JSON Lines files",
        description="Validate payload files (JSON, JSON Lines, XML; found by content)"
        " against a standard of the registry or a draft schema file. Exit code 0 only"
        " when every file conforms.",
    )
    validate.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="payload files and folders (searched for .json, .jsonl, .ndjson, .xml)",
    )
    source = validate.add_mutually_exclusive_group()
    source.add_argument(
        "--standard",
        metavar="REF",
        help="standard to validate against: person@1.1.0, person@1 or person"
        " (optional for XML: found from the root element's namespace)",
    )
    source.add_argument(
        "--mapped",
        action="store_true",
        help="validate each file against the standard its folder maps to in"
        " the repository's conformance_payloads (pytest's settings), leaving"
        " out files of no mapped folder: the pre-commit hook",
    )
    source.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="a JSON Schema (.json) or XSD (.xsd) outside any registry, e.g. a draft",
    )
    validate.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="text, the JSON report on standard output, or text with GitHub"
        " Actions annotations on each finding's line (default: text)",
    )
    validate.add_argument(
        "-v", "--verbose", action="store_true", help="list passing files too"
    )
    _limits(validate)
    add_options(validate.add_argument, JOBS)
    _report_options(validate)
    _sarif_option(validate)

    run = commands.add_parser(
        "run",
        help="the main job: check the agency profiles' targets, write reports",
        description="Check every target of the given agency profiles (default: the"
        " bundled sample agencies), record the run in the results history and"
        " write the reports into REPORTS_DIR: "
        + ", ".join(REPORT_FILES)
        + ", dashboard.html, and audit.log when a service is probed.",
    )
    run.add_argument(
        "--agency",
        action="append",
        type=Path,
        metavar="PROFILE",
        help="agency profile (TOML) or folder of profiles; repeatable",
    )
    run.add_argument(
        "--reports-dir",
        type=Path,
        metavar="DIR",
        help="where to write reports (default: reports)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="send nothing: list every request the service checks would send",
    )
    run.add_argument(
        "--audit-log",
        type=Path,
        metavar="FILE",
        help="where to log every request sent (default: REPORTS_DIR/audit.log)",
    )
    run.add_argument(
        "--format",
        choices=("text", "github"),
        default="text",
        help="text, or text with GitHub Actions annotations on each finding's"
        " line (default: text)",
    )
    _sarif_option(run)
    _selection(run)
    cli_report.add_run_options(run)
    _fuzzing(run)
    _limits(run)
    add_options(run.add_argument, JOBS)

    cli_report.add_parser(commands)
    server_commands.add_serve_parser(commands)

    checks = commands.add_parser("checks", help="the catalogue of service checks")
    checks_sub = checks.add_subparsers(dest="action", metavar="ACTION", required=True)
    checks_list = checks_sub.add_parser(
        "list", help="every check: id, level, requirement"
    )
    _format_option(checks_list)

    standards = commands.add_parser(
        "standards", help="list, show, check and self-test the registry"
    )
    sub = standards.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every standard and version with its status")
    _format_option(listing)
    show = sub.add_parser("show", help="one version: manifest, bindings, requirements")
    show.add_argument("ref", metavar="REF", help=_REF)
    _format_option(show)
    check = sub.add_parser(
        "check", help="check schemas, examples and the integrity of released versions"
    )
    check.add_argument("refs", nargs="*", metavar="REF", help=_REFS)
    _format_option(check)
    selftest = sub.add_parser(
        "selftest",
        help="generated documents: sound generators, agreeing bindings, compatibility",
    )
    selftest.add_argument("refs", nargs="*", metavar="REF", help=_REFS)
    _format_option(selftest)
    generate = sub.add_parser(
        "generate",
        help="generated documents of one version, to read what its schema admits",
    )
    generate.add_argument("ref", metavar="REF", help=_REF)
    generate.add_argument(
        "--binding",
        choices=("json", "xml"),
        default="json",
        help="JSON or XML documents (default: json)",
    )
    generate.add_argument(
        "--kind",
        choices=("valid", "invalid", "boundary"),
        default="valid",
        help="valid documents, invalid ones breaking one rule each, or the"
        " boundary cases at and past each limit of the JSON Schema",
    )
    generate.add_argument(
        "--count", type=int, default=5, metavar="N", help="how many (default: 5)"
    )
    generate.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="the same seed gives the same documents (default: a fixed one)",
    )
    _format_option(generate)
    changes = sub.add_parser(
        "diff",
        help="the changes between two versions, each breaking or compatible",
        description="List what changed from version A to version B of a"
        " standard (members, constraints, code lists, rules, operations), each"
        " breaking or compatible with its evidence. Exits 1 when B is a minor"
        " of A with a breaking change.",
    )
    changes.add_argument("old", metavar="A", help="the earlier version, person@1.1.0")
    changes.add_argument("new", metavar="B", help="the later version, person@1.2.0")
    changes.add_argument(
        "--format",
        choices=("text", "markdown", "html", "json"),
        default="text",
        help="text for people, markdown for a pull request, html for the"
        " executive group's approval page, json for machines (default: text)",
    )
    changes.add_argument(
        "--output", "-o", metavar="FILE", help="write to FILE instead of the terminal"
    )
    lock = sub.add_parser(
        "lock", help="record the hashes of released versions in integrity.json"
    )
    lock.add_argument(
        "refs", nargs="*", metavar="REF", help="released versions (default: all)"
    )
    importing = sub.add_parser(
        "import",
        help="copy a published OpenAPI document and those it refers to into a"
        " version folder, once (nothing is fetched afterwards)",
    )
    importing.add_argument(
        "source", metavar="SOURCE", help="an OpenAPI 3.0 or 3.1 file or http(s) URL"
    )
    importing.add_argument(
        "--into", type=Path, required=True, metavar="FOLDER", help="the version folder"
    )
    importing.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="HOST",
        help="a host (or host:port) a $ref may lead to; repeatable (a URL"
        " source's own host is always allowed)",
    )
    importing.add_argument(
        "--max-documents",
        type=int,
        metavar="N",
        help="stop after N documents (a $ref chain that never ends)",
    )
    importing.add_argument(
        "--max-document-bytes",
        type=int,
        metavar="N",
        help="refuse a document larger than N bytes",
    )

    completion = commands.add_parser(
        "completion",
        help="a shell completion script: conformance completion bash",
        description="Print a completion script for bash or zsh. Load it in the"
        " shell's start-up file, or install it where the shell finds completions.",
    )
    completion.add_argument(
        "shell", choices=("bash", "zsh"), help="the shell to complete in"
    )
    _global_everywhere(parser)
    for path, each in walk(parser):
        if path in _EXAMPLES:
            each.epilog = _EXAMPLES[path]
            each.formatter_class = argparse.RawDescriptionHelpFormatter
    return parser


_REF = "a standard version: person@1.1.0, person@1 (newest 1.x) or person"
_REFS = "standard versions, e.g. person@1.1.0 (default: every one)"


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people, json for machines (default: text)",
    )


def _sarif_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sarif",
        type=Path,
        metavar="FILE",
        help="also write the findings as SARIF 2.1.0 (for code scanning)",
    )


def _limits(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-bytes",
        type=int,
        metavar="N",
        help="largest single JSON or XML document read into memory (default 50 MB)",
    )
    parser.add_argument(
        "--max-findings",
        type=int,
        metavar="N",
        help="findings kept per file (one document or a JSON Lines file); the"
        " rest are counted (default 10000)",
    )


def _selection(parser: argparse.ArgumentParser) -> None:
    add_options(
        parser.add_argument_group("choosing service checks").add_argument, SELECTION
    )


def _fuzzing(parser: argparse.ArgumentParser) -> None:
    add_options(parser.add_argument_group("endpoint fuzzing").add_argument, FUZZING)


def _report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report", type=Path, metavar="FILE", help="write the JSON report"
    )
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``conformance`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # hypothesis keeps what it works out once (its character tables) in
    # ./.hypothesis by default: in the user's cache instead, never in the
    # folder a command runs in (a CI checkout); its own setting still wins.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(user_cache("hypothesis")))
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if args.command == "completion":
        from conformance.cli.completion import script

        sys.stdout.write(script(parser, args.shell))
        return EXIT_OK
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return _dispatch(args)
    except UsageError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConformanceError as exc:
        print(f"conformance: error: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except BrokenPipeError:
        # The reader went away (`conformance ... | head`): stop quietly.
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:  # the last line of defence
        print(
            f"conformance: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the suite; run again with --debug for the traceback"
            " and report it.",
            file=sys.stderr,
        )
        if args.debug:
            traceback.print_exc()
        return EXIT_INTERNAL


def _silence_stdout() -> None:
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _dispatch(args: argparse.Namespace) -> int:
    from conformance.engine.config import project_settings

    settings = project_settings()
    registry_path = args.registry or settings.get("registry")
    if args.command == "standards":
        from conformance.cli import standards as cli_standards

        return cli_standards.dispatch(args, registry_path)
    if args.command == "report":
        if args.action == "push":
            return server_commands.push(args)
        return cli_report.dispatch(args, registry_path, settings)
    if args.command == "serve":
        return server_commands.dispatch_serve(args, registry_path, settings)
    if args.command == "checks":
        from conformance.cli import standards as cli_standards

        return cli_standards.list_checks(args, registry_path)
    from conformance.cli import run as cli_run

    if args.command == "validate":
        return cli_run.validate(args, registry_path, settings)
    return cli_run.run(args, registry_path, settings)
