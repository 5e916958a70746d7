-- +goose Up
-- Claims go hook by hook: the hooks with pending deliveries are found by
-- walking this index, and each hook's due deliveries, oldest first, by
-- seeking in it. Before, one scan in due order could be filled by a
-- hanging hook's backlog and never reach the other hooks' deliveries.
DROP INDEX deliveries_hook;
CREATE INDEX deliveries_hook ON deliveries (hook_id, available_at);

-- +goose Down
DROP INDEX deliveries_hook;
CREATE INDEX deliveries_hook ON deliveries (hook_id);
