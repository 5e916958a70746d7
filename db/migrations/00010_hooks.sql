-- +goose Up
-- Project, group and system hooks. The destination and every
-- secret that goes with it (url, token, url_variables, custom_headers) are
-- AES-256-GCM ciphertexts sealed with the column name as additional data;
-- url_variables and custom_headers hold a sealed JSON object. events is the
-- model.TriggerSet bit set, so fan-out can filter with events & bit <> 0.
-- recent_failures and disabled_until are the auto-disable state (§4.6):
-- the delivery engine updates them without touching updated_at, which
-- configuration updates use as their optimistic lock.
CREATE TABLE hooks (
    id                        INTEGER PRIMARY KEY,
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
CREATE INDEX hooks_project ON hooks (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX hooks_group ON hooks (group_id) WHERE group_id IS NOT NULL;
CREATE INDEX hooks_system ON hooks (kind) WHERE kind = 'SystemHook';

-- +goose Down
DROP TABLE hooks;
