"""What the central service keeps beside the runs: tokens, pushes, the audit.

The tables come from migration ``0003_central.sql`` and live in the same
history (SQLite or PostgreSQL) as the runs they describe, so one database
holds everything and one transaction stores a pushed run with its record.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from conformance.errors import UsageError
from conformance.history.store import HistoryStore
from conformance.results.run import Run

TOKEN_PREFIX = "cst_"


def _now() -> str:
    return (
        dt.datetime.now(dt.UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


def token_digest(token: str) -> str:
    """The SHA-256 kept for a token (a token is random: no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An issued token, without the token itself."""

    id: str
    agency: str
    note: str | None
    created: str
    revoked: str | None


def issue_token(
    store: HistoryStore, agency: str, note: str | None = None
) -> tuple[str, TokenInfo]:
    """A new token for an agency: (the token, shown once; what is kept)."""
    if not agency or not agency.replace("-", "").replace("_", "").isalnum():
        raise UsageError(
            f"agency {agency!r}: an agency id is letters, digits, '-' and '_'"
            " (the id of its profile's [agency])"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    info = TokenInfo(
        id=uuid.uuid4().hex[:12], agency=agency, note=note, created=_now(), revoked=None
    )
    with store.transaction():
        store.execute(
            "INSERT INTO agency_tokens (id, agency, digest, note, created, revoked)"
            " VALUES (?, ?, ?, ?, ?, NULL)",
            (info.id, agency, token_digest(token), note, info.created),
        )
    return token, info


def list_tokens(store: HistoryStore, agency: str | None = None) -> list[TokenInfo]:
    """Issued tokens (of one agency), oldest first."""
    sql = "SELECT id, agency, note, created, revoked FROM agency_tokens"
    params: tuple[object, ...] = ()
    if agency:
        sql += " WHERE agency = ?"
        params = (agency,)
    rows = store.execute(sql + " ORDER BY created, id", params).fetchall()
    return [TokenInfo(*row) for row in rows]


def revoke_tokens(
    store: HistoryStore, agency: str, token_id: str | None = None
) -> list[str]:
    """Revoke an agency's tokens (or one of them); returns the ids revoked."""
    live = [t for t in list_tokens(store, agency) if t.revoked is None]
    chosen = [t for t in live if token_id is None or t.id == token_id]
    with store.transaction():
        for item in chosen:
            store.execute(
                "UPDATE agency_tokens SET revoked = ? WHERE id = ?", (_now(), item.id)
            )
    return [t.id for t in chosen]


def authenticate(store: HistoryStore, token: str) -> TokenInfo | None:
    """The live token a request presents, or ``None``.

    The lookup is by the token's SHA-256, then the stored digest is compared
    with :func:`hmac.compare_digest`: the time taken says nothing about how
    much of a guessed token was right.
    """
    if not token.startswith(TOKEN_PREFIX):
        return None
    digest = token_digest(token)
    row = store.execute(
        "SELECT id, agency, note, created, revoked, digest FROM agency_tokens"
        " WHERE digest = ?",
        (digest,),
    ).fetchone()
    if row is None or not hmac.compare_digest(str(row[5]), digest):
        return None
    info = TokenInfo(*row[:5])
    return None if info.revoked else info


@dataclass(frozen=True, slots=True)
class Push:
    """A stored run as it was pushed."""

    run_id: str
    agency: str
    token_id: str
    sha256: str
    size: int
    started: str
    received: str
    verdict: str


_PUSH_COLUMNS = "run_id, agency, token_id, sha256, size, started, received, verdict"


def store_push(
    store: HistoryStore,
    run: Run,
    *,
    agency: str,
    token_id: str,
    document: str,
    sha256: str,
) -> tuple[bool, Push]:
    """Store a pushed run once: (True, push) when new, (False, earlier) on a retry.

    The push's row and the run are written in one transaction; a push of the
    same run id racing this one waits for it and then finds the row.
    """
    started = run.started.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    push = Push(
        run_id=run.id,
        agency=agency,
        token_id=token_id,
        sha256=sha256,
        size=len(document.encode("utf-8")),
        started=started,
        received=_now(),
        verdict=run.verdict.value,
    )
    with store.transaction():
        inserted = store.execute(
            f"INSERT INTO pushes ({_PUSH_COLUMNS}, document)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING",
            (
                push.run_id,
                push.agency,
                push.token_id,
                push.sha256,
                push.size,
                push.started,
                push.received,
                push.verdict,
                document,
            ),
        )
        if inserted.rowcount == 1:
            store.begin(run)
            store.finish(run)
            return True, push
    earlier = find_push(store, run.id)
    assert earlier is not None
    return False, earlier


def find_push(store: HistoryStore, run_id: str) -> Push | None:
    """The push of one run."""
    row = store.execute(
        f"SELECT {_PUSH_COLUMNS} FROM pushes WHERE run_id = ?", (run_id,)
    ).fetchone()
    return Push(*row) if row else None


def push_by_sha256(store: HistoryStore, sha256: str) -> Push | None:
    """The push whose report has this SHA-256 (a certificate names it)."""
    row = store.execute(
        f"SELECT {_PUSH_COLUMNS} FROM pushes WHERE sha256 = ? ORDER BY received",
        (sha256.lower(),),
    ).fetchone()
    return Push(*row) if row else None


def pushes(
    store: HistoryStore, agency: str | None = None, limit: int | None = None
) -> list[Push]:
    """Stored pushes (of one agency), newest run first."""
    sql = f"SELECT {_PUSH_COLUMNS} FROM pushes"
    params: list[object] = []
    if agency is not None:
        sql += " WHERE agency = ?"
        params.append(agency)
    # Runs started in the same second: the one received last is the newer.
    sql += " ORDER BY started DESC, received DESC, run_id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [Push(*row) for row in store.execute(sql, tuple(params)).fetchall()]


def latest_pushes(store: HistoryStore) -> list[Push]:
    """Each agency's newest run, by agency id."""
    rows = store.execute(
        f"SELECT {_PUSH_COLUMNS} FROM pushes p WHERE p.run_id = ("
        " SELECT q.run_id FROM pushes q WHERE q.agency = p.agency"
        " ORDER BY q.started DESC, q.received DESC, q.run_id DESC LIMIT 1)"
        " ORDER BY p.agency"
    ).fetchall()
    return [Push(*row) for row in rows]


def count_pushes(store: HistoryStore) -> int:
    """How many runs were pushed."""
    row = store.execute("SELECT COUNT(*) FROM pushes").fetchone()
    return int(row[0])


def report_document(store: HistoryStore, run_id: str) -> str | None:
    """The report of a pushed run, byte for byte as it arrived."""
    row = store.execute(
        "SELECT document FROM pushes WHERE run_id = ?", (run_id,)
    ).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One push, accepted or refused."""

    id: str
    at: str
    agency: str | None
    token_id: str | None
    run_id: str | None
    status: int
    outcome: str
    detail: str | None
    remote: str | None


def audit(
    store: HistoryStore,
    *,
    status: int,
    outcome: str,
    agency: str | None = None,
    token_id: str | None = None,
    run_id: str | None = None,
    detail: str | None = None,
    remote: str | None = None,
) -> None:
    """Record what the service did with a push."""
    with store.transaction():
        store.execute(
            "INSERT INTO push_audit (id, at, agency, token_id, run_id, status,"
            " outcome, detail, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                _now(),
                agency,
                token_id,
                run_id,
                status,
                outcome,
                detail[:2000] if detail else None,
                remote,
            ),
        )


def audit_entries(store: HistoryStore, limit: int = 200) -> list[AuditEntry]:
    """The newest audit entries first."""
    rows = store.execute(
        "SELECT id, at, agency, token_id, run_id, status, outcome, detail, remote"
        " FROM push_audit ORDER BY at DESC, id LIMIT ?",
        (limit,),
    ).fetchall()
    return [AuditEntry(*row) for row in rows]
