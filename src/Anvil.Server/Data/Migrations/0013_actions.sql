-- Per-user options of web actions (applications' "Skip last workfile"), keyed by the hash the addon
-- makes of user, action and context (`create_action_config_hash`), written and read by the addon host.
CREATE TABLE action_config (
    hash text PRIMARY KEY,
    addon_name text NOT NULL,
    addon_version text,
    identifier text NOT NULL,
    project_name text,
    user_name text,
    data jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

