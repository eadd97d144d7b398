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
