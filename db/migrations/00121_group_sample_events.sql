-- +goose Up
-- The newest group-level event (project, member, subgroup) of each kind
-- per group: sample data for Test of a group hook's project events, as
-- sample_events is for project events. Pruning keeps the events referred
-- to here.
CREATE TABLE group_sample_events (
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    trigger_scope TEXT NOT NULL,
    event_id      INTEGER NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (group_id, trigger_scope)
);
CREATE INDEX group_sample_events_event ON group_sample_events (event_id);

-- +goose Down
DROP TABLE group_sample_events;
