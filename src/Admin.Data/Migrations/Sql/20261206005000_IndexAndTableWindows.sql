-- 20261206005000_IndexAndTableWindows
-- Index use over any window and tables compared across two windows (issue 16). Written by the sampler with each table
-- sample (StatisticsSampler), read by StatisticsWindows.IndexesAsync and TablesAsync/CompareTablesAsync.
--
-- Per index the tuples its scans read and fetched (pg_stat_user_indexes.idx_tup_read, idx_tup_fetch), per table the
-- rows inserted, updated and deleted (pg_stat_user_tables.n_tup_ins/upd/del), each as read and as a running total that
-- survives a reset, like the scans of 20261205000900: a window's figure is the running total at its last sample minus
-- the one at the sample before it, two probes whatever the window's length, so these samples need no rollup levels.
-- Rows sampled before this migration have none (NULL): the next sample starts the totals at 0.
ALTER TABLE monitoring_index_samples
    ADD COLUMN idx_tup_read bigint, ADD COLUMN idx_tup_fetch bigint,
    ADD COLUMN idx_tup_read_total bigint, ADD COLUMN idx_tup_fetch_total bigint;

ALTER TABLE monitoring_table_samples
    ADD COLUMN n_tup_ins bigint, ADD COLUMN n_tup_upd bigint, ADD COLUMN n_tup_del bigint,
    ADD COLUMN n_tup_ins_total bigint, ADD COLUMN n_tup_upd_total bigint, ADD COLUMN n_tup_del_total bigint;
