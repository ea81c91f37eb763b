"""Report writers, looked up by format name.

``json`` (the ``conformance-report`` standard), ``junit``, ``markdown``,
``html`` (the run report for reviewers), ``earl`` (W3C EARL, as TEAM Engine
writes it), ``tar`` (the EU Interoperability Test Bed's TAR) and
``traceability`` (CSV: requirements to checks and results) and ``sarif``
(SARIF 2.1.0, for code scanning).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance.errors import ConformanceError, UsageError
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.results.run import Run


@dataclass(frozen=True, slots=True)
class WriterOptions:
    """Options some formats use: the language the HTML page opens in."""

    lang: str = DEFAULT_LANGUAGE


Writer = Callable[..., None]

# Each writer is imported when its format is written, not here: every command
# that may write a report loads this module, and importing the writers costs
# ~35 ms for the HTML one (Jinja2), ~70 ms for the traceability matrix (it
# reads the checks catalogue, which loads the HTTP client), ~7 ms for EARL
# and ~6 ms for the other four together.


def _json(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.json_report import write_json

    write_json(run, path)


def _junit(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.junit import write_junit

    write_junit(run, path)


def _markdown(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.markdown import write_markdown

    write_markdown(run, path)


def _html(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.html import write_html

    write_html(run, path, lang=(options or WriterOptions()).lang)


def _earl(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.earl import write_earl

    write_earl(run, path)


def _tar(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.tar import write_tar

    write_tar(run, path)


def _traceability(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.traceability import write_traceability

    write_traceability(run, path)


def _sarif(run: Run, path: Path, options: WriterOptions | None = None) -> None:
    from conformance.reporting.writers.sarif import write_sarif

    write_sarif(run, path)


WRITERS: dict[str, tuple[Writer, str]] = {
    "json": (_json, "conformance-report.json"),
    "junit": (_junit, "junit.xml"),
    "markdown": (_markdown, "summary.md"),
    "html": (_html, "report.html"),
    "earl": (_earl, "earl-results.rdf"),
    "tar": (_tar, "tar.xml"),
    "traceability": (_traceability, "traceability.csv"),
    "sarif": (_sarif, "conformance.sarif"),
}


def writer(name: str) -> Writer:
    """The writer for a format name; a :class:`UsageError` lists the known ones."""
    try:
        return WRITERS[name][0]
    except KeyError:
        known = ", ".join(sorted(WRITERS))
        raise UsageError(f"unknown report format {name!r}; known: {known}") from None


class ReportsNotWritten(ConformanceError):
    """Some reports of a run could not be written; every other one was.

    A report that failed is not left behind from an earlier run: its file
    is removed (or, when that fails too, the message says it is stale).
    ``failures`` holds, for each, the path, the reason and whether a stale
    file is left there.
    """

    def __init__(
        self, written: list[Path], failures: list[tuple[Path, str, bool]]
    ) -> None:
        self.written = written
        self.failures = failures
        parts = []
        for path, reason, stale in failures:
            left = (
                "the file there is an earlier run's and could not be removed"
                if stale
                else "no earlier report is left there"
            )
            parts.append(f"{path}: {reason} ({left})")
        shown = ", ".join(p.name for p in written) or "none"
        super().__init__(
            f"{len(failures)} report(s) not written: {'; '.join(parts)};"
            f" the other reports were written: {shown}"
        )


def write_all(
    run: Run,
    folder: Path,
    formats: tuple[str, ...] = tuple(WRITERS),
    options: WriterOptions | None = None,
) -> list[Path]:
    """Write the run in every named format into ``folder``; returns the paths.

    A writer that fails does not stop the others: each is tried, then
    :class:`ReportsNotWritten` names the ones that failed and why, and
    their files are gone, so no report of an earlier run passes for this
    one's.
    """
    paths = []
    failures: list[tuple[Path, str, bool]] = []
    first: Exception | None = None
    for name in formats:
        write, filename = WRITERS[name]
        path = folder / filename
        try:
            write(run, path, options)
        except Exception as exc:  # any writer, any reason: the others go on
            first = first or exc
            failures.append((path, f"{type(exc).__name__}: {exc}", _stale(path)))
            continue
        paths.append(path)
    if failures:
        raise ReportsNotWritten(paths, failures) from first
    return paths


def _stale(path: Path) -> bool:
    """Remove an earlier report at ``path``; True when one is left there."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        return path.is_file()
    return False
