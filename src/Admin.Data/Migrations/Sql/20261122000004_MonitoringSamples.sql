-- Statistics history for the Database panels. pg_stat_statements and the table statistics are cumulative since the
-- last reset, so a history needs samples: one instance (the advisory-lock leader) reads every monitoring target each
-- minute and stores what changed since the previous sample. Rows are keyed by target name so several monitored
-- servers share these tables; old rows are pruned after the configured retention.

-- The previous cumulative figures per statement (what the next sample subtracts) and its normalised text, kept after
-- pg_stat_statements forgets the statement so the history stays readable.
CREATE TABLE monitoring_statements (
    target      text             NOT NULL,
    queryid     bigint           NOT NULL,
    query       text             NOT NULL,
    calls       bigint           NOT NULL,
    total_ms    double precision NOT NULL,
    rows        bigint           NOT NULL,
    blks_hit    bigint           NOT NULL,
    blks_read   bigint           NOT NULL,
    first_seen  timestamptz      NOT NULL,
    last_seen   timestamptz      NOT NULL,
    PRIMARY KEY (target, queryid)
);

-- What each statement did between two samples (only statements that were called: idle ones cost no rows).
CREATE TABLE monitoring_statement_deltas (
    target      text             NOT NULL,
    queryid     bigint           NOT NULL,
    taken_at    timestamptz      NOT NULL,
    calls       bigint           NOT NULL CHECK (calls > 0),
    total_ms    double precision NOT NULL,
    rows        bigint           NOT NULL,
    blks_hit    bigint           NOT NULL,
    blks_read   bigint           NOT NULL,
    PRIMARY KEY (target, queryid, taken_at)
);
CREATE INDEX monitoring_statement_deltas_taken_at ON monitoring_statement_deltas (taken_at);

-- Table sizes and tuple counts over time (sampled less often than statements: sizes change slowly).
CREATE TABLE monitoring_table_samples (
    target       text        NOT NULL,
    schema_name  text        NOT NULL,
    table_name   text        NOT NULL,
    taken_at     timestamptz NOT NULL,
    total_bytes  bigint      NOT NULL,
    live_tuples  bigint      NOT NULL,
    dead_tuples  bigint      NOT NULL,
    PRIMARY KEY (target, schema_name, table_name, taken_at)
);
CREATE INDEX monitoring_table_samples_taken_at ON monitoring_table_samples (taken_at);

-- One row per sampler run and target: when, by which instance, what it cost, and the error when it failed.
CREATE TABLE monitoring_sampler_runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target       text             NOT NULL,
    taken_at     timestamptz      NOT NULL,
    instance     text             NOT NULL,
    duration_ms  double precision NOT NULL,
    statements   int              NOT NULL DEFAULT 0,
    deltas       int              NOT NULL DEFAULT 0,
    tables       int              NOT NULL DEFAULT 0,
    error        text
);
CREATE INDEX monitoring_sampler_runs_target_taken_at ON monitoring_sampler_runs (target, taken_at DESC);

GRANT SELECT, INSERT, UPDATE, DELETE ON monitoring_statements, monitoring_statement_deltas, monitoring_table_samples,
    monitoring_sampler_runs TO admin_app;
