-- Desktop distribution (docs/distribution.md): launcher installers and dependency packages. A
-- manifest is a row; its file, once uploaded, lives in PostgreSQL in chunks of 4 MiB, as addon
-- packages do (0009), so every instance serves every file and instances share no disk. A file is
-- written whole, checksum verified, in the transaction that points the manifest at it; a re-upload
-- writes a new file and drops the old one in that same transaction.
CREATE TABLE desktop_files (
    id          uuid PRIMARY KEY,
    size        bigint NOT NULL,
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    chunk_count integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE desktop_file_chunks (
    file_id uuid NOT NULL REFERENCES desktop_files ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (file_id, seq)
);
-- Installers and packages are compressed already.
ALTER TABLE desktop_file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE desktop_packages (
    kind        text NOT NULL CHECK (kind IN ('installer', 'dependency_package')),
    filename    text NOT NULL,
    platform    text NOT NULL CHECK (platform IN ('windows', 'linux', 'darwin')),
    manifest    jsonb NOT NULL,           -- AYON's manifest, camelCase keys as served
    file_id     uuid REFERENCES desktop_files ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, filename)
);

-- Sites: the workstations a user's launcher announced with x-ayon-* headers on GET /api/info.
-- A site is a machine (its platform, hostname, launcher version); site_users says who used it.
CREATE TABLE sites (
    id         text PRIMARY KEY CHECK (id ~ '^[a-z0-9-]+$'),
    platform   text NOT NULL CHECK (platform IN ('windows', 'linux', 'darwin')),
    hostname   text NOT NULL DEFAULT '',
    version    text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE site_users (
    site_id    text NOT NULL REFERENCES sites ON DELETE CASCADE,
    user_name  text NOT NULL REFERENCES users (name) ON UPDATE CASCADE ON DELETE CASCADE,
    first_seen timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, user_name)
);
CREATE INDEX site_users_user ON site_users (user_name);
