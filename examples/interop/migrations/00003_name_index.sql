-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY users_name_idx ON users (name);

-- +goose Down
DROP INDEX CONCURRENTLY users_name_idx;
