-- +goose Up
-- Server-side sessions: the cookie carries a random session ID, this table
-- the SHA-256 digest of it, so that signing out, blocking a user or
-- changing a password ends sessions for good, and the user can list and
-- revoke them (Active sessions).
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a stale Revoke form cannot reach a newer session
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_digest TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

-- +goose Down
DROP TABLE sessions;
