-- Projects: one row each here, everything else in the project's own schema `project_<name>`
-- (Data/Schema/project.sql). Names and codes are unique regardless of case.
CREATE TABLE projects (
    name       text PRIMARY KEY,
    code       text NOT NULL,
    label      text,
    library    boolean NOT NULL DEFAULT false,
    active     boolean NOT NULL DEFAULT true,
    config     jsonb NOT NULL DEFAULT '{}',
    attrib     jsonb NOT NULL DEFAULT '{}',
    data       jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX projects_name_lower ON projects (lower(name));
CREATE UNIQUE INDEX projects_code_lower ON projects (lower(code));

-- Anatomy presets. The built-in anatomy is not a row: it is code (Features/Anatomy/builtin-anatomy.json).
CREATE TABLE anatomy_presets (
    name       text PRIMARY KEY,
    version    text NOT NULL DEFAULT '1.0.0',
    is_primary boolean NOT NULL DEFAULT false,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX anatomy_presets_name_lower ON anatomy_presets (lower(name));
CREATE UNIQUE INDEX anatomy_presets_one_primary ON anatomy_presets (is_primary) WHERE is_primary;

-- Studio-wide product types (appearance of each type; new types are added as products use them).
CREATE TABLE product_types (
    name text PRIMARY KEY,
    data jsonb NOT NULL DEFAULT '{}'
);

INSERT INTO product_types (name, data) VALUES
    ('image',     '{"icon": "imagesmode",     "color": "#3b8bd9"}'),
    ('render',    '{"icon": "photo_library",  "color": "#3b8bd9"}'),
    ('review',    '{"icon": "photo_library",  "color": "#3b8bd9"}'),
    ('plate',     '{"icon": "camera_roll",    "color": "#3b8bd9"}'),
    ('camera',    '{"icon": "videocam",       "color": "#d3a92f"}'),
    ('model',     '{"icon": "view_in_ar",     "color": "#d3a92f"}'),
    ('texture',   '{"icon": "texture",        "color": "#d3a92f"}'),
    ('look',      '{"icon": "ev_shadow",      "color": "#d3a92f"}'),
    ('rig',       '{"icon": "accessibility",  "color": "#d3a92f"}'),
    ('animation', '{"icon": "directions_run", "color": "#d3a92f"}'),
    ('cache',     '{"icon": "animation",      "color": "#d3a92f"}'),
    ('layout',    '{"icon": "nature_people",  "color": "#d3a92f"}'),
    ('setdress',  '{"icon": "forest",         "color": "#d3a92f"}'),
    ('workfile',  '{"icon": "home_repair_service", "color": "#ff8040"}');

-- The attribute library: which attributes entities of each scope carry, their types and defaults.
-- `data` holds the definition in AYON's camelCase keys (type, title, default, enum, inherit, ...).
CREATE TABLE attributes (
    name     text PRIMARY KEY,
    position integer NOT NULL,
    scope    text[] NOT NULL,
    builtin  boolean NOT NULL DEFAULT false,
    data     jsonb NOT NULL
);

INSERT INTO attributes (name, position, scope, builtin, data) VALUES
    ('priority', 0, '{project,folder,task}', true, '{"type": "string", "title": "Priority", "default": "normal", "example": "normal", "enum": [
        {"value": "urgent", "label": "Urgent", "color": "#ff2a2a", "icon": "keyboard_double_arrow_up"},
        {"value": "high", "label": "High", "color": "#ff9b0a", "icon": "keyboard_arrow_up"},
        {"value": "normal", "label": "Normal", "color": "#9e9e9e", "icon": "check_indeterminate_small"},
        {"value": "low", "label": "Low", "color": "#7fb3ff", "icon": "keyboard_arrow_down"}]}'),
    ('fps', 1, '{project,folder,version,representation,task}', true, '{"type": "float", "title": "FPS", "default": 25, "example": 25, "gt": 0}'),
    ('resolutionWidth', 2, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Width", "default": 1920, "example": 1920, "gt": 0, "lt": 50000}'),
    ('resolutionHeight', 3, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Height", "default": 1080, "example": 1080, "gt": 0, "lt": 50000}'),
    ('pixelAspect', 4, '{project,folder,version,representation,task}', true, '{"type": "float", "title": "Pixel aspect", "default": 1.0, "example": 1.0, "gt": 0}'),
    ('clipIn', 5, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Clip in", "default": 1, "example": 1}'),
    ('clipOut', 6, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Clip out", "default": 1, "example": 1}'),
    ('frameStart', 7, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Start frame", "default": 1001, "example": 1001}'),
    ('frameEnd', 8, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "End frame", "default": 1001, "example": 1001}'),
    ('handleStart', 9, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Handle start", "default": 0, "example": 0}'),
    ('handleEnd', 10, '{project,folder,version,representation,task}', true, '{"type": "integer", "title": "Handle end", "default": 0, "example": 0}'),
    ('fullName', 11, '{user}', true, '{"type": "string", "title": "Full name", "example": "Jane Doe"}'),
    ('email', 12, '{user}', true, '{"type": "string", "title": "E-Mail", "example": "jane.doe@example.com"}'),
    ('avatarUrl', 13, '{user}', true, '{"type": "string", "title": "Avatar URL"}'),
    ('developerMode', 14, '{user}', true, '{"type": "boolean", "title": "Developer mode"}'),
    ('productGroup', 15, '{product}', true, '{"type": "string", "title": "Product group"}'),
    ('intent', 16, '{version}', true, '{"type": "string", "title": "Intent"}'),
    ('machine', 17, '{version}', true, '{"type": "string", "title": "Machine"}'),
    ('source', 18, '{version}', true, '{"type": "string", "title": "Source"}'),
    ('comment', 19, '{version}', true, '{"type": "string", "title": "Comment"}'),
    ('site', 20, '{version}', true, '{"type": "string", "title": "Site", "example": "workstation42"}'),
    ('families', 21, '{version}', true, '{"type": "list_of_strings", "title": "Families"}'),
    ('colorSpace', 22, '{version}', true, '{"type": "string", "title": "Color space", "example": "rec709"}'),
    ('path', 23, '{representation}', true, '{"type": "string", "title": "Path"}'),
    ('template', 24, '{representation}', true, '{"type": "string", "title": "Template"}'),
    ('extension', 25, '{representation,workfile}', true, '{"type": "string", "title": "File extension"}'),
    ('startDate', 26, '{project,folder,task}', true, '{"type": "datetime", "title": "Start date"}'),
    ('endDate', 27, '{project,folder,task}', true, '{"type": "datetime", "title": "End date"}'),
    ('description', 28, '{project,folder,task,product,version,representation,workfile}', true, '{"type": "string", "title": "Description", "inherit": false, "widget": "markdown"}'),
    ('entityListCategory', 29, '{list}', true, '{"type": "string", "title": "Category", "inherit": false, "enum": []}');
