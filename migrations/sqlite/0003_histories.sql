-- Volume histories uploaded through the API (POST /v1/histories?scenario=…): a stored scenario
-- never names a file on the server; its forecasts learn from a history stored here.
CREATE TABLE histories (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    scenario_id  INTEGER NOT NULL REFERENCES scenarios (id),
    origin       TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL
);
