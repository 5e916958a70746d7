-- +goose Up
-- Per-user notification settings: one global row per user (no
-- group, no project) and one row per group or project the user chose a
-- setting for. No row means the default: participating globally, "global"
-- elsewhere. Event columns are tri-state: NULL is "use the default".
CREATE TABLE notification_settings (
    id                            INTEGER PRIMARY KEY,
    user_id                       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id                      INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    project_id                    INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    level                         INTEGER NOT NULL,
    notification_email            TEXT,
    new_release                   BOOLEAN,
    new_note                      BOOLEAN,
    new_issue                     BOOLEAN,
    reopen_issue                  BOOLEAN,
    close_issue                   BOOLEAN,
    reassign_issue                BOOLEAN,
    issue_due                     BOOLEAN,
    new_merge_request             BOOLEAN,
    push_to_merge_request         BOOLEAN,
    reopen_merge_request          BOOLEAN,
    close_merge_request           BOOLEAN,
    reassign_merge_request        BOOLEAN,
    change_reviewer_merge_request BOOLEAN,
    merge_merge_request           BOOLEAN,
    failed_pipeline               BOOLEAN,
    fixed_pipeline                BOOLEAN,
    success_pipeline              BOOLEAN,
    moved_project                 BOOLEAN,
    merge_when_pipeline_succeeds  BOOLEAN,
    approver                      BOOLEAN,
    new_epic                      BOOLEAN,
    created_at                    TIMESTAMP NOT NULL,
    updated_at                    TIMESTAMP NOT NULL,
    CHECK (group_id IS NULL OR project_id IS NULL)
);
-- Real foreign keys (rather than GitLab's polymorphic source) so a deleted
-- group or project takes its settings along and a reused ID inherits none.
CREATE UNIQUE INDEX notification_settings_global ON notification_settings (user_id) WHERE group_id IS NULL AND project_id IS NULL;
CREATE UNIQUE INDEX notification_settings_group ON notification_settings (user_id, group_id) WHERE group_id IS NOT NULL;
CREATE UNIQUE INDEX notification_settings_project ON notification_settings (user_id, project_id) WHERE project_id IS NOT NULL;
CREATE INDEX notification_settings_by_group ON notification_settings (group_id);
CREATE INDEX notification_settings_by_project ON notification_settings (project_id);

-- +goose Down
DROP TABLE notification_settings;
