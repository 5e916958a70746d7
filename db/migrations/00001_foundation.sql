-- +goose Up
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    state         TEXT NOT NULL DEFAULT 'active',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));
CREATE UNIQUE INDEX users_email ON users (lower(email));

-- Secondary e-mail addresses; the primary one lives in users.email.
CREATE TABLE emails (
    id                        INTEGER PRIMARY KEY,
    user_id                   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email                     TEXT NOT NULL,
    confirmed_at              TIMESTAMP,
    confirmation_token_digest TEXT,
    confirmation_sent_at      TIMESTAMP,
    created_at                TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX emails_email ON emails (lower(email));
CREATE UNIQUE INDEX emails_confirmation_token ON emails (confirmation_token_digest);

CREATE TABLE personal_access_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    expires_at   TIMESTAMP,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE,
    last_used_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    parent_id   INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    path        TEXT NOT NULL,
    full_path   TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX groups_parent ON groups (parent_id);

CREATE TABLE projects (
    id             INTEGER PRIMARY KEY,
    group_id       INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    path           TEXT NOT NULL,
    full_path      TEXT NOT NULL,
    full_name      TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    default_branch TEXT NOT NULL DEFAULT 'main',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX projects_group ON projects (group_id);

-- Groups and projects share one path space, as in GitLab: a subgroup and a
-- project in the same parent cannot have the same path.
CREATE TABLE routes (
    path        TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id   INTEGER NOT NULL
);
CREATE UNIQUE INDEX routes_path ON routes (lower(path));
CREATE UNIQUE INDEX routes_source ON routes (source_type, source_id);

CREATE TABLE members (
    id                   INTEGER PRIMARY KEY,
    source_type          TEXT NOT NULL,
    source_id            INTEGER NOT NULL,
    user_id              INTEGER REFERENCES users (id) ON DELETE CASCADE,
    access_level         INTEGER NOT NULL,
    invite_email         TEXT,
    invite_token_digest  TEXT UNIQUE,
    invite_email_success BOOLEAN NOT NULL DEFAULT TRUE,
    invite_failure       TEXT NOT NULL DEFAULT '',
    created_by_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    expires_at           TIMESTAMP
);
CREATE UNIQUE INDEX members_user ON members (source_type, source_id, user_id);
CREATE UNIQUE INDEX members_invite ON members (source_type, source_id, lower(invite_email));
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE application_settings (
    id                                                INTEGER PRIMARY KEY CHECK (id = 1),
    mailgun_events_enabled                            BOOLEAN NOT NULL DEFAULT FALSE,
    mailgun_signing_key                               BLOB,
    allow_local_requests_from_web_hooks_and_services  BOOLEAN NOT NULL DEFAULT FALSE,
    allow_local_requests_from_system_hooks            BOOLEAN NOT NULL DEFAULT TRUE,
    outbound_local_requests_allowlist                 TEXT NOT NULL DEFAULT '[]',
    push_event_hooks_limit                            INTEGER NOT NULL DEFAULT 3,
    web_hook_calls                                    INTEGER NOT NULL DEFAULT 0,
    webhook_timeout                                   INTEGER NOT NULL DEFAULT 10,
    project_hooks_limit                               INTEGER NOT NULL DEFAULT 100,
    group_hooks_limit                                 INTEGER NOT NULL DEFAULT 50,
    auto_disabling_web_hooks                          BOOLEAN NOT NULL DEFAULT TRUE,
    web_hook_test_limit                               INTEGER NOT NULL DEFAULT 5,
    web_hook_resend_limit                             INTEGER NOT NULL DEFAULT 5,
    hook_log_retention_days                           INTEGER NOT NULL DEFAULT 14,
    updated_at                                        TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE application_settings;
DROP TABLE members;
DROP TABLE routes;
DROP TABLE projects;
DROP TABLE groups;
DROP TABLE personal_access_tokens;
DROP TABLE emails;
DROP TABLE users;
