-- Links name their ends by id, not by reference (an end may be any of six tables), so nothing
-- removed them when an entity went with a cascade (a folder's subfolders, tasks, workfiles, a
-- product's versions and representations). One statement-level trigger per entity table removes the
-- links of every row a statement deleted, however it was deleted. Data/Schema/project.sql creates
-- the same triggers for projects created from now on.
CREATE OR REPLACE FUNCTION delete_entity_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %I.links l USING deleted_entities d WHERE l.input_id = d.id OR l.output_id = d.id', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;

DO $$
DECLARE
    schema text;
    entity text;
BEGIN
    FOR schema IN SELECT 'project_' || lower(name) FROM projects LOOP
        FOREACH entity IN ARRAY ARRAY['folders', 'tasks', 'products', 'versions', 'representations', 'workfiles'] LOOP
            EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I.%I', entity || '_links', schema, entity);
            EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %I.%I REFERENCING OLD TABLE AS deleted_entities
                            FOR EACH STATEMENT EXECUTE FUNCTION public.delete_entity_links()', entity || '_links', schema, entity);
        END LOOP;
        -- Links left behind by earlier cascades.
        EXECUTE format('DELETE FROM %1$I.links l WHERE NOT EXISTS (
            SELECT FROM %1$I.folders WHERE id = l.input_id UNION ALL SELECT FROM %1$I.tasks WHERE id = l.input_id
            UNION ALL SELECT FROM %1$I.products WHERE id = l.input_id UNION ALL SELECT FROM %1$I.versions WHERE id = l.input_id
            UNION ALL SELECT FROM %1$I.representations WHERE id = l.input_id UNION ALL SELECT FROM %1$I.workfiles WHERE id = l.input_id)
          OR NOT EXISTS (
            SELECT FROM %1$I.folders WHERE id = l.output_id UNION ALL SELECT FROM %1$I.tasks WHERE id = l.output_id
            UNION ALL SELECT FROM %1$I.products WHERE id = l.output_id UNION ALL SELECT FROM %1$I.versions WHERE id = l.output_id
            UNION ALL SELECT FROM %1$I.representations WHERE id = l.output_id UNION ALL SELECT FROM %1$I.workfiles WHERE id = l.output_id)', schema);
    END LOOP;
END $$;
