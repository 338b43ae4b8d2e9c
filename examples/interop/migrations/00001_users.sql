-- +goose Up
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL,
    name text
);
CREATE UNIQUE INDEX users_email_idx ON users (email);
COMMENT ON TABLE users IS 'accounts; created by goose; dropped by its down';

-- +goose Down
DROP TABLE users;
