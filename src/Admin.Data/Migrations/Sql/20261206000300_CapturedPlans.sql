-- 20261206000300_CapturedPlans
-- Plans auto_explain logged for slow statements of the console's own database, read from the server's jsonlog by the
-- statistics sampler's leader through captured_plans_read (Setup/database.sql) and kept as long as the other history.
CREATE TABLE monitoring_captured_plans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target      text             NOT NULL,
    query_id    bigint,
    statement   text             NOT NULL,
    duration_ms double precision NOT NULL,
    plan        jsonb            NOT NULL,
    logged_at   timestamptz      NOT NULL,
    captured_at timestamptz      NOT NULL DEFAULT now(),
    log_file    text             NOT NULL
);
-- The same record read twice (a leader that lost its lease mid-run) is kept once.
CREATE UNIQUE INDEX monitoring_captured_plans_record ON monitoring_captured_plans (target, log_file, logged_at, duration_ms, md5(statement));
CREATE INDEX monitoring_captured_plans_statement ON monitoring_captured_plans (target, query_id, logged_at DESC);
CREATE INDEX monitoring_captured_plans_logged_at ON monitoring_captured_plans (logged_at);

-- Up to where each target's log has been read.
CREATE TABLE monitoring_plan_log_cursors (
    target     text        PRIMARY KEY,
    log_file   text        NOT NULL,
    log_offset bigint      NOT NULL,
    read_at    timestamptz NOT NULL
);

GRANT SELECT, INSERT, DELETE ON monitoring_captured_plans TO admin_app;
GRANT SELECT, INSERT, UPDATE ON monitoring_plan_log_cursors TO admin_app;
-- DBAs read captured plans on the statement page, so EXPLAIN's role may too (tests: ExplainRoleTests); the cursor is internal.
GRANT SELECT ON monitoring_captured_plans TO admin_explain;
