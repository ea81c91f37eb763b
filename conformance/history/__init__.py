"""The results history: every run kept, for the dashboard and comparisons.

By default a SQLite file, ``history.sqlite`` in the reports folder; another
file with ``--history PATH`` (or ``sqlite:///PATH``), ``[tool.conformance]
history = "..."`` or ``$CONFORMANCE_HISTORY``. See docs/reports.md.

``conformance run`` records each result the moment it is added to the run
(:class:`Recorder`), so a run that is interrupted, or even killed, leaves
its results behind, marked incomplete.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from conformance.history.backend import (
    DEFAULT_NAME,
    Location,
    database_errors,
    parse_location,
)
from conformance.history.store import (
    HistoryStore,
    Migration,
    RunSummary,
    migrations,
    open_store,
)
from conformance.model import Result
from conformance.results.run import Run

ENV_VAR = "CONFORMANCE_HISTORY"

__all__ = [
    "DEFAULT_NAME",
    "ENV_VAR",
    "HistoryStore",
    "Location",
    "Migration",
    "Recorder",
    "RunSummary",
    "history_location",
    "migrations",
    "open_history",
]


def history_location(
    given: str | Path | None,
    reports_dir: Path,
    settings: Mapping[str, object] | None = None,
) -> Location:
    """Where the history is: the option, the setting, the variable, or the default."""
    # [tool.conformance] history is a string (a path made absolute, or a URL).
    configured = (settings or {}).get("history")
    chosen = (
        given
        or (str(configured) if configured else None)
        or os.environ.get(ENV_VAR)
        or reports_dir / DEFAULT_NAME
    )
    return parse_location(chosen)


def open_history(location: Location | str | Path) -> HistoryStore:
    """Open (or create) a history, migrated to the newest schema."""
    if not isinstance(location, Location):
        location = parse_location(location)
    return open_store(location)


class Recorder:
    """Records a run's results as they arrive; :meth:`finish` closes the run.

    Call it with each result right after it is added to the run (the
    engine's history listener does).

    A failure of the history (a full disk, a locked file) must not stop the
    checks: it is reported once on stderr and the run goes on, its reports
    written as usual.
    """

    def __init__(self, store: HistoryStore, run: Run) -> None:
        self.store = store
        self.run = run
        self.broken: str | None = None
        self._guard(lambda: store.begin(run))

    def __call__(self, result: Result) -> None:
        if self.broken:
            return
        seq = len(self.run.results) - 1
        subject = next(
            (t.standard for t in self.run.targets if t.id == result.target), None
        )
        self._guard(lambda: self.store.add_result(self.run.id, seq, result, subject))

    def finish(self) -> None:
        """Record the end of the run (complete or not) and everything missing."""
        if not self.broken:
            self._guard(lambda: self.store.finish(self.run))

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except database_errors() as exc:
            self.broken = str(exc)
            print(
                f"conformance: warning: the results history {self.store.location}"
                f" could not be written ({exc}); the reports are written as usual",
                file=sys.stderr,
            )
