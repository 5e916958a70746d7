-- +goose Up
-- Account lockout as GitLab's: failed sign-ins in a row since the last
-- successful one, and when the account was locked (NULL: not locked). A
-- lock ends by itself after a while, or when an administrator unlocks.
ALTER TABLE users ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at TIMESTAMP;

-- +goose Down
ALTER TABLE users DROP COLUMN locked_at;
ALTER TABLE users DROP COLUMN failed_attempts;
