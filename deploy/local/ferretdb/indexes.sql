-- Lets FerretDB v1 answer filters from indexes. Applied to the `ferretdb` database by infra.sh
-- at every start (idempotent).
--
-- FerretDB turns an equality filter into `_jsonb->'field' @> value` (`_jsonb #> '{a,b}'` for a
-- dotted path), while the index it creates for each declared index is a btree over
-- `(_jsonb->'field')`, which `@>` cannot use: every lookup, by `_id` too, scanned its table.
-- A GIN index over the same expression answers `@>`. So, whenever FerretDB creates an index,
-- this trigger gives it a GIN companion over the same fields: a non-unique index is replaced by
-- its GIN form under the same name (FerretDB's metadata, and dropIndexes, still find it); a
-- unique one (`_id` among them) keeps its btree, which enforces uniqueness, and gains a GIN
-- twin named `<index>_gin`.
--
-- FerretDB sends the field name as a parameter (`_jsonb->$1`), so a statement it has cached
-- must be planned with its parameters' values for the expression to match the index:
-- infra.sh starts PostgreSQL with plan_cache_mode=force_custom_plan, and the database keeps it
-- too (for a PostgreSQL started before that flag).

ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION district_gin_expression(column_definition text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  keys text[];
BEGIN
  -- FerretDB's column is `_jsonb -> 'a'::text` or `(_jsonb -> 'a'::text) -> 'b'::text`.
  SELECT array_agg(m[1]) INTO keys
    FROM regexp_matches(column_definition, '''((?:[^'']|'''')*)''::text', 'g') AS m;
  IF column_definition NOT LIKE '%_jsonb%' OR keys IS NULL THEN
    RETURN NULL;
  END IF;
  IF array_length(keys, 1) = 1 THEN
    RETURN format('(_jsonb -> %L)', replace(keys[1], '''''', ''''));
  END IF;
  RETURN format('(_jsonb #> %L)', (SELECT array_agg(replace(k, '''''', '''')) FROM unnest(keys) AS k));
END;
$$;

-- Gives one of FerretDB's btree field indexes its GIN companion; anything else is left alone.
CREATE OR REPLACE FUNCTION district_gin_for(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  made pg_index%ROWTYPE;
  index_name text;
  schema_name text;
  table_name text;
  expressions text[] := ARRAY[]::text[];
  expression text;
  k int;
BEGIN
  SELECT * INTO made FROM pg_index WHERE indexrelid = index_oid;
  IF NOT FOUND OR (SELECT amname FROM pg_am JOIN pg_class c ON c.relam = pg_am.oid
                   WHERE c.oid = index_oid) <> 'btree' THEN
    RETURN;
  END IF;
  SELECT c.relname, n.nspname INTO index_name, schema_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = index_oid;
  SELECT c.relname INTO table_name FROM pg_class c WHERE c.oid = made.indrelid;
  FOR k IN 1 .. made.indnatts LOOP
    expression := district_gin_expression(pg_get_indexdef(index_oid, k, true));
    IF expression IS NULL THEN
      RETURN;  -- not one of FerretDB's field indexes
    END IF;
    expressions := expressions || expression;
  END LOOP;
  IF cardinality(expressions) = 0 THEN
    RETURN;
  END IF;
  IF made.indisunique THEN
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin (%s)',
                   left(index_name, 59) || '_gin', schema_name, table_name,
                   array_to_string(expressions, ', '));
  ELSE
    EXECUTE format('DROP INDEX %I.%I', schema_name, index_name);
    EXECUTE format('CREATE INDEX %I ON %I.%I USING gin (%s)',
                   index_name, schema_name, table_name, array_to_string(expressions, ', '));
  END IF;
END;
$$;

CREATE OR REPLACE FUNCTION district_gin_companion() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  created record;
BEGIN
  FOR created IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX'
  LOOP
    PERFORM district_gin_for(created.objid);
  END LOOP;
END;
$$;

DROP EVENT TRIGGER IF EXISTS district_gin_companion;
CREATE EVENT TRIGGER district_gin_companion ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION district_gin_companion();

-- Indexes FerretDB made before this file was applied (a store kept from before) get their
-- companions now: a btree index without one is given it (the trigger's own work is no longer a
-- btree, or already has its twin, so this changes nothing at a later start).
DO $$
DECLARE
  index_oid oid;
BEGIN
  FOR index_oid IN
    SELECT i.indexrelid FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_am a ON a.oid = c.relam
     WHERE a.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND NOT EXISTS (SELECT 1 FROM pg_class twin
                        WHERE twin.relname = left(c.relname, 59) || '_gin'
                          AND twin.relnamespace = c.relnamespace)
  LOOP
    PERFORM district_gin_for(index_oid);
  END LOOP;
END;
$$;
