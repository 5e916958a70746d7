-- +goose Up
-- Tokens of Mailgun webhooks already received, kept until their timestamp
-- is stale anyway, so that a captured request cannot be replayed.
CREATE TABLE mailgun_webhook_tokens (
    token_digest TEXT PRIMARY KEY,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX mailgun_webhook_tokens_expires ON mailgun_webhook_tokens (expires_at);

-- Every delivery failure Mailgun reported.
CREATE TABLE mailgun_failures (
    id          INTEGER PRIMARY KEY,
    recipient   TEXT NOT NULL,
    address     TEXT NOT NULL, -- lower-cased recipient, for filters
    severity    TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    code        TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    event_id    TEXT NOT NULL DEFAULT '',
    message_id  TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX mailgun_failures_received ON mailgun_failures (received_at);
CREATE INDEX mailgun_failures_address ON mailgun_failures (address);

-- Failures per recipient per UTC day.
CREATE TABLE mailgun_failure_counts (
    address   TEXT NOT NULL,
    day       TEXT NOT NULL, -- YYYY-MM-DD
    temporary INTEGER NOT NULL DEFAULT 0,
    permanent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (address, day)
);

-- Addresses whose daily counts passed a limit: notification e-mail to them
-- is skipped until an admin allows them again.
CREATE TABLE mailgun_failing_addresses (
    id        INTEGER PRIMARY KEY,
    address   TEXT NOT NULL UNIQUE,
    day       TEXT NOT NULL,
    temporary INTEGER NOT NULL,
    permanent INTEGER NOT NULL,
    marked_at TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE mailgun_failing_addresses;
DROP TABLE mailgun_failure_counts;
DROP TABLE mailgun_failures;
DROP TABLE mailgun_webhook_tokens;
