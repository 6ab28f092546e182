-- Saved table layouts of the web UI (docs/web-ui.md): per view type (overview, versions, taskProgress,
-- lists, reviews, ...), in one project or studio-wide (project_name NULL). A working view is the one a
-- user's table saves into as they change it: at most one per user, view type and scope. The view
-- labelled `__base__` in a scope is what new working views of that scope start from.
CREATE TABLE views (
    id           text PRIMARY KEY,
    view_type    text NOT NULL,
    project_name text REFERENCES projects (name) ON UPDATE CASCADE ON DELETE CASCADE,
    label        text NOT NULL,
    owner        text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    visibility   text NOT NULL DEFAULT 'private' CHECK (visibility IN ('public', 'private')),
    working      boolean NOT NULL DEFAULT false,
    position     integer NOT NULL DEFAULT 0,
    settings     jsonb NOT NULL DEFAULT '{}',
    access       jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX views_scope ON views (view_type, project_name);
CREATE UNIQUE INDEX views_one_working ON views (owner, view_type, coalesce(project_name, '')) WHERE working;

-- The view a user opens a table with, per view type and scope ('' is studio-wide).
CREATE TABLE default_views (
    user_name    text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    view_type    text NOT NULL,
    project_name text NOT NULL DEFAULT '',
    view_id      text NOT NULL REFERENCES views (id) ON DELETE CASCADE,
    PRIMARY KEY (user_name, view_type, project_name)
);

-- A user's own picture (PNG or JPEG); without one the avatar is drawn from their initials.
CREATE TABLE user_avatars (
    user_name  text PRIMARY KEY REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    mime       text NOT NULL,
    data       bytea NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
