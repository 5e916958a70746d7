-- +goose Up
-- A hook's Standard Webhooks signing token ("whsec_..."), sealed like the
-- secret token with the column name as additional data. NULL: deliveries
-- are not signed.
ALTER TABLE hooks ADD COLUMN signing_token BLOB;

-- +goose Down
ALTER TABLE hooks DROP COLUMN signing_token;
