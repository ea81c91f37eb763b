"""Where the history lives: a location string to a database connection.

Only SQLite is built in. The schema and every query are portable SQL with
``?`` placeholders, so a PostgreSQL backend for a central deployment is a
second :class:`Backend` (``%s`` placeholders, a psycopg connection) and no
change to the store; until it exists, a ``postgresql://`` location is a
usage error that says so.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from conformance.errors import UsageError

DEFAULT_NAME = "history.sqlite"


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed history location."""

    scheme: str  # "sqlite" (later "postgresql")
    path: Path | None
    text: str

    def __str__(self) -> str:
        return str(self.path) if self.path is not None else self.text


def parse_location(text: str | Path) -> Location:
    """``reports/history.sqlite``, ``sqlite:///abs/path.sqlite`` or a database URL."""
    if isinstance(text, Path):
        return Location("sqlite", text, str(text))
    if "://" not in text:
        return Location("sqlite", Path(text), text)
    url = urlparse(text)
    if url.scheme == "sqlite":
        # sqlite:///abs/path (three slashes) or sqlite://relative/path
        raw = unquote((url.netloc + url.path) if url.netloc else url.path)
        if not raw:
            raise UsageError(f"history {text!r}: name the file, sqlite:///path/file")
        return Location("sqlite", Path(raw), text)
    if url.scheme in ("postgresql", "postgres"):
        raise UsageError(
            f"history {text!r}: a PostgreSQL history is planned for a central"
            " deployment but not built yet; the schema and queries are portable"
            " (docs/reports.md). Use a SQLite file for now."
        )
    raise UsageError(
        f"history {text!r}: unknown kind of location {url.scheme!r}; give a file"
        " path or sqlite:///path"
    )


class Backend:
    """A connection and the dialect details the store needs."""

    placeholder = "?"

    def __init__(self, connection: sqlite3.Connection, location: Location) -> None:
        self.connection = connection
        self.location = location

    def sql(self, text: str) -> str:
        """A query written with ``?`` placeholders, in this backend's style."""
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open."""
        return bool(self.connection.in_transaction)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def _database_error(location: Location, exc: sqlite3.DatabaseError) -> UsageError:
    """What went wrong opening a history, said as a person can act on it."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and (
        "readonly" in text or "unable to open" in text or "read-only" in text
    ):
        return UsageError(
            f"cannot write the results history {location}: {text} (the file or"
            " its folder is read-only); name a writable place with --history"
            " or --reports-dir"
        )
    return UsageError(
        f"{location} is not a results history (a SQLite database): {text}; name"
        " another file with --history, or move this one away"
    )


def connect(location: Location) -> Backend:
    """Open (creating the file and its folder if needed) the database."""
    assert location.path is not None
    path = location.path
    if path.is_file() and path.stat().st_size == 0:
        # SQLite would take an empty file as a new database: the runs it held
        # would vanish without a word.
        raise UsageError(
            f"{path} is empty (0 bytes): it is not a results history, or it was"
            " truncated; restore it from a backup, or delete it to start a new"
            " history"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: the store opens its own transactions, so that each result
        # is committed as it arrives and an interruption loses none of them.
        connection = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        # WAL keeps readers (the dashboard) and a writer (a run) apart; commits
        # without a sync per result are enough against a process being stopped.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise _database_error(location, exc) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot open the results history: {exc}") from None
    return Backend(connection, location)
