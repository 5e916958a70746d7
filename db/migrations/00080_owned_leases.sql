-- +goose Up
-- Each running delivery engine registers an instance and renews its
-- heartbeat every few seconds. A leased delivery names its owner: the
-- heartbeat renews the owner's leases while it holds them, an outcome is
-- recorded only while the lease is still the owner's, and the leases of an
-- instance that stopped renewing are taken over once they run out (at once,
-- on SQLite, by the next process to open the data directory).
CREATE TABLE instances (
    id           TEXT PRIMARY KEY,
    hostname     TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   TIMESTAMP NOT NULL,
    heartbeat_at TIMESTAMP NOT NULL
);

ALTER TABLE deliveries ADD COLUMN lease_owner TEXT;
CREATE INDEX deliveries_lease_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_lease_owner;
ALTER TABLE deliveries DROP COLUMN lease_owner;
DROP TABLE instances;
