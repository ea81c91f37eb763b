"""The results history: runs, targets, results, findings, in a database.

The schema is versioned by numbered SQL files in ``migrations/``
(``0001_initial.sql``, ``0002_waivers.sql``, ...), applied in order, each in
its own transaction, and recorded in ``schema_migrations``. Opening a history
brings it to the newest schema; a history written by a newer suite is
refused rather than misread.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

from conformance import __version__
from conformance.errors import UsageError
from conformance.history.backend import (
    Backend,
    Location,
    _Cursor,
    _database_error,
    connect,
    database_errors,
)
from conformance.model import Finding, Outcome, Result, Severity, WaiverNote
from conformance.registry.standards import Registry
from conformance.results.report_io import requirement_for
from conformance.results.run import (
    RequirementRecord,
    Run,
    StandardProvenance,
    Target,
    level_of,
    to_document,
)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# A row of results as load() selects it: seq, id, title, kind, outcome,
# target, agency, standard, requirement, level, conformance_class, check_id,
# reason, duration, evidence, waiver.
_ResultRow = tuple[
    int,
    str,
    str,
    str,
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    float,
    str,
    str | None,
]


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema change."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The shipped migrations, in order."""
    folder = resources.files("conformance.history").joinpath("migrations")
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(
                Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8"))
            )
    return sorted(found, key=lambda m: m.version)


def _statements(sql: str) -> list[str]:
    # The migrations are ours: no semicolons inside literals, so a split on
    # ";" at the end of a line is exact.
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run as the history lists it."""

    id: str
    command: str
    started: dt.datetime
    finished: dt.datetime | None
    complete: bool
    verdict: str
    source: str | None
    total: int
    passed: int
    failed: int
    waived: int
    error: int

    @property
    def label(self) -> str:
        """A short name for charts and lists: the start time and the id's head."""
        return f"{self.started:%Y-%m-%d %H:%M} · {self.id[:8]}"


class HistoryStore:
    """One history database; see :func:`conformance.history.open_history`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.location: Location = backend.location
        self._depth = 0

    # -- schema ---------------------------------------------------------------

    def _execute(self, sql: str, params: tuple[object, ...] = ()) -> _Cursor:
        return self.backend.execute(sql, params)

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> _Cursor:
        """Run one portable query (``?`` placeholders) on either back end."""
        return self.backend.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; nested uses join the outer one.

        A caller (the central service's intake) can so make several of the
        store's writes one atomic step.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._execute("BEGIN")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            if self.backend.in_transaction:
                self._execute("ROLLBACK")
            raise
        self._depth = 0
        self._execute("COMMIT")

    _transaction = transaction

    def schema_version(self) -> int:
        """The newest migration applied (0 for an empty database)."""
        self._execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL)"
        )
        row = self._execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply the pending migrations (up to ``target``); return those applied."""
        with self.backend.migration_lock():
            return self._migrate(target)

    def _migrate(self, target: int | None) -> list[int]:
        shipped = migrations()
        newest = shipped[-1].version if shipped else 0
        current = self.schema_version()
        if current > newest:
            raise UsageError(
                f"{self.location}: the results history has schema version {current},"
                f" newer than this suite knows ({newest}); use a newer suite"
            )
        applied = []
        for migration in shipped:
            if migration.version <= current:
                continue
            if target is not None and migration.version > target:
                break
            with self._transaction():
                for statement in _statements(migration.sql):
                    self._execute(statement)
                self._execute(
                    "INSERT INTO schema_migrations (version, name, applied)"
                    " VALUES (?, ?, ?)",
                    (migration.version, migration.name, _iso(_now())),
                )
            applied.append(migration.version)
        return applied

    # -- writing --------------------------------------------------------------

    def begin(self, run: Run) -> None:
        """Record that a run started (incomplete until :meth:`finish`)."""
        with self._transaction():
            self._execute(
                "INSERT INTO runs (id, command, started, finished, complete,"
                " interruption, verdict, tool_version, registry_name,"
                " registry_base_uri, source, merged_from, recorded)"
                " VALUES (?, ?, ?, NULL, 0, NULL, NULL, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO NOTHING",
                (
                    run.id,
                    run.command,
                    _iso(run.started),
                    __version__,
                    run.registry.name,
                    run.registry.base_uri,
                    run.source,
                    json.dumps(run.merged_from) if run.merged_from else None,
                    _iso(_now()),
                ),
            )

    def add_result(
        self, run_id: str, seq: int, result: Result, subject: str | None = None
    ) -> None:
        """Record one result and its findings, in one transaction."""
        with self._transaction():
            self._insert_result(run_id, seq, result, subject)

    def _insert_result(
        self, run_id: str, seq: int, result: Result, subject: str | None
    ) -> None:
        evidence = result.evidence
        inserted = self._execute(
            "INSERT INTO results (run_id, seq, id, title, kind, outcome, target,"
            " agency, subject_standard, standard, requirement, level,"
            " conformance_class, check_id, reason, duration, evidence, waiver)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, seq) DO NOTHING",
            (
                run_id,
                seq,
                result.id,
                result.title,
                result.kind,
                result.outcome.value,
                result.target,
                evidence.get("agency") or _agency_of_target(result.target),
                subject or result.standard,
                result.standard,
                result.requirement.id if result.requirement else None,
                level_of(result),
                evidence.get("conformance_class"),
                evidence.get("check"),
                result.reason,
                result.duration,
                json.dumps(evidence, ensure_ascii=False, default=str),
                json.dumps(result.waiver.to_dict()) if result.waiver else None,
            ),
        )
        if inserted.rowcount == 0:
            return  # already recorded
        for index, finding in enumerate(result.findings):
            self._execute(
                "INSERT INTO findings (run_id, result_seq, seq, message, rule,"
                " severity, pointer, xpath, line, col, schema_location,"
                " requirement, standard)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    seq,
                    index,
                    finding.message,
                    finding.rule,
                    finding.severity.value,
                    finding.pointer,
                    finding.xpath,
                    finding.line,
                    finding.column,
                    finding.schema_location,
                    finding.requirement,
                    finding.standard,
                ),
            )

    def finish(self, run: Run) -> None:
        """Close a run: its end, verdict, targets, requirements and provenance.

        Results not yet recorded (the recorder was interrupted between two
        statements, or a whole run is being imported) are recorded here.
        Waivers are rewritten: they are applied after the run's checks.
        """
        if self._depth == 0 and self.backend.in_transaction:
            self._execute("ROLLBACK")  # an insert cut short by an interruption
        document = to_document(run)
        subjects = {t.id: t.standard for t in run.targets}
        with self._transaction():
            self._execute(
                "UPDATE runs SET finished = ?, complete = ?, interruption = ?,"
                " verdict = ?, source = ?, merged_from = ? WHERE id = ?",
                (
                    _iso(run.finished),
                    1 if run.complete else 0,
                    run.interruption,
                    run.verdict.value,
                    run.source,
                    json.dumps(run.merged_from) if run.merged_from else None,
                    run.id,
                ),
            )
            for seq, result in enumerate(run.results):
                self._insert_result(run.id, seq, result, subjects.get(result.target))
                self._execute(
                    "UPDATE results SET waiver = ? WHERE run_id = ? AND seq = ?",
                    (
                        json.dumps(result.waiver.to_dict()) if result.waiver else None,
                        run.id,
                        seq,
                    ),
                )
            for index, target in enumerate(run.targets):
                self._execute(
                    "INSERT INTO targets (run_id, id, seq, kind, agency, agency_name,"
                    " location, standard) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (run_id, id) DO NOTHING",
                    (
                        run.id,
                        target.id,
                        index,
                        target.kind,
                        target.agency,
                        target.agency_name,
                        target.location,
                        target.standard,
                    ),
                )
            for item in document["requirements"]:
                self._execute(
                    "INSERT INTO requirements (run_id, standard, id, level, text,"
                    " source) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (run_id, standard, id) DO NOTHING",
                    (
                        run.id,
                        item["standard"],
                        item["id"],
                        item["level"],
                        item["text"],
                        item["source"],
                    ),
                )
            for used in document["standards"]:
                self._execute(
                    "INSERT INTO standards_used (run_id, ref, status, owner, sunset,"
                    " files) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (run_id, ref) DO NOTHING",
                    (
                        run.id,
                        used["ref"],
                        used["status"],
                        used.get("owner"),
                        used.get("sunset"),
                        json.dumps(used["files"]),
                    ),
                )

    def save(self, run: Run) -> None:
        """Record a whole run at once (an imported report, a merged run)."""
        if self.has(run.id):
            raise UsageError(
                f"run {run.id} is already in the results history {self.location}"
            )
        self.begin(run)
        self.finish(run)

    # -- reading --------------------------------------------------------------

    def has(self, run_id: str) -> bool:
        """True when the run is recorded."""
        row = self._execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row is not None

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        """Recorded runs, newest first, with their counts."""
        sql = (
            "SELECT r.id, r.command, r.started, r.finished, r.complete, r.verdict,"
            " r.source,"
            " COUNT(x.seq),"
            " SUM(CASE WHEN x.outcome = 'passed' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN x.outcome = 'failed' THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN x.outcome = 'failed' AND x.waiver LIKE"
            ' \'%"status": "active"%\' THEN 1 ELSE 0 END),'
            " SUM(CASE WHEN x.outcome = 'error' THEN 1 ELSE 0 END)"
            " FROM runs r LEFT JOIN results x ON x.run_id = r.id"
            " GROUP BY r.id, r.command, r.started, r.finished, r.complete,"
            " r.verdict, r.source, r.recorded"
            " ORDER BY r.started DESC, r.recorded DESC"
        )
        params: tuple[object, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        summaries = []
        for row in self._execute(sql, params).fetchall():
            started = _time(row[2])
            assert started is not None
            summaries.append(
                RunSummary(
                    id=row[0],
                    command=row[1],
                    started=started,
                    finished=_time(row[3]),
                    complete=bool(row[4]),
                    # A run stopped hard never got its verdict: incomplete.
                    verdict=row[5] if row[5] and row[4] else "incomplete",
                    source=row[6],
                    total=int(row[7] or 0),
                    passed=int(row[8] or 0),
                    failed=int(row[9] or 0),
                    waived=int(row[10] or 0),
                    error=int(row[11] or 0),
                )
            )
        return summaries

    def resolve(self, reference: str) -> str:
        """A run id from ``latest``, ``previous``, ``latest~N``, an id or its start."""
        ref = reference.strip()
        shortcut = re.fullmatch(r"latest(?:~(\d+))?|previous", ref)
        if shortcut:
            back = 1 if ref == "previous" else int(shortcut[1] or 0)
            listed = self.runs(limit=back + 1)
            if len(listed) <= back:
                raise UsageError(
                    f"the results history {self.location} has {len(listed)} run(s);"
                    f" {ref!r} names none"
                )
            return listed[back].id
        if len(ref) >= 4 and re.fullmatch(r"[0-9a-fA-F-]+", ref):
            rows = self._execute(
                "SELECT id FROM runs WHERE id LIKE ?", (ref.lower() + "%",)
            ).fetchall()
            if len(rows) == 1:
                return str(rows[0][0])
            if len(rows) > 1:
                raise UsageError(
                    f"run {ref!r} is ambiguous in {self.location}: it starts"
                    f" {len(rows)} run ids; give more of the id"
                )
        raise UsageError(
            f"no run {ref!r} in the results history {self.location};"
            " `conformance report list` shows the runs"
        )

    def load(self, run_id: str, registry: Registry, *, evidence: bool = True) -> Run:
        """A recorded run as a :class:`Run`.

        Without ``evidence`` the results keep only the agency, check and
        class (enough to count and compare), which is much lighter for the
        dashboard's older runs.
        """
        row = self._execute(
            "SELECT id, command, started, finished, complete, interruption,"
            " source, merged_from FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise UsageError(f"no run {run_id!r} in the results history")
        recorded = {
            (r[0], r[1]): RequirementRecord(
                standard=r[0], id=r[1], level=r[2], text=r[3], source=r[4]
            )
            for r in self._execute(
                "SELECT standard, id, level, text, source FROM requirements"
                " WHERE run_id = ?",
                (run_id,),
            )
        }
        findings: dict[int, list[Finding]] = {}
        for f in self._execute(
            "SELECT result_seq, message, rule, severity, pointer, xpath, line, col,"
            " schema_location, requirement, standard FROM findings"
            " WHERE run_id = ? ORDER BY result_seq, seq",
            (run_id,),
        ):
            findings.setdefault(f[0], []).append(
                Finding(
                    message=f[1],
                    rule=f[2],
                    severity=Severity(f[3]),
                    pointer=f[4],
                    xpath=f[5],
                    line=f[6],
                    column=f[7],
                    schema_location=f[8],
                    requirement=f[9],
                    standard=f[10],
                )
            )
        results = [
            self._result(r, recorded, findings, registry, evidence)
            for r in self._execute(
                "SELECT seq, id, title, kind, outcome, target, agency, standard,"
                " requirement, level, conformance_class, check_id, reason,"
                " duration, evidence, waiver FROM results WHERE run_id = ?"
                " ORDER BY seq",
                (run_id,),
            )
        ]
        targets = [
            Target(
                id=t[0],
                kind=t[1],
                agency=t[2],
                agency_name=t[3],
                location=t[4],
                standard=t[5],
            )
            for t in self._execute(
                "SELECT id, kind, agency, agency_name, location, standard"
                " FROM targets WHERE run_id = ? ORDER BY seq",
                (run_id,),
            )
        ]
        provenance = [
            _provenance(*used)
            for used in self._execute(
                "SELECT ref, status, owner, sunset, files FROM standards_used"
                " WHERE run_id = ? ORDER BY ref",
                (run_id,),
            )
        ]
        started = _time(row[2])
        assert started is not None
        return Run(
            registry=registry,
            command=row[1],
            id=row[0],
            started=started,
            finished=_time(row[3]),
            complete=bool(row[4]),
            interruption=row[5] or (None if row[4] else "the run did not finish"),
            targets=targets,
            results=results,
            source=row[6],
            merged_from=json.loads(row[7]) if row[7] else [],
            provenance=provenance if row[3] else None,
            recorded_requirements=list(recorded.values()),
        )

    @staticmethod
    def _result(
        row: _ResultRow,
        recorded: dict[tuple[str, str], RequirementRecord],
        findings: dict[int, list[Finding]],
        registry: Registry,
        with_evidence: bool,
    ) -> Result:
        (seq, rid, title, kind, outcome, target, agency, standard, requirement_id,
         level, klass, check, reason, duration, evidence, waiver) = row  # fmt: skip
        requirement = None
        if requirement_id:
            requirement = requirement_for(
                registry, recorded, standard, requirement_id, level
            )
        if with_evidence:
            data = json.loads(evidence)
        else:
            data = {
                k: v
                for k, v in (
                    ("agency", agency),
                    ("check", check),
                    ("conformance_class", klass),
                )
                if v
            }
        return Result(
            id=rid,
            title=title,
            outcome=Outcome(outcome),
            target=target,
            standard=standard,
            requirement=requirement,
            findings=tuple(findings.get(seq, ())),
            reason=reason,
            evidence=data,
            duration=duration,
            kind=kind,
            waiver=WaiverNote.from_dict(json.loads(waiver)) if waiver else None,
        )

    def close(self) -> None:
        """Close the database."""
        self.backend.close()


def _provenance(
    ref: str, status: str, owner: str | None, sunset: str | None, files: str
) -> StandardProvenance:
    used = StandardProvenance(ref=ref, status=status, files=json.loads(files))
    if owner:
        used["owner"] = owner
    if sunset:
        used["sunset"] = sunset
    return used


def _agency_of_target(target: str) -> str | None:
    head, sep, _ = target.partition(":")
    return head if sep else None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def open_store(location: Location) -> HistoryStore:
    """Open a history and bring its schema up to date."""
    store = HistoryStore(connect(location))
    try:
        store.migrate()
    except database_errors() as exc:
        store.close()
        raise _database_error(location, exc) from None
    except BaseException:
        store.close()
        raise
    return store
