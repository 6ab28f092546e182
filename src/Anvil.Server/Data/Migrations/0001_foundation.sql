-- Studio-wide key/value configuration (instance id, server config, ...).
CREATE TABLE config (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);

INSERT INTO config (key, value) VALUES ('instanceId', to_jsonb(replace(gen_random_uuid()::text, '-', '')));

-- Users. Roles, access groups and preferences live in `data` as in AYON; credentials do not:
-- the password hash has its own column and API keys their own table, so no query that returns
-- `data` can leak them.
CREATE TABLE users (
    name          text PRIMARY KEY,
    attrib        jsonb NOT NULL DEFAULT '{}',
    data          jsonb NOT NULL DEFAULT '{}',
    active        boolean NOT NULL DEFAULT true,
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_name_lower ON users (lower(name));

-- API keys, stored as SHA-256 of key and pepper (AYON's scheme, so keys survive a migration).
CREATE TABLE api_keys (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_name    text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    key_hash     text NOT NULL UNIQUE,
    preview      text NOT NULL,
    label        text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    last_used_at timestamptz
);

CREATE INDEX api_keys_user_name ON api_keys (user_name);
