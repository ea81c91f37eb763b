"""Report writers, looked up by format name (``json``, ``junit``, ``markdown``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError
from ..report import Run

Writer = Callable[[Run, Path], None]


def _json(run: Run, path: Path) -> None:
    from .json_report import write_json

    write_json(run, path)


def _junit(run: Run, path: Path) -> None:
    from .junit import write_junit

    write_junit(run, path)


def _markdown(run: Run, path: Path) -> None:
    from .markdown import write_markdown

    write_markdown(run, path)


WRITERS: dict[str, tuple[Writer, str]] = {
    "json": (_json, "conformance-report.json"),
    "junit": (_junit, "junit.xml"),
    "markdown": (_markdown, "summary.md"),
}


def writer(name: str) -> Writer:
    """The writer for a format name; a :class:`UsageError` lists the known ones."""
    try:
        return WRITERS[name][0]
    except KeyError:
        known = ", ".join(sorted(WRITERS))
        raise UsageError(f"unknown report format {name!r}; known: {known}") from None


def write_all(
    run: Run, folder: Path, formats: tuple[str, ...] = tuple(WRITERS)
) -> list[Path]:
    """Write the run in every named format into ``folder``; returns the paths."""
    paths = []
    for name in formats:
        write, filename = WRITERS[name]
        path = folder / filename
        write(run, path)
        paths.append(path)
    return paths
