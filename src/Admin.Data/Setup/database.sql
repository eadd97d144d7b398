-- Per console database, as a superuser, after roles.sql: who may connect, and which of PostgreSQL's own functions the
-- console's roles may call. Idempotent. (A database cloned from a template gets a fresh database ACL, so the tests run
-- this after every clone; the function grants live inside the database and would be cloned anyway.)
DO $$
BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO admin_app', current_database());
    -- No TEMPORARY: the explain role creates nothing, not even a temporary table.
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO admin_explain', current_database());
END $$;

-- Signalling other sessions, advisory locks and WAL messages are PUBLIC by default: a role may signal sessions of its
-- own role, any role may take (and hold) an advisory lock the app's leader elections and migrations rely on, and write
-- messages into the WAL for logical decoding. Only the console's own roles keep them; the explain role (and anything
-- else) may not.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'pg_catalog'::regnamespace
               AND (p.proname ~ '^pg_(try_)?advisory_' OR p.proname IN ('pg_terminate_backend', 'pg_cancel_backend', 'pg_logical_emit_message'))
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO admin_app, admin_owner', f);
    END LOOP;
END $$;

-- Captured plans (docs/database.md#captured-plans): auto_explain writes plans of slow statements to the server's
-- jsonlog; the statistics sampler's leader reads only those records, of this database only, through this function.
-- It runs as admin_logreader (roles.sql), reads nothing but files of log_directory whose names end in .json, and is
-- executable by the app role alone (never PUBLIC). It returns the plans after (p_file, p_offset) and, per file read, a
-- row without a plan saying up to where it read (only whole lines; a line longer than p_max_bytes is skipped).
-- Without p_file it starts at the beginning of the newest file.
GRANT EXECUTE ON FUNCTION pg_ls_logdir() TO admin_logreader;
GRANT EXECUTE ON FUNCTION pg_read_binary_file(text, bigint, bigint, boolean) TO admin_logreader;

CREATE OR REPLACE FUNCTION captured_plans_read(p_file text, p_offset bigint, p_max_bytes integer DEFAULT 4194304)
RETURNS TABLE (log_file text, end_offset bigint, logged_at timestamptz, query_id bigint, duration_ms double precision, plan jsonb)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    name_pattern constant text := '^[A-Za-z0-9._-]+\.json$';
    dir text := current_setting('log_directory');
    f record;
    start bigint;
    chunk bytea;
    cut integer;
    line text;
    rec jsonb;
    msg text;
BEGIN
    IF p_max_bytes IS NULL OR p_max_bytes < 1024 OR p_max_bytes > 67108864 THEN
        RAISE EXCEPTION 'p_max_bytes must be between 1 kB and 64 MB';
    END IF;
    IF p_file IS NOT NULL AND p_file !~ name_pattern THEN
        RAISE EXCEPTION 'not a jsonlog file name: %', p_file;
    END IF;
    FOR f IN SELECT l.name, l.size FROM pg_ls_logdir() l
             WHERE l.name ~ name_pattern
               AND (l.name >= p_file OR p_file IS NULL AND l.name = (SELECT max(n.name) FROM pg_ls_logdir() n WHERE n.name ~ name_pattern))
             ORDER BY l.name
    LOOP
        start := CASE WHEN f.name = p_file THEN greatest(coalesce(p_offset, 0), 0) ELSE 0 END;
        IF f.size < start THEN start := 0; END IF; -- the file was truncated and written again
        cut := 0;
        IF f.size > start THEN
            chunk := pg_read_binary_file(dir || '/' || f.name, start, p_max_bytes, true);
            cut := coalesce(length(chunk), 0);
            WHILE cut > 0 AND get_byte(chunk, cut - 1) <> 10 LOOP
                cut := cut - 1;
            END LOOP;
            IF cut = 0 AND length(chunk) = p_max_bytes THEN
                cut := p_max_bytes; -- one line longer than a whole read: skipped
            ELSIF cut > 0 THEN
                FOREACH line IN ARRAY string_to_array(convert_from(substring(chunk FROM 1 FOR cut), 'UTF8'), E'\n') LOOP
                    CONTINUE WHEN line NOT LIKE '{%"message":"duration: % ms  plan:%';
                    BEGIN
                        rec := line::jsonb;
                        msg := rec->>'message';
                        CONTINUE WHEN rec->>'dbname' IS DISTINCT FROM current_database() OR msg !~ '^duration: [0-9.]+ ms  plan:\n';
                        plan := substring(msg FROM position(E'\n' IN msg) + 1)::jsonb;
                        logged_at := (rec->>'timestamp')::timestamptz;
                        query_id := nullif((rec->>'query_id')::bigint, 0);
                        duration_ms := substring(msg FROM '^duration: ([0-9.]+) ms')::double precision;
                    EXCEPTION WHEN data_exception THEN
                        CONTINUE; -- not a record auto_explain wrote
                    END;
                    log_file := f.name;
                    end_offset := start + cut;
                    RETURN NEXT;
                END LOOP;
            END IF;
        END IF;
        log_file := f.name;
        end_offset := start + cut;
        logged_at := NULL; query_id := NULL; duration_ms := NULL; plan := NULL;
        RETURN NEXT;
    END LOOP;
END $$;
ALTER FUNCTION captured_plans_read(text, bigint, integer) OWNER TO admin_logreader;
REVOKE ALL ON FUNCTION captured_plans_read(text, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION captured_plans_read(text, bigint, integer) TO admin_app;
