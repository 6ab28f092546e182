-- Access groups: named permission sets (AYON's snake_case permission JSON in `data`).
-- Studio definitions live in `access_groups`; a project may override a group under the same name in
-- `project_access_groups` (a public table keyed by project and name, so a project's overrides go
-- with the project row: ON DELETE CASCADE).
CREATE TABLE access_groups (
    name       text PRIMARY KEY,
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE project_access_groups (
    project_name text NOT NULL REFERENCES projects (name) ON UPDATE CASCADE ON DELETE CASCADE,
    name         text NOT NULL,
    data         jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_name, name)
);

-- AYON's defaults for a studio without access groups.
INSERT INTO access_groups (name, data) VALUES
    ('supervisor', '{}'),
    ('artist', '{"create": {"enabled": true}, "delete": {"enabled": true}}'),
    ('freelancer', '{"create": {"enabled": true}, "delete": {"enabled": true}, "update": {"enabled": true},
                     "read": {"enabled": true, "access_list": [{"access_type": "assigned"}]},
                     "publish": {"enabled": true, "access_list": [{"access_type": "assigned"}]}}');
