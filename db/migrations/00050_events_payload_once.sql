-- +goose Up
-- An event's payload is stored once, S2-compressed (db/blob.go); the copy
-- with e-mail values redacted that recent events show is derived from it
-- when a log row is read, instead of doubling what every publish writes.
ALTER TABLE events DROP COLUMN logged_payload;

-- +goose Down
ALTER TABLE events ADD COLUMN logged_payload BLOB NOT NULL DEFAULT X'';
