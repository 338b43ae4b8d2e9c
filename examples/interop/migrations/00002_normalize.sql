-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION normalize_email(e text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    -- Semicolons inside the body; goose sends it as one statement.
    RETURN lower(trim(e));
END;
$$;
-- +goose StatementEnd
ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();

-- +goose Down
ALTER TABLE users DROP COLUMN created_at;
DROP FUNCTION normalize_email(text);
