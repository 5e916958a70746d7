-- +goose Up
-- Fixed-window counters for the limits that must hold across every
-- instance serving one database (Test and Resend per user, sign-ins per
-- address, web_hook_calls per top-level group). A row is one key's count
-- in one window; old windows are pruned with the logs.
CREATE TABLE rate_limit_counters (
    key          TEXT      NOT NULL,
    window_start TIMESTAMP NOT NULL,
    count        INTEGER   NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- +goose Down
DROP TABLE rate_limit_counters;
