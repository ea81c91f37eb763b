-- The central service (conformance serve): agencies' push tokens, the reports
-- pushed, and the audit of every push, accepted or refused. Portable SQL, as
-- in 0001; ids are chosen by the application.

-- A token is kept only as its SHA-256: the token itself is shown once, when
-- it is issued, and cannot be read back from the database.
CREATE TABLE agency_tokens (
    id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    note TEXT,
    created TEXT NOT NULL,
    revoked TEXT
);

CREATE INDEX agency_tokens_by_agency ON agency_tokens (agency);

-- One row per stored run: the run id makes a retried push a no-op. The report
-- is kept byte for byte, so that a certificate's SHA-256 can be verified.
CREATE TABLE pushes (
    run_id TEXT PRIMARY KEY,
    agency TEXT NOT NULL,
    token_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    started TEXT NOT NULL,
    received TEXT NOT NULL,
    verdict TEXT NOT NULL,
    document TEXT NOT NULL
);

CREATE INDEX pushes_by_agency ON pushes (agency, started);
CREATE INDEX pushes_by_sha256 ON pushes (sha256);

-- Who pushed what, when, and what the service answered.
CREATE TABLE push_audit (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    agency TEXT,
    token_id TEXT,
    run_id TEXT,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT,
    remote TEXT
);

CREATE INDEX push_audit_by_time ON push_audit (at);
