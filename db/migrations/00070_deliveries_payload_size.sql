-- +goose Up
-- The size of the delivery's payload as sent (its event's body before
-- compression), so that a claim can keep the payloads the delivery engine
-- holds in memory within their bound without reading the events. Kept on
-- the outbox row, which is small, rather than after the event's blob,
-- which may span many pages. Deliveries stored before this column count
-- as 0, bounded by count alone.
ALTER TABLE deliveries ADD COLUMN payload_size INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE deliveries DROP COLUMN payload_size;
