-- 20261206001000_StatisticsLevels
-- Written by the sampler's leader (StatisticsSampler.RollUpAsync), read by StatisticsWindows.
-- Two more rollup levels for the windows of issue 16: 10 minutes (between the deltas and the hours) and 6 hours
-- (between the hours and the days). A 7-day window read up to 46 hourly rows per statement at its two edges and up to
-- two hours of deltas; with these levels it reads at most 5 hours and 5 ten-minute slots at each edge, a few 6-hour
-- blocks and minutes of deltas (docs/database.md, "Any time window"). The sampler's leader writes each level from the
-- one below once a slot has ended (10 minutes from the deltas, hours from the 10-minute slots, 6 hours from the hours,
-- days from the 6-hour blocks), with the same marks (monitoring_rollup_marks) and retention as the existing levels.
-- The same columns and index-only key as the hourly rollups, the slot's start named after the level.
CREATE TABLE monitoring_statement_tens (LIKE monitoring_statement_hours INCLUDING ALL);
ALTER TABLE monitoring_statement_tens RENAME COLUMN hour TO slot;
CREATE TABLE monitoring_statement_quarters (LIKE monitoring_statement_hours INCLUDING ALL);
ALTER TABLE monitoring_statement_quarters RENAME COLUMN hour TO quarter;

-- Each level exists for everything before its mark: targets rolled up already get the new levels written from what
-- is there (10-minute slots from the deltas before hours_until, 6-hour blocks from the hours before theirs).
ALTER TABLE monitoring_rollup_marks ADD COLUMN tens_until timestamptz, ADD COLUMN quarters_until timestamptz;

INSERT INTO monitoring_statement_tens (target, slot, queryid, calls, total_ms, rows, blks_hit, blks_read)
SELECT d.target, date_bin('10 minutes', d.taken_at, timestamptz '2000-01-01 00:00+00'), d.queryid,
       sum(d.calls), sum(d.total_ms), sum(d.rows), sum(d.blks_hit), sum(d.blks_read)
  FROM monitoring_rollup_marks m
  JOIN monitoring_statement_deltas d ON d.target = m.target AND d.taken_at < m.hours_until
 GROUP BY 1, 2, 3;

INSERT INTO monitoring_statement_quarters (target, quarter, queryid, calls, total_ms, rows, blks_hit, blks_read)
SELECT h.target, date_bin('6 hours', h.hour, timestamptz '2000-01-01 00:00+00'), h.queryid,
       sum(h.calls), sum(h.total_ms), sum(h.rows), sum(h.blks_hit), sum(h.blks_read)
  FROM monitoring_rollup_marks m
  JOIN monitoring_statement_hours h ON h.target = m.target AND h.hour < date_bin('6 hours', m.hours_until, timestamptz '2000-01-01 00:00+00')
 GROUP BY 1, 2, 3;

UPDATE monitoring_rollup_marks
   SET tens_until = hours_until, quarters_until = date_bin('6 hours', hours_until, timestamptz '2000-01-01 00:00+00');

ALTER TABLE monitoring_rollup_marks ALTER COLUMN tens_until SET NOT NULL, ALTER COLUMN quarters_until SET NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON monitoring_statement_tens, monitoring_statement_quarters TO admin_app;
GRANT SELECT ON monitoring_statement_tens, monitoring_statement_quarters TO admin_explain;
