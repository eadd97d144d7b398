using System.Diagnostics;
using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Bench;

/// <summary>
/// The Database panels over any window (issue 16) on 7 days of synthetic samples of 5,000 statements, 200 tables and
/// 600 indexes: 100 statements called every minute, 900 every 10 minutes, 4,000 every 6 hours (2 million deltas,
/// rolled up per 10 minutes, hour, 6 hours and day as the sampler does once they have ended); tables every 15 minutes.
/// </summary>
public static class DatabaseWindowBench
{
    private const string Target = "bench-window";
    private const int Runs = 20;

    public static async Task RunAsync()
    {
        Console.WriteLine();
        Console.WriteLine("Database panels over a window (7 days of samples: 5,000 statements, 200 tables, 600 indexes)");
        // Printed so figures can be compared: the machine is shared.
        Report.Line("load average (1, 5, 15 min) at the start", File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "unknown");
        await Scratch.RunAsync(RunAsync);
    }

    public static async Task RunAsync(TestDatabase db)
    {
        await using var console = NpgsqlDataSource.Create(db.AppConnectionString);
        // "Now" a few seconds into a minute, so windows have edges in minutes, hours and days.
        var now = DateTimeOffset.UtcNow;
        now = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMinute, TimeSpan.Zero).AddSeconds(7);
        var start = now.AddDays(-7);

        var clock = Stopwatch.StartNew();
        await using (var connection = await console.OpenConnectionAsync())
        {
            await using (var texts = new NpgsqlCommand("""
                INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
                SELECT @target, q, 'SELECT a, b FROM bench_t' || (q % 200) || ' WHERE c = $1 /* shape ' || q || ' */', 0, 0, 0, 0, 0, @start, @now
                  FROM generate_series(1, 5000) q;
                INSERT INTO monitoring_sampler_runs (target, taken_at, instance, duration_ms, statements)
                SELECT @target, @start + g * interval '1 minute', 'bench', 200, 5000 FROM generate_series(0, 10079) g;
                """, connection))
            {
                texts.Parameters.AddWithValue("target", Target);
                texts.Parameters.AddWithValue("start", start);
                texts.Parameters.AddWithValue("now", now);
                await texts.ExecuteNonQueryAsync();
            }
            // One day per statement.
            for (var d = 0; d < 7; d++)
            {
                await using var deltas = new NpgsqlCommand("""
                    INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
                    SELECT @target, q, @from + m * interval '1 minute', 1 + (q * 7 + m) % 13, (1 + (q * 7 + m) % 13) * (0.05 + (q % 97) * 0.3),
                           (q + m) % 50, 10 * (q % 31), (q + m) % 3
                      FROM generate_series(0, 1439) m, generate_series(1, 5000) q
                     WHERE q <= 100 OR (q <= 1000 AND (m + q) % 10 = 0) OR (m + q * 7) % 360 = 0
                    """, connection) { CommandTimeout = 600 };
                deltas.Parameters.AddWithValue("target", Target);
                deltas.Parameters.AddWithValue("from", start.AddDays(d));
                await deltas.ExecuteNonQueryAsync();
            }
            await using (var tables = new NpgsqlCommand("""
                INSERT INTO monitoring_table_samples (target, schema_name, table_name, taken_at, total_bytes, live_tuples, dead_tuples,
                                                      seq_scan, idx_scan, seq_scan_total, idx_scan_total,
                                                      n_tup_ins, n_tup_upd, n_tup_del, n_tup_ins_total, n_tup_upd_total, n_tup_del_total)
                SELECT @target, 'public', 'bench_t' || t, @start + s * interval '15 minutes', 8192 * (100 + t * s), 50 * (100 + t * s), t,
                       s * (t % 5), s * t * 3, s * (t % 5), s * t * 3,
                       50 * t * s, s * (t % 7), s * (t % 3), 50 * t * s, s * (t % 7), s * (t % 3)
                  FROM generate_series(1, 200) t, generate_series(0, 671) s;
                -- Every fifth index never scanned (unused in any window).
                INSERT INTO monitoring_index_samples (target, schema_name, table_name, index_name, taken_at, idx_scan, idx_scan_total,
                                                      idx_tup_read, idx_tup_fetch, idx_tup_read_total, idx_tup_fetch_total)
                SELECT @target, 'public', 'bench_t' || t, 'bench_t' || t || '_' || i, @start + s * interval '15 minutes',
                       n, n, n * 40, n * 30, n * 40, n * 30
                  FROM generate_series(1, 200) t, generate_series(1, 3) i, generate_series(0, 671) s,
                       LATERAL (SELECT CASE WHEN (t * 3 + i) % 5 = 0 THEN 0 ELSE s * t * i END AS n) x;
                ANALYZE monitoring_statements, monitoring_statement_deltas, monitoring_statement_tens, monitoring_statement_hours,
                        monitoring_statement_quarters, monitoring_statement_days,
                        monitoring_table_samples, monitoring_index_samples, monitoring_sampler_runs;
                """, connection) { CommandTimeout = 600 })
            {
                tables.Parameters.AddWithValue("target", Target);
                tables.Parameters.AddWithValue("start", start);
                await tables.ExecuteNonQueryAsync();
            }
            var rollUp = Stopwatch.StartNew();
            await new StatisticsSampler(console, "bench").RollUpAsync(Target, now);
            Report.Line("rolling up 7 days at once (a sampler run does one hour)", $"{rollUp.ElapsedMilliseconds} ms");
            // What autovacuum does for these insert-only tables (their pages all-visible: index-only reads).
            await using (var analyze = new NpgsqlCommand("VACUUM ANALYZE monitoring_statement_tens, monitoring_statement_hours, monitoring_statement_quarters, monitoring_statement_days", connection))
                await analyze.ExecuteNonQueryAsync();
            await using var counts = new NpgsqlCommand("""
                SELECT (SELECT count(*) FROM monitoring_statement_deltas), (SELECT count(*) FROM monitoring_statement_tens),
                       (SELECT count(*) FROM monitoring_statement_hours), (SELECT count(*) FROM monitoring_statement_quarters),
                       (SELECT count(*) FROM monitoring_statement_days)
                """, connection);
            await using var r = await counts.ExecuteReaderAsync();
            await r.ReadAsync();
            Report.Line("7 days of samples written", $"{clock.Elapsed.TotalSeconds:0} s; {r.GetInt64(0):N0} deltas; rollups: {r.GetInt64(1):N0} of 10 minutes, {r.GetInt64(2):N0} hourly, {r.GetInt64(3):N0} of 6 hours, {r.GetInt64(4):N0} daily");
        }

        var windows = new StatisticsWindows(console);
        var week = new TimeWindow(now.AddDays(-7), now);
        var day = new TimeWindow(now.AddDays(-1), now);
        var dayBefore = new TimeWindow(now.AddDays(-2), now.AddDays(-1));
        foreach (var (label, window, sort) in new[]
                 {
                     ("Window list, last 7 days, top 50 by total time", week, StatementSort.TotalTime),
                     ("Window list, last 7 days, top 50 by mean time", week, StatementSort.MeanTime),
                     ("Window list, last 24 hours, top 50 by total time", day, StatementSort.TotalTime),
                 })
        {
            var list = await Timing.PerOperationAsync(Runs, () => windows.StatementsAsync(Target, window, sort));
            Report.Goal(label, $"p50 {list.P50:0.0} ms, p95 {list.P95:0.0} ms", "< 100 ms", list.P95 < 100);
        }
        var halves = await Timing.PerOperationAsync(Runs, () => windows.CompareAsync(Target, new TimeWindow(now.AddDays(-7), now.AddDays(-3.5)),
            new TimeWindow(now.AddDays(-3.5), now), ChangeSort.Mean));
        Report.Goal("Comparison, 3.5 days vs the 3.5 days before, by mean change", $"p50 {halves.P50:0.0} ms, p95 {halves.P95:0.0} ms", "< 100 ms", halves.P95 < 100);
        var days = await Timing.PerOperationAsync(Runs, () => windows.CompareAsync(Target, dayBefore, day, ChangeSort.Total));
        Report.Goal("Comparison, last 24 h vs the 24 h before, by total change", $"p50 {days.P50:0.0} ms, p95 {days.P95:0.0} ms", "< 100 ms", days.P95 < 100);
        var tableWindow = await Timing.PerOperationAsync(Runs, () => windows.TablesAsync(Target, week));
        Report.Goal("Tables over 7 days (growth, scans; 200 tables, 600 indexes)", $"p50 {tableWindow.P50:0.0} ms, p95 {tableWindow.P95:0.0} ms", "< 100 ms", tableWindow.P95 < 100);
        // Windows at odd minutes, as a custom range gives them.
        var odd = new TimeWindow(now.AddDays(-6).AddMinutes(-37), now.AddMinutes(-23));
        foreach (var (label, window) in new[] { ("Index use over 7 days (600 indexes)", week), ("Index use over 24 hours", day), ("Index use over an odd 6-day range", odd) })
        {
            var read = await Timing.PerOperationAsync(Runs, () => windows.IndexesAsync(Target, window));
            Report.Goal(label, $"p50 {read.P50:0.0} ms, p95 {read.P95:0.0} ms", "< 100 ms", read.P95 < 100);
        }
        var unused = (await windows.IndexesAsync(Target, week)).Indexes.Count(i => i.UnusedInWindow);
        Report.Line("  indexes unused in the last 7 days", $"{unused:N0} of 600");
        var tablesDays = await Timing.PerOperationAsync(Runs, () => windows.CompareTablesAsync(Target, dayBefore, day, TableFigure.SeqScans));
        Report.Goal("Tables compared, last 24 h vs the 24 h before, by seq scans", $"p50 {tablesDays.P50:0.0} ms, p95 {tablesDays.P95:0.0} ms", "< 100 ms", tablesDays.P95 < 100);
        var tablesHalves = await Timing.PerOperationAsync(Runs, () => windows.CompareTablesAsync(Target, new TimeWindow(now.AddDays(-7), now.AddDays(-3.5)),
            new TimeWindow(now.AddDays(-3.5), now), TableFigure.Growth));
        Report.Goal("Tables compared, 3.5 days vs the 3.5 days before, by growth", $"p50 {tablesHalves.P50:0.0} ms, p95 {tablesHalves.P95:0.0} ms", "< 100 ms", tablesHalves.P95 < 100);

        await RegressionsAsync(db, console, windows, now);
    }

    /// <summary>
    /// Deploy-aware regressions over the same samples with the large deployment seed (50,000 deployments over 180
    /// days): the sampler's copy of the events, evaluating the last 7 days' production deployments once (what the
    /// sampler does as each after window ends), then the reads of the pages: the Regressions list of 7 days, the markers
    /// of a 7-day chart and one deployment's live comparison (the deployment page and the Regressions detail).
    /// </summary>
    private static async Task RegressionsAsync(TestDatabase db, NpgsqlDataSource console, StatisticsWindows windows, DateTimeOffset now)
    {
        var clock = Stopwatch.StartNew();
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
        {
            var seeded = await Admin.Data.Deployments.DeploymentSeeder.SeedAsync(owner, Admin.Data.Deployments.DeploymentSeedShape.Large);
            Report.Line("large deployment seed", $"{seeded.Deployments:N0} deployments in {clock.Elapsed.TotalSeconds:0} s");
        }
        var regressions = new DeployRegressions(console, windows, new RegressionOptions { EvaluatePerRun = 100_000 });
        var sync = Stopwatch.StartNew();
        var copied = await regressions.SyncEventsAsync(now);
        Report.Line("sampler: copying 7 days of finished deployments (first run)", $"{sync.ElapsedMilliseconds} ms, {copied:N0} events");
        var again = await Timing.PerOperationAsync(5, () => regressions.SyncEventsAsync(now));
        Report.Line("sampler: the same copy with nothing new (each run)", $"p50 {again.P50:0.0} ms, max {again.Max:0.0} ms");
        var evaluate = Stopwatch.StartNew();
        var evaluated = await regressions.EvaluatePendingAsync(Target, now);
        Report.Line("evaluating the 7 days' production deployments once", $"{evaluate.Elapsed.TotalSeconds:0.0} s for {evaluated:N0} ({(evaluated == 0 ? 0 : evaluate.ElapsedMilliseconds / (double)evaluated):0} ms each)");
        var week = new TimeWindow(now.AddDays(-7), now);
        var list = await Timing.PerOperationAsync(Runs, () => regressions.ListAsync(Target, week));
        var rows = await regressions.ListAsync(Target, week);
        Report.Goal($"Regressions list, last 7 days ({rows.Count:N0} deployments, {rows.Count(r => r.Regressions > 0):N0} with regressions)",
            $"p50 {list.P50:0.0} ms, p95 {list.P95:0.0} ms", "< 100 ms", list.P95 < 100);
        var markers = await Timing.PerOperationAsync(Runs, () => regressions.MarkersAsync(week));
        Report.Goal("Deploy markers of a 7-day chart", $"p50 {markers.P50:0.0} ms, p95 {markers.P95:0.0} ms", "< 100 ms", markers.P95 < 100);
        var latest = rows.First(r => r.Regressions is not null).Event;
        var one = await Timing.PerOperationAsync(Runs, () => regressions.EvaluateAsync(Target, latest, now));
        Report.Goal("One deployment's comparison (deployment page, Regressions detail)", $"p50 {one.P50:0.0} ms, p95 {one.P95:0.0} ms", "< 100 ms", one.P95 < 100);
        var alert = await Timing.PerOperationAsync(Runs, () => regressions.RegressionsAsync(Target, now.AddHours(-3), now));
        Report.Goal("Alert read: evaluations of the last 3 hours", $"p50 {alert.P50:0.0} ms, p95 {alert.P95:0.0} ms", "< 50 ms", alert.P95 < 50);
    }
}
