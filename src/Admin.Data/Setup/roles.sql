-- The cluster's login roles, as a superuser. Idempotent: ./admin runs it on every start, the tests before building a
-- template, and docs/operations.md gives it for another PostgreSQL (with real passwords instead of these local ones).
--
--   admin_owner    owns the schema; runs migrations (not needed at run time when Admin:MigrateOnStartup is false)
--   admin_app      what the console connects as: table-by-table grants, row-level security, no superuser or BYPASSRLS
--   admin_explain  what EXPLAIN runs as: reads what a DBA reads and nothing else, writes nothing, signals nothing.
--                  Its policies name it directly and read no setting, so a statement that calls set_config cannot widen
--                  them. Read-only by default, with its own timeouts; see docs/database.md#the-explain-role.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_owner') THEN
        CREATE ROLE admin_owner LOGIN PASSWORD 'admin_owner';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_app') THEN
        CREATE ROLE admin_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD 'admin_app';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_explain') THEN
        CREATE ROLE admin_explain LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT
            CONNECTION LIMIT 10 PASSWORD 'admin_explain';
    END IF;
END $$;

-- pg_monitor: read-only statistics for the Database panels (pg_stat_activity of every session, pg_stat_statements).
GRANT pg_monitor TO admin_app;
-- pg_signal_backend: the Activity panel's cancel/terminate of other roles' sessions (never a superuser's).
GRANT pg_signal_backend TO admin_app;

-- Whatever happens to the cluster's settings, a session of the explain role starts read-only and bounded.
ALTER ROLE admin_explain SET default_transaction_read_only = on;
ALTER ROLE admin_explain SET statement_timeout = '30s';
ALTER ROLE admin_explain SET lock_timeout = '2s';
ALTER ROLE admin_explain SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE admin_explain SET temp_file_limit = '256MB';
-- The slow-query list is about the application's statements, not the EXPLAINs DBAs ran (the audit trail has those).
ALTER ROLE admin_explain SET pg_stat_statements.track = 'none';

-- admin_logreader: owns captured_plans_read (database.sql), the one function that reads the server's log, so that no
-- login role needs more than EXECUTE on it. NOLOGIN and without members: nobody can become it. It may read settings
-- (log_directory is hidden from other roles) and, per database, list the log directory and read files in the data
-- directory; where log_directory lies outside the data directory, give it pg_read_server_files (docs/database.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin_logreader') THEN
        CREATE ROLE admin_logreader NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION;
    END IF;
END $$;
GRANT pg_read_all_settings TO admin_logreader;
