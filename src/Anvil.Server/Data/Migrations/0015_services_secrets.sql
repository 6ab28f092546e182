-- Services a service host (ASH) runs, the hosts that report to us, and the studio's secrets
-- (docs/services.md).

-- A service: one addon service (package.py `services`) to run on one host. `data` is what the host
-- needs to run it: the image from the package, and the admin's config (env, volumes, ports, ...).
CREATE TABLE services (
    name          text PRIMARY KEY,
    hostname      text NOT NULL,
    addon_name    text NOT NULL,
    addon_version text NOT NULL,
    service       text NOT NULL,
    should_run    boolean NOT NULL DEFAULT true,
    -- As the host last reported it, and when it last reported it running.
    is_running    boolean NOT NULL DEFAULT false,
    last_seen     timestamptz,
    data          jsonb NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX services_hostname ON services (hostname);

-- A service host, upserted by its heartbeat.
CREATE TABLE hosts (
    name      text PRIMARY KEY,
    last_seen timestamptz NOT NULL DEFAULT now(),
    health    jsonb NOT NULL DEFAULT '{}'
);

-- Secrets are stored encrypted (AES-256-GCM) with the server key (AYON_SECRETS_KEY): `sealed` is
-- nonce (12 bytes) + ciphertext + tag (16 bytes), bound to the name. `key_id` names the key that
-- sealed it (the first 16 hex digits of the SHA-256 of the key), so a rotation knows what is left.
CREATE TABLE secrets (
    name       text PRIMARY KEY,
    key_id     text NOT NULL,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
