-- +goose NO TRANSACTION
-- +goose Up
-- IDs of hooks, events, deliveries and log rows are never used again.
-- Without AUTOINCREMENT SQLite gives a new row the largest rowid plus one,
-- so deleting the newest hook handed its ID to the next hook created, in
-- any project, and a delivery of the deleted hook still on the wire
-- recorded its log row under the new one. SQLite cannot add AUTOINCREMENT
-- to a table, so each is rebuilt as SQLite's "ALTER TABLE" page says: with
-- foreign keys off (dropping a parent table would otherwise cascade to the
-- children), in one transaction, copy, drop, rename, recreate the indexes,
-- check the foreign keys, and turn them back on. (PostgreSQL's sequences
-- never hand out a value twice.)
-- +hooklab sqlite-only
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE hooks_new (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                      TEXT NOT NULL CHECK (kind IN ('ProjectHook', 'GroupHook', 'SystemHook')),
    project_id                INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    group_id                  INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    url                       BLOB NOT NULL,
    token                     BLOB,
    url_variables             BLOB,
    custom_headers            BLOB,
    name                      TEXT NOT NULL DEFAULT '',
    description               TEXT NOT NULL DEFAULT '',
    events                    BIGINT NOT NULL DEFAULT 0,
    push_events_branch_filter TEXT,
    branch_filter_strategy    TEXT NOT NULL DEFAULT 'wildcard',
    enable_ssl_verification   BOOLEAN NOT NULL DEFAULT TRUE,
    custom_webhook_template   TEXT NOT NULL DEFAULT '',
    recent_failures           INTEGER NOT NULL DEFAULT 0,
    disabled_until            TIMESTAMP,
    created_at                TIMESTAMP NOT NULL,
    updated_at                TIMESTAMP NOT NULL,
    CHECK ((kind = 'ProjectHook' AND project_id IS NOT NULL AND group_id IS NULL)
        OR (kind = 'GroupHook' AND group_id IS NOT NULL AND project_id IS NULL)
        OR (kind = 'SystemHook' AND project_id IS NULL AND group_id IS NULL))
);
INSERT INTO hooks_new (id, kind, project_id, group_id, url, token, url_variables, custom_headers, name, description,
    events, push_events_branch_filter, branch_filter_strategy, enable_ssl_verification, custom_webhook_template,
    recent_failures, disabled_until, created_at, updated_at)
SELECT id, kind, project_id, group_id, url, token, url_variables, custom_headers, name, description,
    events, push_events_branch_filter, branch_filter_strategy, enable_ssl_verification, custom_webhook_template,
    recent_failures, disabled_until, created_at, updated_at FROM hooks;
DROP TABLE hooks;
ALTER TABLE hooks_new RENAME TO hooks;
CREATE INDEX hooks_project ON hooks (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX hooks_group ON hooks (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX hooks_system ON hooks (kind) WHERE kind = 'SystemHook';

CREATE TABLE events_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid          TEXT NOT NULL,
    project_id    INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    group_id      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    root_group_id INTEGER,
    kind          TEXT NOT NULL,
    trigger_scope TEXT NOT NULL,
    payload       BLOB NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
INSERT INTO events_new (id, uuid, project_id, group_id, root_group_id, kind, trigger_scope, payload, created_at)
SELECT id, uuid, project_id, group_id, root_group_id, kind, trigger_scope, payload, created_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_uuid ON events (uuid, created_at);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE deliveries_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    hook_id         INTEGER NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
    idempotency_key TEXT NOT NULL,
    available_at    TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    payload_size    INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT
);
INSERT INTO deliveries_new (id, event_id, hook_id, idempotency_key, available_at, attempts, created_at, payload_size, lease_owner)
SELECT id, event_id, hook_id, idempotency_key, available_at, attempts, created_at, payload_size, lease_owner FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_new RENAME TO deliveries;
CREATE INDEX deliveries_due ON deliveries (available_at, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_hook ON deliveries (hook_id, available_at);
CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE hook_logs_new (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO hook_logs_new (id, hook_id, event_id, trigger_scope, url, url_hash, request_headers, request_data,
    response_status, response_headers, response_body, execution_duration, internal_error_message, idempotency_key, created_at)
SELECT id, hook_id, event_id, trigger_scope, url, url_hash, request_headers, request_data,
    response_status, response_headers, response_body, execution_duration, internal_error_message, idempotency_key, created_at
FROM hook_logs;
DROP TABLE hook_logs;
ALTER TABLE hook_logs_new RENAME TO hook_logs;
CREATE INDEX hook_logs_hook ON hook_logs (hook_id, created_at);
CREATE INDEX hook_logs_created ON hook_logs (created_at);
CREATE INDEX hook_logs_event ON hook_logs (event_id);

-- PRAGMA foreign_key_check, made to fail the migration (and roll it back)
-- when it finds a row: the copies must keep every reference as it was.
CREATE TEMP TABLE foreign_key_violations (n INTEGER NOT NULL CHECK (n = 0));
INSERT INTO foreign_key_violations SELECT count(*) FROM pragma_foreign_key_check;
DROP TABLE foreign_key_violations;

COMMIT;

PRAGMA foreign_keys = ON;
-- +hooklab end
-- PostgreSQL's sequences never hand out an ID twice: nothing to rebuild.
-- +hooklab postgres: SELECT 1;

-- +goose Down
-- IDs stay never reused: nothing to undo.
SELECT 1;
