"""Where the history lives: a location string to a database connection.

Two back ends, one set of queries. The schema and every query of the store
are portable SQL written with ``?`` placeholders; a back end runs them in
its own dialect:

- **SQLite** (the default, a file next to the reports): the queries as they
  are, through :mod:`sqlite3`;
- **PostgreSQL** (the executive group's central service,
  ``postgresql://user@host/db``): the same queries with ``%s`` placeholders,
  through psycopg 3, imported only when such a location is opened.

Both run in autocommit mode: the store opens its own transactions, so each
result is committed as it arrives.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse

from conformance.errors import UsageError

if TYPE_CHECKING:
    from psycopg import Connection
    from psycopg.rows import TupleRow

DEFAULT_NAME = "history.sqlite"
# Serialises migrations between processes opening one PostgreSQL database at
# once (any fixed 64-bit number; this one spells "cnfhist").
_MIGRATION_LOCK = 0x636E66686973


@dataclass(frozen=True, slots=True)
class Location:
    """A parsed history location."""

    scheme: str  # "sqlite" or "postgresql"
    path: Path | None
    text: str

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        return redact_url(self.text)


def redact_url(text: str) -> str:
    """A database URL without its password, for messages and pages."""
    url = urlparse(text)
    if url.password is None:
        return text
    netloc = url.netloc.replace(f":{url.password}@", ":***@", 1)
    return url._replace(netloc=netloc).geturl()


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
        return Location("postgresql", None, text)
    raise UsageError(
        f"history {redact_url(text)!r}: unknown kind of location {url.scheme!r};"
        " give a file path, sqlite:///path or postgresql://user@host/database"
    )


class _Cursor(Protocol):
    """What the store reads from a query: sqlite3's and psycopg's cursors alike."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Backend:
    """A SQLite connection and the dialect details the store needs."""

    kind = "sqlite"

    def __init__(self, connection: sqlite3.Connection, location: Location) -> None:
        self.connection = connection
        self.location = location

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> _Cursor:
        """Run one portable query (``?`` placeholders)."""
        return self.connection.execute(sql, params)

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open."""
        return bool(self.connection.in_transaction)

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        """Held while migrating; SQLite's own write lock is enough."""
        yield

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


class PostgresBackend(Backend):
    """A psycopg 3 connection running the same portable queries."""

    kind = "postgresql"

    def __init__(self, connection: Connection[TupleRow], location: Location) -> None:
        self.pg = connection
        self.location = location

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> _Cursor:
        """Run one portable query, its ``?`` turned into ``%s``."""
        # psycopg reads % as the start of a placeholder: a literal one (LIKE
        # '%x%') is doubled first. The store's queries hold no literal "?".
        text = sql.replace("%", "%%").replace("?", "%s")
        cursor: _Cursor = self.pg.execute(text, params)
        return cursor

    @property
    def in_transaction(self) -> bool:
        """True while a transaction is open (or failed and not rolled back)."""
        from psycopg import pq

        return bool(self.pg.info.transaction_status != pq.TransactionStatus.IDLE)

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        """A session advisory lock: one process migrates, the others wait."""
        self.pg.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            yield
        finally:
            self.pg.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

    def close(self) -> None:
        """Close the connection."""
        self.pg.close()


def database_errors() -> tuple[type[Exception], ...]:
    """The exceptions a back end raises for a database problem."""
    try:
        import psycopg
    except ImportError:  # the server extra is not installed: SQLite only
        return (sqlite3.Error,)
    return (sqlite3.Error, psycopg.Error)


def _database_error(location: Location, exc: Exception) -> UsageError:
    """What went wrong opening a history, said as a person can act on it."""
    text = str(exc)
    if location.scheme == "postgresql":
        return UsageError(
            f"cannot use the PostgreSQL results history {location}: {text.strip()};"
            " check that the server runs, the URL's user, host and database, and"
            " the user's rights"
        )
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
    if location.scheme == "postgresql":
        return _connect_postgres(location)
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
        # check_same_thread off: a server hands one store to its worker
        # threads, one at a time (it holds a lock around each use).
        connection = sqlite3.connect(
            str(path), isolation_level=None, timeout=30.0, check_same_thread=False
        )
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


def _connect_postgres(location: Location) -> Backend:
    try:
        import psycopg
    except ImportError:
        raise UsageError(
            f"history {location}: a PostgreSQL history needs psycopg 3; install"
            " the server extra: pip install 'egov-conformance[server]'"
        ) from None
    try:
        connection = psycopg.connect(location.text, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise _database_error(location, exc) from None
    return PostgresBackend(connection, location)
