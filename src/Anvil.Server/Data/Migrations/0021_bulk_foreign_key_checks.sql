-- Foreign keys of a bulk insert checked once per statement instead of once per row.
--
-- PostgreSQL checks a foreign key with a trigger per inserted row: one planned query through SPI
-- each, ~18 µs of the backend's CPU per entity of a bulk ingest (a quarter of PostgreSQL's share;
-- a representation pays for its version and its status). For a run of rows, EntityStore.InsertAsync
-- asks defer_foreign_keys to turn the per-row triggers off for its next statement
-- (session_replication_role = replica, which needs superuser or `GRANT SET ON PARAMETER
-- session_replication_role`); at the end of that statement, each entity table's statement-level
-- trigger check_deferred_foreign_keys turns them back on and checks every foreign key of the
-- statement's new rows at once: the same keys, the same FOR KEY SHARE lock on every referenced row (a
-- concurrent delete or key change waits for this transaction, as with the per-row triggers), the
-- same error (foreign_key_violation, the constraint's name, PostgreSQL's wording), raised by the
-- statement itself.
--
-- Only when nothing else would be skipped: a table with a trigger of its own that fires on INSERT
-- in one mode only (a studio's audit trigger, say), or with a foreign key of several columns or a
-- deferrable one, keeps the per-row triggers. The hierarchy's generation bump fires in every mode.

-- Turns the per-row triggers off until the end of the next insert into `entities` if it may, and
-- says whether it did.
CREATE FUNCTION public.defer_foreign_keys(entities regclass) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF NOT has_parameter_privilege('session_replication_role', 'SET')
       OR NOT EXISTS (SELECT FROM pg_trigger
                      WHERE tgrelid = entities AND tgfoid = 'public.check_deferred_foreign_keys'::regproc AND tgenabled = 'A')
       OR EXISTS (SELECT FROM pg_trigger
                  WHERE tgrelid = entities AND NOT tgisinternal AND tgenabled IN ('O', 'R') AND tgtype & 4 <> 0)
       OR EXISTS (SELECT FROM pg_constraint
                  WHERE conrelid = entities AND contype = 'f' AND (cardinality(conkey) > 1 OR condeferrable)) THEN
        RETURN false;
    END IF;
    PERFORM set_config('session_replication_role', 'replica', true);
    PERFORM set_config('anvil.deferred_foreign_keys', entities::oid::text, true);
    RETURN true;
END $$;

-- AFTER INSERT FOR EACH STATEMENT, REFERENCING NEW TABLE AS new_rows, enabled ALWAYS. Does nothing
-- unless defer_foreign_keys turned the per-row checks off for this table: in replica mode set by
-- anyone else (a subscriber, pg_restore --disable-triggers) the rows stay unchecked, as they would.
CREATE FUNCTION public.check_deferred_foreign_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    checks text;
    violation record;
BEGIN
    IF current_setting('anvil.deferred_foreign_keys', true) IS DISTINCT FROM TG_RELID::text THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('anvil.deferred_foreign_keys', '', true);
    PERFORM set_config('session_replication_role', 'origin', true);
    -- One branch per foreign key; the aggregate reads every branch to its end, so every referenced
    -- row is locked whether or not a key is missing.
    SELECT string_agg(format(
               $branch$SELECT %L AS constraint_name, %L AS column_name, %L AS parent_name, min(w.key::text) AS key, count(*) AS missing
                 FROM (SELECT DISTINCT n.%I AS key FROM new_rows n WHERE n.%I IS NOT NULL) w
                 LEFT JOIN LATERAL (SELECT true AS found FROM ONLY %s p WHERE p.%I = w.key FOR KEY SHARE OF p) l ON true
                 WHERE l.found IS NULL$branch$,
               c.conname, a.attname, parent.relname, a.attname, a.attname, c.confrelid::regclass, pa.attname),
           ' UNION ALL ')
    INTO checks
    FROM pg_constraint c
    JOIN pg_class parent ON parent.oid = c.confrelid
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
    WHERE c.conrelid = TG_RELID AND c.contype = 'f';
    IF checks IS NULL THEN
        RETURN NULL;
    END IF;
    FOR violation IN EXECUTE format('SELECT * FROM (%s) checked WHERE missing > 0', checks) LOOP
        RAISE foreign_key_violation USING
            MESSAGE = format('insert or update on table "%s" violates foreign key constraint "%s"', TG_TABLE_NAME, violation.constraint_name),
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".', violation.column_name, violation.key, violation.parent_name),
            CONSTRAINT = violation.constraint_name,
            TABLE = TG_TABLE_NAME,
            SCHEMA = TG_TABLE_SCHEMA;
    END LOOP;
    RETURN NULL;
END $$;

DO $$
DECLARE
    schema text;
    entities text;
BEGIN
    FOR schema IN SELECT 'project_' || lower(name) FROM projects LOOP
        FOREACH entities IN ARRAY ARRAY['folders', 'tasks', 'products', 'versions', 'representations', 'workfiles'] LOOP
            EXECUTE format($sql$
                CREATE TRIGGER %2$I AFTER INSERT ON %1$I.%3$I REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION public.check_deferred_foreign_keys();
                ALTER TABLE %1$I.%3$I ENABLE ALWAYS TRIGGER %2$I;
                $sql$, schema, entities || '_deferred_foreign_keys', entities);
        END LOOP;
        -- The generation bump (migration 0016) must see rows written while the per-row triggers are off.
        EXECUTE format($sql$
            ALTER TABLE %1$I.folders ENABLE ALWAYS TRIGGER folders_hierarchy_generation;
            ALTER TABLE %1$I.tasks ENABLE ALWAYS TRIGGER tasks_hierarchy_generation;
            $sql$, schema);
    END LOOP;
END $$;
