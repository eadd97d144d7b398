-- 20261205000900_StatisticsWindows
-- Any time window of the sampled history (issue 16): the slow-query list, a comparison of two windows and the tables'
-- growth, sequential scans and index use over a window, all read from samples, not "since the last reset".

-- Statement deltas rolled up per hour and per day (UTC), kept by a trigger on every insert into the deltas, so a
-- window of 7 days reads whole days from the day table, whole hours at its edges from the hour table and only the
-- minutes at its very edges from the deltas: a few tens of thousands of rows instead of millions.
CREATE TABLE monitoring_statement_hours (
    target      text             NOT NULL,
    hour        timestamptz      NOT NULL,
    queryid     bigint           NOT NULL,
    calls       bigint           NOT NULL,
    total_ms    double precision NOT NULL,
    rows        bigint           NOT NULL,
    blks_hit    bigint           NOT NULL,
    blks_read   bigint           NOT NULL,
    PRIMARY KEY (target, hour, queryid)
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
    PRIMARY KEY (target, day, queryid)
);

-- The window's edges read the deltas by time (the primary key leads with queryid); the included columns make it an
-- index-only read.
CREATE INDEX monitoring_statement_deltas_target_taken_at ON monitoring_statement_deltas (target, taken_at)
    INCLUDE (queryid, calls, total_ms, rows, blks_hit, blks_read);

CREATE FUNCTION monitoring_statement_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO monitoring_statement_hours AS h (target, hour, queryid, calls, total_ms, rows, blks_hit, blks_read)
    SELECT target, date_bin('1 hour', taken_at, timestamptz '2000-01-01 00:00+00'), queryid,
           sum(calls), sum(total_ms), sum(rows), sum(blks_hit), sum(blks_read)
      FROM new_deltas GROUP BY 1, 2, 3
    ON CONFLICT (target, hour, queryid) DO UPDATE
       SET calls = h.calls + excluded.calls, total_ms = h.total_ms + excluded.total_ms, rows = h.rows + excluded.rows,
           blks_hit = h.blks_hit + excluded.blks_hit, blks_read = h.blks_read + excluded.blks_read;
    INSERT INTO monitoring_statement_days AS d (target, day, queryid, calls, total_ms, rows, blks_hit, blks_read)
    SELECT target, date_bin('1 day', taken_at, timestamptz '2000-01-01 00:00+00'), queryid,
           sum(calls), sum(total_ms), sum(rows), sum(blks_hit), sum(blks_read)
      FROM new_deltas GROUP BY 1, 2, 3
    ON CONFLICT (target, day, queryid) DO UPDATE
       SET calls = d.calls + excluded.calls, total_ms = d.total_ms + excluded.total_ms, rows = d.rows + excluded.rows,
           blks_hit = d.blks_hit + excluded.blks_hit, blks_read = d.blks_read + excluded.blks_read;
    RETURN NULL;
END $$;

CREATE TRIGGER monitoring_statement_rollup AFTER INSERT ON monitoring_statement_deltas
    REFERENCING NEW TABLE AS new_deltas FOR EACH STATEMENT EXECUTE FUNCTION monitoring_statement_rollup();

-- The history sampled so far, rolled up once.
INSERT INTO monitoring_statement_hours (target, hour, queryid, calls, total_ms, rows, blks_hit, blks_read)
SELECT target, date_bin('1 hour', taken_at, timestamptz '2000-01-01 00:00+00'), queryid,
       sum(calls), sum(total_ms), sum(rows), sum(blks_hit), sum(blks_read)
  FROM monitoring_statement_deltas GROUP BY 1, 2, 3;
INSERT INTO monitoring_statement_days (target, day, queryid, calls, total_ms, rows, blks_hit, blks_read)
SELECT target, date_bin('1 day', taken_at, timestamptz '2000-01-01 00:00+00'), queryid,
       sum(calls), sum(total_ms), sum(rows), sum(blks_hit), sum(blks_read)
  FROM monitoring_statement_deltas GROUP BY 1, 2, 3;

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

GRANT SELECT, INSERT, UPDATE, DELETE ON monitoring_statement_hours, monitoring_statement_days, monitoring_index_samples TO admin_app;
GRANT SELECT ON monitoring_statement_hours, monitoring_statement_days, monitoring_index_samples TO admin_explain;
