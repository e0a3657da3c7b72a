-- The roster store: scenarios, forecasts, roster versions, the change feed, the audit log,
-- vendor acknowledgements, API tokens and background jobs.

CREATE TABLE scenarios (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE forecasts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario_id  INTEGER REFERENCES scenarios (id),
    origin       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL
);

CREATE TABLE rosters (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario_id  INTEGER REFERENCES scenarios (id),
    name         TEXT NOT NULL,
    head_version INTEGER,
    live_since   INTEGER,
    created_at   TEXT NOT NULL
);

CREATE TABLE roster_versions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    roster_id   INTEGER NOT NULL REFERENCES rosters (id),
    parent_id   INTEGER REFERENCES roster_versions (id),
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    plan        TEXT NOT NULL,
    summary     TEXT,
    reason      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX roster_versions_roster ON roster_versions (roster_id, id);

CREATE TABLE changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    roster_id   INTEGER NOT NULL REFERENCES rosters (id),
    version_id  INTEGER NOT NULL REFERENCES roster_versions (id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    before  TEXT,
    after   TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE vendor_acks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id   INTEGER NOT NULL REFERENCES roster_versions (id),
    vendor       TEXT NOT NULL,
    commitments  TEXT NOT NULL,
    acked_at     TEXT NOT NULL,
    actor        TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL,
    params        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress      TEXT NOT NULL DEFAULT '',
    result        TEXT,
    error         TEXT,
    worker        TEXT,
    heartbeat_ms  INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, id);
