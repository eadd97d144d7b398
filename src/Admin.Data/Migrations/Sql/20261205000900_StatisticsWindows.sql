-- 20261205000900_StatisticsWindows
-- Any time window of the sampled history (issue 16): the slow-query list, a comparison of two windows and the tables'
-- growth, sequential scans and index use over a window, all read from samples, not "since the last reset".

-- Statement deltas rolled up per hour and per day (UTC), so a window of 7 days reads whole days from the day table,
-- whole hours at its edges from the hour table and only the minutes at its very edges from the deltas: tens of
-- thousands of rows instead of millions. The sampler rolls up each hour once it has ended and each day once its hours
-- are rolled up (inserts only, no row updated each minute); monitoring_rollup_marks says up to where, per target, so a
-- window reads the hours and days after the marks from the deltas.
CREATE TABLE monitoring_statement_hours (
    target      text             NOT NULL,
    hour        timestamptz      NOT NULL,
    queryid     bigint           NOT NULL,
    calls       bigint           NOT NULL,
    total_ms    double precision NOT NULL,
    rows        bigint           NOT NULL,
    blks_hit    bigint           NOT NULL,
    blks_read   bigint           NOT NULL,
    -- The figures in the key's index: a window reads the rollups with an index-only scan (rows are written once, so
    -- their pages become all-visible at the next vacuum).
    PRIMARY KEY (target, hour, queryid) INCLUDE (calls, total_ms, rows, blks_hit, blks_read)
);

CREATE TABLE monitoring_statement_days (
    target      text             NOT NULL,
    day         timestamptz      NOT NULL,
    queryid     bigint           NOT NULL,
    calls       bigint           NOT NULL,
    total_ms    double precision NOT NULL,
    rows        bigint           NOT NULL,
    blks_hit    bigint           NOT NULL,
    blks_read   bigint           NOT NULL,
    PRIMARY KEY (target, day, queryid) INCLUDE (calls, total_ms, rows, blks_hit, blks_read)
);

-- Hours before hours_until and days before days_until are rolled up (both UTC boundaries).
CREATE TABLE monitoring_rollup_marks (
    target       text        PRIMARY KEY,
    hours_until  timestamptz NOT NULL,
    days_until   timestamptz NOT NULL
);

-- Table scans at each table sample: the counters as read (seq_scan, idx_scan) and running totals that survive a reset
-- of the statistics (a counter below the previous sample's adds the whole current figure). Scans over a window are the
-- running total at its last sample minus the one at its first: two index probes per table, no sum over samples.
-- Rows sampled before this migration have none (NULL): the next sample starts the totals at 0.
ALTER TABLE monitoring_table_samples
    ADD COLUMN seq_scan bigint, ADD COLUMN idx_scan bigint, ADD COLUMN seq_scan_total bigint, ADD COLUMN idx_scan_total bigint;
-- A window's first and last sample of every table (the sampler writes all tables of a run with one taken_at).
CREATE INDEX monitoring_table_samples_target_taken_at ON monitoring_table_samples (target, taken_at);

CREATE TABLE monitoring_index_samples (
    target       text        NOT NULL,
    schema_name  text        NOT NULL,
    table_name   text        NOT NULL,
    index_name   text        NOT NULL,
    taken_at     timestamptz NOT NULL,
    idx_scan     bigint      NOT NULL,
    idx_scan_total bigint    NOT NULL,
    PRIMARY KEY (target, schema_name, index_name, taken_at)
);
CREATE INDEX monitoring_index_samples_target_taken_at ON monitoring_index_samples (target, taken_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON monitoring_statement_hours, monitoring_statement_days, monitoring_rollup_marks,
    monitoring_index_samples TO admin_app;
GRANT SELECT ON monitoring_statement_hours, monitoring_statement_days, monitoring_rollup_marks, monitoring_index_samples TO admin_explain;
