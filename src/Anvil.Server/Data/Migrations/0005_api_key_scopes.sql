-- Scoped API keys: a key may be limited to some projects, to reading, and to its own request rate.
-- Every column narrows what the key's user may do; none widens it.
ALTER TABLE api_keys
    ADD COLUMN projects   text[],                                     -- null: every project the user may access
    ADD COLUMN read_only  boolean NOT NULL DEFAULT false,
    ADD COLUMN rate_limit integer CHECK (rate_limit >= 0);            -- requests per window, 0 unlimited; null: the server's default
