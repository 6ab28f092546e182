-- The tables of one project. Applied inside the transaction that creates the project, after
-- `CREATE SCHEMA project_<name>` and `SET LOCAL search_path TO project_<name>, public`, so every
-- name below lands in the project's schema. Dropping the schema removes all of it.

-- Anatomy lists: name, order, and the rest of each item as JSON (shortName, icon, color, ...).
CREATE TABLE folder_types (name text PRIMARY KEY, position integer NOT NULL, data jsonb NOT NULL DEFAULT '{}');
CREATE TABLE task_types   (name text PRIMARY KEY, position integer NOT NULL, data jsonb NOT NULL DEFAULT '{}');
CREATE TABLE statuses     (name text PRIMARY KEY, position integer NOT NULL, data jsonb NOT NULL DEFAULT '{}');
CREATE TABLE tags         (name text PRIMARY KEY, position integer NOT NULL, data jsonb NOT NULL DEFAULT '{}');
CREATE UNIQUE INDEX folder_types_name_lower ON folder_types (lower(name));
CREATE UNIQUE INDEX task_types_name_lower ON task_types (lower(name));
CREATE UNIQUE INDEX statuses_name_lower ON statuses (lower(name));
CREATE UNIQUE INDEX tags_name_lower ON tags (lower(name));

-- name = "<link_type>|<input_type>|<output_type>"
CREATE TABLE link_types (
    name        text PRIMARY KEY,
    link_type   text NOT NULL,
    input_type  text NOT NULL,
    output_type text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}'
);

CREATE TABLE thumbnails (
    id         uuid PRIMARY KEY,
    mime       text NOT NULL,
    data       bytea NOT NULL,
    meta       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Entities. Statuses and folder/task types are references with ON UPDATE CASCADE: renaming one in
-- the anatomy renames it on every entity in the same statement. Tags are free arrays (renamed
-- explicitly by the project save).
CREATE TABLE folders (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    label          text,
    folder_type    text REFERENCES folder_types (name) ON UPDATE CASCADE,
    parent_id      uuid REFERENCES folders (id) ON DELETE CASCADE,
    thumbnail_id   uuid REFERENCES thumbnails (id) ON DELETE SET NULL,
    -- Derived from the ancestors, kept current per subtree by FolderTree: "a/b/c", and the
    -- attributes children inherit (project and ancestors' values, with this folder's own on top).
    path            text NOT NULL DEFAULT '',
    exported_attrib jsonb NOT NULL DEFAULT '{}',
    attrib         jsonb NOT NULL DEFAULT '{}',
    data           jsonb NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    status         text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);
CREATE UNIQUE INDEX folders_unique_name ON folders (parent_id, lower(name)) WHERE active AND parent_id IS NOT NULL;
CREATE UNIQUE INDEX folders_unique_root_name ON folders (lower(name)) WHERE active AND parent_id IS NULL;
CREATE INDEX folders_parent_id ON folders (parent_id);
-- Subtrees: path ^@ 'a/b/' (the unique-name indexes below and elsewhere are partial, active rows
-- only: every parent column has a plain index too, for queries that do not filter on active).
CREATE INDEX folders_path ON folders USING spgist (path);

CREATE TABLE tasks (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    label          text,
    task_type      text NOT NULL REFERENCES task_types (name) ON UPDATE CASCADE,
    folder_id      uuid NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    thumbnail_id   uuid REFERENCES thumbnails (id) ON DELETE SET NULL,
    assignees      text[] NOT NULL DEFAULT '{}',
    attrib         jsonb NOT NULL DEFAULT '{}',
    data           jsonb NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    status         text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);
CREATE UNIQUE INDEX tasks_unique_name ON tasks (folder_id, lower(name)) WHERE active;
CREATE INDEX tasks_folder_id ON tasks (folder_id);

-- Product types are not references (AYON 1.13+): any name is accepted and recorded studio-wide.
CREATE TABLE products (
    id                uuid PRIMARY KEY,
    name              text NOT NULL,
    folder_id         uuid NOT NULL REFERENCES folders (id),
    product_type      text NOT NULL,
    product_base_type text,
    attrib            jsonb NOT NULL DEFAULT '{}',
    data              jsonb NOT NULL DEFAULT '{}',
    active            boolean NOT NULL DEFAULT true,
    status            text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags              text[] NOT NULL DEFAULT '{}',
    created_by        text,
    updated_by        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    creation_order    bigserial UNIQUE
);
CREATE UNIQUE INDEX products_unique_name ON products (folder_id, lower(name)) WHERE active;
CREATE INDEX products_folder_id ON products (folder_id);

CREATE TABLE versions (
    id             uuid PRIMARY KEY,
    version        integer NOT NULL,
    product_id     uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    task_id        uuid REFERENCES tasks (id) ON DELETE SET NULL,
    thumbnail_id   uuid REFERENCES thumbnails (id) ON DELETE SET NULL,
    author         text,
    attrib         jsonb NOT NULL DEFAULT '{}',
    data           jsonb NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    status         text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);
CREATE UNIQUE INDEX versions_unique_version ON versions (product_id, version) WHERE active;
CREATE UNIQUE INDEX versions_one_hero ON versions (product_id) WHERE version < 0;
CREATE INDEX versions_product_id ON versions (product_id);
CREATE INDEX versions_task_id ON versions (task_id);

CREATE TABLE representations (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    version_id     uuid NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    files          jsonb NOT NULL DEFAULT '[]',
    traits         jsonb,
    attrib         jsonb NOT NULL DEFAULT '{}',
    data           jsonb NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    status         text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);
CREATE UNIQUE INDEX representations_unique_name ON representations (version_id, lower(name)) WHERE active;
CREATE INDEX representations_version_id ON representations (version_id);

CREATE TABLE workfiles (
    id             uuid PRIMARY KEY,
    path           text NOT NULL UNIQUE,
    task_id        uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    thumbnail_id   uuid REFERENCES thumbnails (id) ON DELETE SET NULL,
    attrib         jsonb NOT NULL DEFAULT '{}',
    data           jsonb NOT NULL DEFAULT '{}',
    active         boolean NOT NULL DEFAULT true,
    status         text NOT NULL REFERENCES statuses (name) ON UPDATE CASCADE,
    tags           text[] NOT NULL DEFAULT '{}',
    created_by     text,
    updated_by     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);

-- Links between any two entities; ids are not references (the triggers below clean them when an entity is deleted).
CREATE TABLE links (
    id             uuid PRIMARY KEY,
    name           text,
    link_type      text NOT NULL REFERENCES link_types (name) ON UPDATE CASCADE ON DELETE CASCADE,
    input_id       uuid NOT NULL,
    output_id      uuid NOT NULL,
    author         text,
    data           jsonb NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    creation_order bigserial UNIQUE
);
CREATE INDEX links_input_id ON links (input_id);
CREATE INDEX links_output_id ON links (output_id);

-- A deleted entity's links go with it, cascaded deletes included (public.delete_entity_links, migration 0011).
CREATE TRIGGER folders_links AFTER DELETE ON folders REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();
CREATE TRIGGER tasks_links AFTER DELETE ON tasks REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();
CREATE TRIGGER products_links AFTER DELETE ON products REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();
CREATE TRIGGER versions_links AFTER DELETE ON versions REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();
CREATE TRIGGER representations_links AFTER DELETE ON representations REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();
CREATE TRIGGER workfiles_links AFTER DELETE ON workfiles REFERENCING OLD TABLE AS deleted_entities
    FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links();

-- The hierarchy's generation: bumped at commit by every transaction that writes folders or tasks
-- (public.bump_hierarchy_generation, migration 0016); GET /hierarchy reads it instead of the tables.
CREATE TABLE hierarchy_generation (
    single     boolean PRIMARY KEY DEFAULT true CHECK (single),
    epoch      uuid NOT NULL DEFAULT gen_random_uuid(),
    generation bigint NOT NULL DEFAULT 0
);
INSERT INTO hierarchy_generation DEFAULT VALUES;
CREATE CONSTRAINT TRIGGER folders_hierarchy_generation AFTER INSERT OR UPDATE OR DELETE ON folders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.bump_hierarchy_generation();
CREATE CONSTRAINT TRIGGER tasks_hierarchy_generation AFTER INSERT OR UPDATE OR DELETE ON tasks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.bump_hierarchy_generation();
-- Also while a bulk insert has the per-row triggers off (public.defer_foreign_keys, migration 0021).
ALTER TABLE folders ENABLE ALWAYS TRIGGER folders_hierarchy_generation;
ALTER TABLE tasks ENABLE ALWAYS TRIGGER tasks_hierarchy_generation;

-- A bulk insert's foreign keys, checked once for the statement's rows when public.defer_foreign_keys
-- turned the per-row checks off for it (migration 0021); otherwise these do nothing.
CREATE TRIGGER folders_deferred_foreign_keys AFTER INSERT ON folders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE folders ENABLE ALWAYS TRIGGER folders_deferred_foreign_keys;
CREATE TRIGGER tasks_deferred_foreign_keys AFTER INSERT ON tasks REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE tasks ENABLE ALWAYS TRIGGER tasks_deferred_foreign_keys;
CREATE TRIGGER products_deferred_foreign_keys AFTER INSERT ON products REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE products ENABLE ALWAYS TRIGGER products_deferred_foreign_keys;
CREATE TRIGGER versions_deferred_foreign_keys AFTER INSERT ON versions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE versions ENABLE ALWAYS TRIGGER versions_deferred_foreign_keys;
CREATE TRIGGER representations_deferred_foreign_keys AFTER INSERT ON representations REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE representations ENABLE ALWAYS TRIGGER representations_deferred_foreign_keys;
CREATE TRIGGER workfiles_deferred_foreign_keys AFTER INSERT ON workfiles REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
ALTER TABLE workfiles ENABLE ALWAYS TRIGGER workfiles_deferred_foreign_keys;
CREATE TRIGGER folders_truncated_hierarchy_generation AFTER TRUNCATE ON folders
    FOR EACH STATEMENT EXECUTE FUNCTION public.bump_hierarchy_generation();
CREATE TRIGGER tasks_truncated_hierarchy_generation AFTER TRUNCATE ON tasks
    FOR EACH STATEMENT EXECUTE FUNCTION public.bump_hierarchy_generation();

-- Per-user, per-site overrides of the project roots: data = {rootName: path}.
CREATE TABLE custom_roots (
    site_id   text NOT NULL,
    user_name text NOT NULL,
    data      jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (site_id, user_name)
);
