"""The ``conformance`` command: a thin layer over the library.

Exit codes: 0 conformant, 1 non-conformant, 2 usage error, 3 the run could
not check everything (an internal error, or a target that could not be
checked). Output for machines with ``--format json``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.cache import user_cache
from conformance.cli import report as cli_report
from conformance.cli.output import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from conformance.engine.flags import FUZZING, JOBS, SELECTION, add_options
from conformance.errors import ConformanceError, UsageError


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: stop, and keep what was found."""


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="conformance",
        description=(
            "Check payloads and services against the e-government data-exchange"
            " standards. Exit codes: 0 conformant, 1 non-conformant, 2 usage"
            " error, 3 incomplete (could not check everything)."
        ),
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="validate payload files, folders and JSON Lines files",
        description="Validate payload files (JSON, JSON Lines, XML; found by content)"
        " against a standard of the registry or a draft schema file. Exit code 0 only"
        " when every file conforms.",
    )
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    source = validate.add_mutually_exclusive_group()
    source.add_argument(
        "--standard",
        metavar="REF",
        help="standard to validate against: person@1.1.0, person@1 or person"
        " (optional for XML: found from the root element's namespace)",
    )
    source.add_argument(
        "--schema",
        type=Path,
        metavar="FILE",
        help="a JSON Schema (.json) or XSD (.xsd) outside any registry, e.g. a draft",
    )
    validate.add_argument("--format", choices=("text", "json"), default="text")
    validate.add_argument(
        "-v", "--verbose", action="store_true", help="list passing files too"
    )
    _limits(validate)
    add_options(validate.add_argument, JOBS)
    _report_options(validate)

    run = commands.add_parser(
        "run",
        help="the main job: check the agency profiles' targets, write reports",
        description="Check every target of the given agency profiles (default: the"
        " bundled sample agencies) and write the JSON, JUnit and Markdown reports.",
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
    _selection(run)
    cli_report.add_run_options(run)
    _fuzzing(run)
    _limits(run)

    cli_report.add_parser(commands)

    checks = commands.add_parser("checks", help="the catalogue of service checks")
    checks_sub = checks.add_subparsers(dest="action", metavar="ACTION", required=True)
    checks_list = checks_sub.add_parser(
        "list", help="every check: id, level, requirement"
    )
    checks_list.add_argument("--format", choices=("text", "json"), default="text")

    standards = commands.add_parser(
        "standards", help="list, show, check and self-test the registry"
    )
    sub = standards.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="every standard and version with its status")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    show = sub.add_parser("show", help="one version: manifest, bindings, requirements")
    show.add_argument("ref", metavar="REF")
    show.add_argument("--format", choices=("text", "json"), default="text")
    check = sub.add_parser(
        "check", help="check schemas, examples and the integrity of released versions"
    )
    check.add_argument("refs", nargs="*", metavar="REF")
    check.add_argument("--format", choices=("text", "json"), default="text")
    selftest = sub.add_parser(
        "selftest",
        help="generated documents: sound generators, agreeing bindings, compatibility",
    )
    selftest.add_argument("refs", nargs="*", metavar="REF")
    selftest.add_argument("--format", choices=("text", "json"), default="text")
    generate = sub.add_parser(
        "generate",
        help="generated documents of one version, to read what its schema admits",
    )
    generate.add_argument("ref", metavar="REF")
    generate.add_argument("--binding", choices=("json", "xml"), default="json")
    generate.add_argument(
        "--kind",
        choices=("valid", "invalid", "boundary"),
        default="valid",
        help="valid documents, invalid ones breaking one rule each, or the"
        " boundary cases at and past each limit of the JSON Schema",
    )
    generate.add_argument("--count", type=int, default=5, metavar="N")
    generate.add_argument(
        "--seed",
        type=int,
        default=None,
        metavar="N",
        help="the same seed gives the same documents (default: a fixed one)",
    )
    generate.add_argument("--format", choices=("text", "json"), default="text")
    lock = sub.add_parser(
        "lock", help="record the hashes of released versions in integrity.json"
    )
    lock.add_argument("refs", nargs="*", metavar="REF")
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
    importing.add_argument("--max-documents", type=int, metavar="N")
    importing.add_argument("--max-document-bytes", type=int, metavar="N")
    return parser


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
    parser = _parser()
    args = parser.parse_args(argv)
    # hypothesis keeps what it works out once (its character tables) in
    # ./.hypothesis by default: in the user's cache instead, never in the
    # folder a command runs in (a CI checkout); its own setting still wins.
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(user_cache("hypothesis")))
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
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
        return cli_report.dispatch(args, registry_path, settings)
    if args.command == "checks":
        from conformance.cli import standards as cli_standards

        return cli_standards.list_checks(args, registry_path)
    from conformance.cli import run as cli_run

    if args.command == "validate":
        return cli_run.validate(args, registry_path, settings)
    return cli_run.run(args, registry_path, settings)
