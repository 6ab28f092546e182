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

-- Where each enroll queue stands (docs/events.md, "Keeping up"): a consumer is one kind of enroll
-- request (target topic, source topics, filter, ignored sender types, maxRetries, ignoreOlderThan);
-- every source event of it before `position` is done or can never be a job's source, so enroll starts
-- there instead of walking every done source from the oldest. Whatever can make such a source
-- eligible again (a job failed or restarted after it was done, a source updated, events deleted)
-- lowers the position in the same transaction and bumps `generation`, which makes a concurrent
-- advance computed before it a no-op.
CREATE TABLE enroll_cursors (
    consumer       text PRIMARY KEY,
    target_topic   text NOT NULL,
    source_topics  text[] NOT NULL DEFAULT '{}',   -- exact topics
    source_pattern text,                           -- or one LIKE pattern
    position_at    timestamptz NOT NULL DEFAULT '-infinity',
    position_order bigint NOT NULL DEFAULT 0,
    generation     bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    used_at        timestamptz NOT NULL DEFAULT now()
);
