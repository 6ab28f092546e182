-- Lookups by parent in every project. The unique-name indexes are partial (active rows only), so a
-- query not filtering on `active` — GraphQL by folderIds/productIds/versionIds, the folders' derived
-- hasTasks/hasProducts/hasVersions, the cascades of a delete — read the whole table: a project of
-- 100,000 versions took minutes to list its folders. Plain indexes on each parent column, and an
-- SP-GiST index on folder paths for the subtree test (path ^@ 'a/b/'). Data/Schema/project.sql
-- has the same indexes for projects created from now on.
DO $$
DECLARE
    schema text;
BEGIN
    FOR schema IN SELECT 'project_' || lower(name) FROM projects LOOP
        EXECUTE format('CREATE INDEX IF NOT EXISTS folders_path ON %I.folders USING spgist (path)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS tasks_folder_id ON %I.tasks (folder_id)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS products_folder_id ON %I.products (folder_id)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS versions_product_id ON %I.versions (product_id)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS versions_task_id ON %I.versions (task_id)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS representations_version_id ON %I.representations (version_id)', schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS workfiles_task_id ON %I.workfiles (task_id)', schema);
    END LOOP;
END $$;
