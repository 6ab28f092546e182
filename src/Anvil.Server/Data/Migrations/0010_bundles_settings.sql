-- Bundles and settings overrides (docs/settings.md).
--
-- A bundle is a studio's release: which addon versions, which launcher and which dependency
-- packages. At most one production and one staging bundle; a dev bundle belongs to one user.
CREATE TABLE bundles (
    name          text PRIMARY KEY,
    data          jsonb NOT NULL DEFAULT '{}',   -- addons {name: version|null}, installerVersion, dependencyPackages {platform: filename}, addonDevelopment {name: {enabled, path}}
    is_production boolean NOT NULL DEFAULT false,
    is_staging    boolean NOT NULL DEFAULT false,
    is_dev        boolean NOT NULL DEFAULT false,
    is_project    boolean NOT NULL DEFAULT false,
    is_archived   boolean NOT NULL DEFAULT false,
    active_user   text REFERENCES users (name) ON UPDATE CASCADE ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX bundles_one_production ON bundles ((true)) WHERE is_production;
CREATE UNIQUE INDEX bundles_one_staging ON bundles ((true)) WHERE is_staging;

-- Overrides are sparse JSON: only what differs from the level below (or was pinned), per addon
-- version. A variant is 'production', 'staging' or the name of a dev bundle.
CREATE TABLE studio_settings (
    addon_name    text NOT NULL,
    addon_version text NOT NULL,
    variant       text NOT NULL,
    data          jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (addon_name, addon_version, variant)
);

CREATE TABLE project_settings (
    project_name  text NOT NULL REFERENCES projects (name) ON UPDATE CASCADE ON DELETE CASCADE,
    addon_name    text NOT NULL,
    addon_version text NOT NULL,
    variant       text NOT NULL,
    data          jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_name, addon_name, addon_version, variant)
);

-- A workstation's own settings (the addon's site-settings model), per user.
CREATE TABLE site_settings (
    addon_name    text NOT NULL,
    addon_version text NOT NULL,
    site_id       text NOT NULL,
    user_name     text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    data          jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (addon_name, addon_version, site_id, user_name)
);

-- A workstation's overrides of a project's settings (no variant, as AYON).
CREATE TABLE project_site_settings (
    project_name  text NOT NULL REFERENCES projects (name) ON UPDATE CASCADE ON DELETE CASCADE,
    addon_name    text NOT NULL,
    addon_version text NOT NULL,
    site_id       text NOT NULL,
    user_name     text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    data          jsonb NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_name, addon_name, addon_version, site_id, user_name)
);
