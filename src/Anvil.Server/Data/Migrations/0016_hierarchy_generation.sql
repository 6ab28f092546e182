-- A project's hierarchy generation: one row per project schema, bumped once by every transaction that
-- writes its folders or tasks, whatever writes them (the operations pipeline, derived data, anatomy
-- renames, a user rename, psql). GET /hierarchy compares it with the generation its prepared answer
-- was built from: one row read, where it scanned both tables (count and sum of xmin) on every request.
-- `epoch` is new for each creation of a project, so a project deleted and made again under the same
-- name never matches an answer prepared for the old one.
--
-- The bump is a deferred constraint trigger: it runs at commit, so the row is locked only while the
-- writing transaction commits — concurrent writers of one project do not queue behind each other for
-- their whole transaction, and a transaction holding the row waits for no other lock (no deadlock).
-- A transaction-local setting makes the rows after the first cost one comparison each.
CREATE FUNCTION public.bump_hierarchy_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag constant text := 'anvil.hierarchy_' || md5(TG_TABLE_SCHEMA);
BEGIN
    IF TG_OP = 'TRUNCATE' OR current_setting(flag, true) IS DISTINCT FROM 'bumped' THEN
        EXECUTE format('UPDATE %I.hierarchy_generation SET generation = generation + 1', TG_TABLE_SCHEMA);
        PERFORM set_config(flag, 'bumped', true);
    END IF;
    RETURN NULL;
END $$;

DO $$
DECLARE
    schema text;
BEGIN
    FOR schema IN SELECT 'project_' || lower(name) FROM projects LOOP
        EXECUTE format($sql$
            CREATE TABLE %1$I.hierarchy_generation (
                single     boolean PRIMARY KEY DEFAULT true CHECK (single),
                epoch      uuid NOT NULL DEFAULT gen_random_uuid(),
                generation bigint NOT NULL DEFAULT 0
            );
            INSERT INTO %1$I.hierarchy_generation DEFAULT VALUES;
            CREATE CONSTRAINT TRIGGER folders_hierarchy_generation AFTER INSERT OR UPDATE OR DELETE ON %1$I.folders
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.bump_hierarchy_generation();
            CREATE CONSTRAINT TRIGGER tasks_hierarchy_generation AFTER INSERT OR UPDATE OR DELETE ON %1$I.tasks
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.bump_hierarchy_generation();
            CREATE TRIGGER folders_truncated_hierarchy_generation AFTER TRUNCATE ON %1$I.folders
                FOR EACH STATEMENT EXECUTE FUNCTION public.bump_hierarchy_generation();
            CREATE TRIGGER tasks_truncated_hierarchy_generation AFTER TRUNCATE ON %1$I.tasks
                FOR EACH STATEMENT EXECUTE FUNCTION public.bump_hierarchy_generation();
            $sql$, schema);
    END LOOP;
END $$;
