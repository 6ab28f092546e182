-- Addon packages live in PostgreSQL, so every instance can serve and run every installed version and
-- instances share no disk (docs/addons.md). A package is the uploaded zip as is, content-addressed by
-- its SHA-256 and split into chunks of a few MiB (a bytea value is read whole, so a 2 GiB zip in one
-- row could not be streamed). An installed name+version points at its package; two versions with the
-- same bytes share one.
CREATE TABLE addon_packages (
    sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint NOT NULL,
    chunk_count integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE addon_package_chunks (
    sha256 text NOT NULL REFERENCES addon_packages ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);
-- Zips are compressed already: store the chunks out of line without trying to compress them again.
ALTER TABLE addon_package_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

-- One row per installed name+version. Reinstalling swaps the row in one transaction.
CREATE TABLE addon_versions (
    name text NOT NULL,
    version text NOT NULL,
    layout text NOT NULL,                  -- 'package' (package.py/yml at the root) or 'manifest' (manifest.json + addon/)
    metadata jsonb NOT NULL,               -- package.py / package.yml / manifest.json, keys as written
    files jsonb NOT NULL,                  -- the file index: [[path, length], ...], paths relative to the version folder
    unpacked_size bigint NOT NULL,
    package_sha256 text NOT NULL REFERENCES addon_packages,
    package_size bigint NOT NULL,
    export jsonb,                          -- what the addon host exported (contract §3); null when it gave nothing
    exported_by text,                      -- the fingerprint of the host code that made the export: another at start means export again
    is_broken boolean NOT NULL DEFAULT false,
    reason text,
    client_pyproject jsonb,                -- private/pyproject.toml as JSON, when it exists and parses
    has_client_zip boolean NOT NULL DEFAULT false,
    installed_at timestamptz NOT NULL DEFAULT now(),
    installed_by text,
    PRIMARY KEY (name, version)
);
CREATE INDEX addon_versions_package ON addon_versions (package_sha256);

-- A package no version points at any more is deleted with its chunks. Installs of the same package
-- take the same advisory lock before they look for it, so a package is never deleted under an install
-- that is about to reuse it.
CREATE FUNCTION addon_packages_release() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.package_sha256 = OLD.package_sha256 THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('anvil.addon-package:' || OLD.package_sha256, 0));
    DELETE FROM addon_packages p
    WHERE p.sha256 = OLD.package_sha256
      AND NOT EXISTS (SELECT FROM addon_versions v WHERE v.package_sha256 = OLD.package_sha256);
    RETURN NULL;
END
$$;

CREATE TRIGGER addon_versions_release
    AFTER DELETE OR UPDATE OF package_sha256 ON addon_versions
    FOR EACH ROW EXECUTE FUNCTION addon_packages_release();
