-- The results history: every run, its targets, its results and their findings.
-- Portable SQL (SQLite and PostgreSQL): TEXT, INTEGER and REAL columns only,
-- times as ISO 8601 text in UTC, booleans as 0/1, JSON as text, keys chosen by
-- the application (run ids are UUIDs), no AUTOINCREMENT or SERIAL.

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    interruption TEXT,
    verdict TEXT,
    tool_version TEXT NOT NULL,
    registry_name TEXT,
    registry_base_uri TEXT,
    source TEXT,
    merged_from TEXT,
    recorded TEXT NOT NULL
);

CREATE INDEX runs_by_start ON runs (started);

CREATE TABLE targets (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    agency TEXT,
    agency_name TEXT,
    location TEXT,
    standard TEXT,
    PRIMARY KEY (run_id, id)
);

CREATE TABLE results (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL,
    target TEXT NOT NULL,
    agency TEXT,
    subject_standard TEXT,
    standard TEXT,
    requirement TEXT,
    level TEXT,
    conformance_class TEXT,
    check_id TEXT,
    reason TEXT,
    duration REAL NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE INDEX results_by_id ON results (id, run_id);
CREATE INDEX results_by_agency ON results (agency, subject_standard);

CREATE TABLE findings (
    run_id TEXT NOT NULL,
    result_seq INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    message TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    pointer TEXT,
    xpath TEXT,
    line INTEGER,
    col INTEGER,
    schema_location TEXT,
    requirement TEXT,
    standard TEXT,
    PRIMARY KEY (run_id, result_seq, seq),
    FOREIGN KEY (run_id, result_seq) REFERENCES results (run_id, seq) ON DELETE CASCADE
);

-- The requirement texts a run cited, as they were then.
CREATE TABLE requirements (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    standard TEXT NOT NULL,
    id TEXT NOT NULL,
    level TEXT NOT NULL,
    text TEXT NOT NULL,
    source TEXT NOT NULL,
    PRIMARY KEY (run_id, standard, id)
);

-- The standard versions a run used, with their status and file hashes then.
CREATE TABLE standards_used (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    ref TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    sunset TEXT,
    files TEXT NOT NULL,
    PRIMARY KEY (run_id, ref)
);
