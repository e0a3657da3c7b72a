-- The roster store: scenarios, forecasts, roster versions, the change feed, the audit log,
-- vendor acknowledgements, API tokens and background jobs.

CREATE TABLE scenarios (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE forecasts (
    id           BIGSERIAL PRIMARY KEY,
    scenario_id  BIGINT REFERENCES scenarios (id),
    origin       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   TEXT NOT NULL
);

CREATE TABLE rosters (
    id           BIGSERIAL PRIMARY KEY,
    scenario_id  BIGINT REFERENCES scenarios (id),
    name         TEXT NOT NULL,
    head_version BIGINT,
    live_since   BIGINT,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE roster_versions (
    id          BIGSERIAL PRIMARY KEY,
    roster_id   BIGINT NOT NULL REFERENCES rosters (id),
    parent_id   BIGINT REFERENCES roster_versions (id),
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    plan        JSONB NOT NULL,
    summary     JSONB,
    reason      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX roster_versions_roster ON roster_versions (roster_id, id);

CREATE TABLE changes (
    id          BIGSERIAL PRIMARY KEY,
    roster_id   BIGINT NOT NULL REFERENCES rosters (id),
    version_id  BIGINT NOT NULL REFERENCES roster_versions (id),
    kind        TEXT NOT NULL,
    detail      JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    role    TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    before  JSONB,
    after   JSONB
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE vendor_acks (
    id           BIGSERIAL PRIMARY KEY,
    version_id   BIGINT NOT NULL REFERENCES roster_versions (id),
    vendor       TEXT NOT NULL,
    commitments  JSONB NOT NULL,
    acked_at     TIMESTAMPTZ NOT NULL,
    actor        TEXT NOT NULL
);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    hash        TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE jobs (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    params        JSONB NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress      TEXT NOT NULL DEFAULT '',
    result        JSONB,
    error         TEXT,
    worker        TEXT,
    heartbeat_ms  BIGINT,
    attempts      BIGINT NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    TEXT NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, id);
