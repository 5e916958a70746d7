-- +goose Up
-- Published events. payload is what receivers get (image URLs
-- already absolute); logged_payload is the same with e-mail values redacted,
-- as recent events show it, stored once per event instead of once per log
-- row. uuid is the X-Gitlab-Event-UUID: not unique, because a request that
-- carries one publishes under it again (recursion detection).
CREATE TABLE events (
    id             INTEGER PRIMARY KEY,
    uuid           TEXT NOT NULL,
    project_id     INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    group_id       INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    root_group_id  INTEGER,
    kind           TEXT NOT NULL,
    trigger_scope  TEXT NOT NULL,
    payload        BLOB NOT NULL,
    logged_payload BLOB NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX events_uuid ON events (uuid, created_at);
CREATE INDEX events_created ON events (created_at);

-- The outbox: one row per event and hook still to be sent. A worker claims
-- a due row by moving available_at past its lease; if it dies before
-- recording the outcome the row falls due again and is sent with the same
-- idempotency_key. The row goes when the outcome is recorded.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    hook_id         INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    available_at    TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (available_at, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_hook ON deliveries (hook_id);

-- One row per attempt. request_data NULL means the event's
-- logged_payload was sent unchanged.
CREATE TABLE hook_logs (
    id                     INTEGER PRIMARY KEY,
    hook_id                INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    event_id               INTEGER REFERENCES events (id) ON DELETE SET NULL,
    trigger_scope          TEXT NOT NULL,
    url                    TEXT NOT NULL,
    url_hash               TEXT NOT NULL,
    request_headers        TEXT NOT NULL,
    request_data           BLOB,
    response_status        TEXT NOT NULL,
    response_headers       TEXT NOT NULL,
    response_body          BLOB NOT NULL,
    execution_duration     REAL NOT NULL,
    internal_error_message TEXT NOT NULL DEFAULT '',
    idempotency_key        TEXT NOT NULL,
    created_at             TIMESTAMP NOT NULL
);
CREATE INDEX hook_logs_hook ON hook_logs (hook_id, created_at);
CREATE INDEX hook_logs_created ON hook_logs (created_at);
CREATE INDEX hook_logs_event ON hook_logs (event_id);

-- The newest real event of each kind per project: sample data for Test.
-- Pruning keeps the events referred to here.
CREATE TABLE sample_events (
    project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trigger_scope TEXT NOT NULL,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (project_id, trigger_scope)
);
CREATE INDEX sample_events_event ON sample_events (event_id);

-- When a top-level group last hit the web_hook_calls limit (§4.5), for the
-- warning on the hooks list.
CREATE TABLE hook_rate_limits (
    root_group_id INTEGER PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,
    limited_at    TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE hook_rate_limits;
DROP TABLE sample_events;
DROP TABLE hook_logs;
DROP TABLE deliveries;
DROP TABLE events;
