"""Listeners: what happens to a run's results as the engine records them.

The engine tells each listener when a run starts, each result the moment it
is recorded, and the gate's decision when the run ends (complete or not).
The history records results as they arrive, so a run that is interrupted,
or killed, leaves its results behind, marked incomplete. A front end adds
its own listeners (a progress line) beside these.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from conformance.errors import ConformanceError, UsageError
from conformance.history import HistoryStore, Location, Recorder, open_history
from conformance.model import Result
from conformance.reporting.i18n import DEFAULT_LANGUAGE
from conformance.reporting.writers import WriterOptions, write_all, writer
from conformance.results.gating import GateDecision
from conformance.results.run import Run


def writable_folder(folder: Path, what: str) -> None:
    """Create ``folder`` if needed and prove a file can be written in it.

    A real write is tried (and removed), since permissions alone do not tell
    (a read-only mount, or root, who passes every permission check).
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(
            f"cannot write {what} to {folder}: {exc.strerror or exc}; name a"
            " writable folder with --reports-dir"
        ) from None


class Listener:
    """Told of one run as it happens; a subclass overrides what it needs."""

    def started(self, run: Run) -> None:
        """The run begins; its targets are known."""

    def recorded(self, run: Run, result: Result) -> None:
        """One result was added to the run."""

    def finished(self, run: Run, decision: GateDecision) -> None:
        """The run ended (see ``run.complete``); waivers and the gate applied."""

    def outputs(self) -> list[Path]:
        """Files this listener wrote, for the front end to list."""
        return []


class HistoryListener(Listener):
    """Records the run in the results history, then draws the dashboard.

    With ``strict`` a history that cannot be opened is an error before any
    check runs (the command line); without it the problem is kept in
    :attr:`problem` and the checks go on (pytest, whose tests have run and
    whose outcome stands).
    """

    def __init__(
        self,
        location: Location,
        *,
        dashboard: Path | None = None,
        lang: str = DEFAULT_LANGUAGE,
        strict: bool = True,
    ) -> None:
        self.location = location
        self.dashboard = dashboard
        self.lang = lang
        self.strict = strict
        self.problem: str | None = None
        self._store: HistoryStore | None = None
        self._recorder: Recorder | None = None
        self._written: list[Path] = []

    def started(self, run: Run) -> None:
        try:
            self._store = open_history(self.location)
        except (ConformanceError, OSError, sqlite3.Error) as exc:
            if self.strict:
                raise
            self.problem = str(exc)
            return
        self._recorder = Recorder(self._store, run)

    def recorded(self, run: Run, result: Result) -> None:
        if self._recorder is not None:
            self._recorder(result)

    def finished(self, run: Run, decision: GateDecision) -> None:
        if self._recorder is None or self._store is None:
            return
        self._recorder.finish()
        if self._recorder.broken:
            self.problem = self._recorder.broken
        elif self.dashboard is not None:
            # Jinja2 and the dashboard's charts, only for a run that draws it.
            from conformance.reporting.dashboard import write_dashboard

            write_dashboard(
                self._store, run.registry, self.dashboard, lang=self.lang, latest=run.id
            )
            self._written.append(self.dashboard)
        self._store.close()
        self._store = None

    def outputs(self) -> list[Path]:
        return list(self._written)

    def summary(self, run: Run) -> str:
        """One line: where the run was recorded, or why it was not."""
        if self.problem is not None:
            return f"the run was not recorded in the results history: {self.problem}"
        state = "" if run.complete else ", marked incomplete"
        return f"run {run.id} recorded in {self.location}{state}"


class ReportFiles(Listener):
    """Writes the run's reports when it ends: every format, or the ones named."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        files: dict[str, Path] | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.folder = folder
        self.files = files or {}
        self.options = WriterOptions(lang=lang)
        self._written: list[Path] = []

    def started(self, run: Run) -> None:
        # Found before any check runs, not after a long run with nowhere to go.
        folders = {p.parent for p in self.files.values()}
        if self.folder is not None:
            folders.add(self.folder)
        for folder in sorted(folders):
            writable_folder(folder, "reports")

    def finished(self, run: Run, decision: GateDecision) -> None:
        if self.folder is not None:
            self._written += write_all(run, self.folder, options=self.options)
        for name, path in self.files.items():
            writer(name)(run, path, self.options)
            self._written.append(path)

    def outputs(self) -> list[Path]:
        return list(self._written)
