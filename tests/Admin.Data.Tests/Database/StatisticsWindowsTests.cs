using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>Any time window of the sampled history: sums over the rollups, resets, coverage, comparisons and table scans.</summary>
public sealed class StatisticsWindowsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly TimeSpan TableInterval = TimeSpan.FromMinutes(15);
    private MonitoringTargets _targets = null!;
    private NpgsqlDataSource _console = null!;

    private MonitoringTarget Target => _targets.Default;

    public Task InitializeAsync()
    {
        _targets = new MonitoringTargets(fixture.Database.AppConnectionString, new Dictionary<string, string>());
        _console = NpgsqlDataSource.Create(fixture.Database.AppConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _targets.DisposeAsync();
        await _console.DisposeAsync();
    }

    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = _console.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Four days of synthetic deltas every 7 minutes for three statements of a made-up target, one run per sample for
    /// the coverage (not rolled up yet).
    /// </summary>
    private async Task<DateTimeOffset> PlantHistoryAsync(string target, DateTimeOffset start)
    {
        await ExecuteAsync("""
            INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
            SELECT @target, q, 'SELECT planted_' || q, 0, 0, 0, 0, 0, @start, @start FROM generate_series(1, 3) q;
            INSERT INTO monitoring_sampler_runs (target, taken_at, instance, duration_ms)
            SELECT @target, @start + g * interval '7 minutes', 'test', 1 FROM generate_series(0, 823) g;
            INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
            SELECT @target, q, @start + g * interval '7 minutes', q + g % 5, (q + g % 5) * (q * 1.5 + g % 3), g % 11, g, q
              FROM generate_series(1, 823) g, generate_series(1, 3) q
             WHERE (g + q) % 4 <> 0;
            """, ("target", target), ("start", start));
        return start + TimeSpan.FromMinutes(7 * 823);
    }

    /// <summary>The same window summed straight from the deltas (what the rollups must agree with).</summary>
    private async Task<Dictionary<long, (long Calls, double Ms, long Rows, long Hit, long Read)>> BruteForceAsync(string target, TimeWindow w)
    {
        await using var command = _console.CreateCommand("""
            SELECT queryid, sum(calls)::bigint, sum(total_ms), sum(rows)::bigint, sum(blks_hit)::bigint, sum(blks_read)::bigint
              FROM monitoring_statement_deltas WHERE target = @target AND taken_at >= @from AND taken_at < @to GROUP BY queryid
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("from", w.From);
        command.Parameters.AddWithValue("to", w.To);
        var sums = new Dictionary<long, (long, double, long, long, long)>();
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) sums[r.GetInt64(0)] = (r.GetInt64(1), r.GetDouble(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5));
        return sums;
    }

    [Fact]
    public async Task A_window_sums_whole_days_hours_and_edge_minutes_to_exactly_the_deltas_in_it()
    {
        const string target = "window-sums";
        var start = new DateTimeOffset(2026, 11, 20, 21, 13, 0, TimeSpan.Zero);
        var end = await PlantHistoryAsync(target, start);
        var sampler = new StatisticsSampler(_console, "test");
        var windows = new TimeWindow[]
        {
            new(start.AddHours(3).AddMinutes(17), start.AddDays(3).AddHours(1).AddMinutes(5)), // days, hours and minutes at both ends
            new(new(2026, 11, 22, 0, 0, 0, TimeSpan.Zero), new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero)), // one whole day
            new(start.AddHours(10).AddMinutes(2), start.AddHours(19).AddMinutes(41)), // hours and minutes, no day
            new(start.AddMinutes(40), start.AddMinutes(95)), // minutes only
            new(start.AddDays(-2), start.AddDays(9)), // wider than the history
            // Odd boundaries: minutes and seconds inside 10-minute slots, hours and 6-hour blocks at both ends
            new(start.AddHours(4).AddMinutes(3).AddSeconds(7), start.AddDays(2).AddHours(13).AddMinutes(58).AddSeconds(1)),
            new(start.AddHours(26).AddMinutes(51), start.AddHours(40).AddMinutes(9)), // 6-hour blocks, no day
        };
        var windowsData = new StatisticsWindows(_console);

        // Nothing rolled up, then hours and days up to the middle of the history, then all of it: the same sums each time.
        foreach (var (w, rolledUpTo) in windows.SelectMany(w => new DateTimeOffset?[] { null, start.AddDays(1).AddHours(7).AddMinutes(35), start.AddDays(2).AddHours(5), end.AddDays(1) }.Select(r => (w, r))))
        {
            if (rolledUpTo is { } until) await sampler.RollUpAsync(target, until);
            var report = await windowsData.StatementsAsync(target, w, top: 10);
            var expected = await BruteForceAsync(target, w);
            Assert.Equal(expected.Keys.Order(), report.Statements.Select(s => s.QueryId).Order());
            foreach (var s in report.Statements)
            {
                var e = expected[s.QueryId];
                Assert.Equal(e.Calls, s.Calls);
                Assert.Equal(e.Ms, s.TotalMs, 6);
                Assert.Equal((e.Rows, e.Hit, e.Read), (s.Rows, s.BlocksHit, s.BlocksRead));
                Assert.Equal($"SELECT planted_{s.QueryId}", s.Query);
            }
            Assert.Equal(expected.Values.Sum(v => v.Calls), report.TotalCalls);
            Assert.Equal(100, report.Statements.Sum(s => s.ShareOfTotal), 6);
        }

        await using (var count = _console.CreateCommand("""
            SELECT (SELECT count(*) FROM monitoring_statement_tens WHERE target = @t), (SELECT count(*) FROM monitoring_statement_hours WHERE target = @t),
                   (SELECT count(*) FROM monitoring_statement_quarters WHERE target = @t), (SELECT count(*) FROM monitoring_statement_days WHERE target = @t)
            """))
        {
            count.Parameters.AddWithValue("t", target);
            await using var r = await count.ExecuteReaderAsync();
            await r.ReadAsync();
            Assert.True(r.GetInt64(0) > 500 && r.GetInt64(1) > 90 && r.GetInt64(2) >= 30 && r.GetInt64(3) >= 9,
                $"{r.GetInt64(0)} 10-minute slots, {r.GetInt64(1)} hours, {r.GetInt64(2)} 6-hour blocks and {r.GetInt64(3)} days rolled up");
        }
        var byMean = await windowsData.StatementsAsync(target, windows[0], StatementSort.MeanTime);
        Assert.Equal(byMean.Statements.Select(s => s.MeanMs).OrderDescending(), byMean.Statements.Select(s => s.MeanMs));
        var searched = await windowsData.StatementsAsync(target, windows[0], search: "planted_2");
        Assert.Equal([2L], searched.Statements.Select(s => s.QueryId));
        Assert.Equal(3, searched.TotalStatements); // shares stay of every statement in the window
    }

    [Fact]
    public async Task A_window_reaching_outside_the_samples_says_so()
    {
        const string target = "window-coverage";
        var start = new DateTimeOffset(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
        var end = await PlantHistoryAsync(target, start);
        var windows = new StatisticsWindows(_console);

        var inside = await windows.CoverageAsync(target, new TimeWindow(start.AddHours(1), start.AddHours(2)));
        var before = await windows.CoverageAsync(target, new TimeWindow(start.AddHours(-5), start.AddHours(2)));
        var after = await windows.CoverageAsync(target, new TimeWindow(end.AddHours(-1), end.AddHours(3)));
        var none = await windows.CoverageAsync("never-sampled", new TimeWindow(start, end));

        var insideWindow = new TimeWindow(start.AddHours(1), start.AddHours(2));
        Assert.False(inside.StartsBefore(insideWindow));
        Assert.False(inside.EndsAfter(insideWindow, TimeSpan.FromMinutes(8)));
        Assert.Equal(9, inside.SamplesInWindow); // every 7 minutes: 60, 67, …, 116
        Assert.True(before.StartsBefore(new TimeWindow(start.AddHours(-5), start.AddHours(2))));
        Assert.Equal(start, before.First);
        Assert.True(after.EndsAfter(new TimeWindow(end.AddHours(-1), end.AddHours(3)), TimeSpan.FromMinutes(8)));
        Assert.Null(none.First);
        Assert.Equal(0, none.SamplesInWindow);
    }

    [Fact]
    public async Task A_comparison_shows_each_statements_change_and_marks_new_and_gone_ones()
    {
        const string target = "window-compare";
        var t = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        await ExecuteAsync("""
            INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
            VALUES (@target, 1, 'SELECT steady', 0, 0, 0, 0, 0, @t, @t), (@target, 2, 'SELECT slower', 0, 0, 0, 0, 0, @t, @t),
                   (@target, 3, 'SELECT gone', 0, 0, 0, 0, 0, @t, @t), (@target, 4, 'SELECT new', 0, 0, 0, 0, 0, @t, @t);
            INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read) VALUES
                (@target, 1, @t + interval '10 minutes', 100, 500, 100, 0, 0), (@target, 1, @t + interval '70 minutes', 100, 500, 100, 0, 0),
                (@target, 2, @t + interval '20 minutes', 10, 100, 10, 0, 0), (@target, 2, @t + interval '80 minutes', 20, 600, 20, 0, 0),
                (@target, 3, @t + interval '30 minutes', 5, 50, 5, 0, 0), (@target, 4, @t + interval '90 minutes', 7, 14, 7, 0, 0);
            """, ("target", target), ("t", t));
        var before = new TimeWindow(t, t.AddHours(1));
        var after = new TimeWindow(t.AddHours(1), t.AddHours(2));
        var windows = new StatisticsWindows(_console);

        var report = await windows.CompareAsync(target, before, after, ChangeSort.MeanPercent);

        Assert.Equal((4, 1, 1), (report.TotalStatements, report.NewStatements, report.GoneStatements));
        Assert.Equal([2L, 1L], report.Statements.Take(2).Select(s => s.QueryId)); // +200 %, then ±0; new/gone have no %
        var slower = report.Statements.Single(s => s.QueryId == 2);
        Assert.Equal((10.0, 30.0, 20.0, 200.0), (slower.BeforeMeanMs, slower.AfterMeanMs, slower.MeanChangeMs, slower.MeanChangePercent!.Value));
        Assert.Equal(100, slower.CallsChangePercent!.Value, 6);
        Assert.Equal(ChangeKind.Gone, report.Statements.Single(s => s.QueryId == 3).Kind);
        Assert.Equal(ChangeKind.New, report.Statements.Single(s => s.QueryId == 4).Kind);
        Assert.Equal("SELECT new", report.Statements.Single(s => s.QueryId == 4).Query);

        var byTotal = await windows.CompareAsync(target, before, after, ChangeSort.Total);
        Assert.Equal([2L, 4L, 1L, 3L], byTotal.Statements.Select(s => s.QueryId)); // +500, +14, 0, −50 ms
        var improvements = await windows.CompareAsync(target, before, after, ChangeSort.Total, ascending: true, top: 1);
        Assert.Equal([3L], improvements.Statements.Select(s => s.QueryId));

        // A "before" twice as long counts half its calls and time against the "after" window.
        var longer = await windows.CompareAsync(target, new TimeWindow(t.AddHours(-1), t.AddHours(1)), after, ChangeSort.Calls);
        Assert.Equal(100 - 100 * 0.5, longer.Statements.Single(s => s.QueryId == 1).CallsChange, 6);
    }

    private async Task RunAsync(string sql, int times)
    {
        await using var session = await TestSession.OpenAsync(fixture.Database.Name, "window-test");
        for (var i = 0; i < times; i++) await session.ExecuteAsync(sql);
        await session.ExecuteAsync("SELECT pg_stat_force_next_flush()");
        await session.ExecuteAsync("SELECT 1");
    }

    private async Task<(long Seq, long Idx)> ScansAsync(string table)
    {
        await using var command = _console.CreateCommand("SELECT coalesce(seq_scan, 0), coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = @t");
        command.Parameters.AddWithValue("t", table);
        await using var r = await command.ExecuteReaderAsync();
        await r.ReadAsync();
        return (r.GetInt64(0), r.GetInt64(1));
    }

    /// <summary>Waits until the cumulative statistics show the table's scans (they are flushed shortly after a transaction).</summary>
    private async Task WaitForScansAsync(string table, long seq, long idx)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await ScansAsync(table) == (seq, idx)) return;
            await Task.Delay(100);
        }
        Assert.Fail($"{table} showed {await ScansAsync(table)} scans, never ({seq}, {idx})");
    }

    [Fact]
    public async Task Table_and_index_scans_over_a_window_survive_a_reset_of_the_statistics()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                CREATE TABLE scan_probe (id int PRIMARY KEY, filler text);
                INSERT INTO scan_probe SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g; ANALYZE scan_probe;
                SELECT pg_stat_force_next_flush();
                """);
        var sampler = new StatisticsSampler(_console, "instance-a");
        var windows = new StatisticsWindows(_console);
        // Later than any other test's samples: tables are sampled only when none is newer than the table interval.
        var t0 = DateTimeOffset.UtcNow.AddHours(1);
        var (seq0, idx0) = await ScansAsync("scan_probe"); // creating the table may count scans of its own

        await sampler.SampleAsync(Target, t0, TableInterval);
        await RunAsync("SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM scan_probe", 3);
        await RunAsync("SET enable_seqscan = off; SELECT filler FROM scan_probe WHERE id = 42", 2);
        await WaitForScansAsync("scan_probe", seq0 + 3, idx0 + 2);
        await sampler.SampleAsync(Target, t0.AddMinutes(16), TableInterval);
        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
            await super.ExecuteAsync("""
                SELECT pg_stat_reset_single_table_counters('public.scan_probe'::regclass);
                SELECT pg_stat_reset_single_table_counters('public.scan_probe_pkey'::regclass); -- the table's idx_scan sums its indexes'
                """);
        await RunAsync("SET enable_indexscan = off; SET enable_bitmapscan = off; SELECT count(*) FROM scan_probe", 1);
        await WaitForScansAsync("scan_probe", 1, 0);
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("INSERT INTO scan_probe SELECT g, repeat('y', 100) FROM generate_series(5001, 9000) g; ANALYZE scan_probe");
        await sampler.SampleAsync(Target, t0.AddMinutes(32), TableInterval);

        var whole = await windows.TablesAsync(Target.Name, new TimeWindow(t0.AddMinutes(-1), t0.AddMinutes(40)));
        var probe = whole.Tables.Single(t => t.QualifiedName == "public.scan_probe");
        Assert.Equal((4L, 2L), (probe.SeqScans, probe.IndexScans)); // 3 + 2 before the reset, 1 + 0 after it
        Assert.Equal((5000L, 9000L), (probe.FirstRows, probe.LastRows));
        Assert.True(probe.GrowthBytes > 300_000, $"grew {probe.GrowthBytes} bytes");
        Assert.Equal(2L, whole.Indexes.Single(i => i.Index == "scan_probe_pkey").Scans);
        Assert.Equal(t0.ToUnixTimeMilliseconds(), whole.FirstSample!.Value.ToUnixTimeMilliseconds());

        // From the sample at 16 (the window's baseline: the last sample before it) to the one at 32.
        var afterReset = await windows.TablesAsync(Target.Name, new TimeWindow(t0.AddMinutes(20), t0.AddMinutes(40)));
        Assert.Equal((1L, 0L), (afterReset.Tables.Single(t => t.QualifiedName == "public.scan_probe").SeqScans,
            afterReset.Tables.Single(t => t.QualifiedName == "public.scan_probe").IndexScans));

        var empty = await windows.TablesAsync(Target.Name, new TimeWindow(t0.AddDays(-3), t0.AddDays(-2)));
        Assert.Empty(empty.Tables);
        Assert.Null(empty.FirstSample);
    }

    [Fact]
    public async Task Statement_calls_over_a_window_come_from_the_samplers_deltas_across_a_reset()
    {
        var sampler = new StatisticsSampler(_console, "instance-a");
        var windows = new StatisticsWindows(_console);
        var t0 = DateTimeOffset.UtcNow.AddHours(-2);

        await RunAsync("SELECT 'window-probe' AS window_probe", 2);
        var runs = new List<SampleResult> { await sampler.SampleAsync(Target, t0, TableInterval) }; // the baseline: calls before it are in no window
        await RunAsync("SELECT 'window-probe' AS window_probe", 5);
        runs.Add(await sampler.SampleAsync(Target, t0.AddMinutes(1), TableInterval));
        await SlowQueries.ResetAsync(Target.DataSource);
        await RunAsync("SELECT 'window-probe' AS window_probe", 4);
        runs.Add(await sampler.SampleAsync(Target, t0.AddMinutes(2), TableInterval));
        Assert.All(runs, r => Assert.Null(r.Error));

        var whole = await windows.StatementsAsync(Target.Name, new TimeWindow(t0, t0.AddMinutes(5)), search: "window_probe");
        var last = await windows.StatementsAsync(Target.Name, new TimeWindow(t0.AddMinutes(1.5), t0.AddMinutes(5)), search: "window_probe");

        Assert.Equal(9, whole.Statements.Single().Calls); // 5 before the reset, 4 after; not the 2 before the baseline
        Assert.Equal(9, whole.Statements.Single().Rows);
        Assert.Equal(4, last.Statements.Single().Calls);
        Assert.Equal(3, whole.Coverage.SamplesInWindow);
    }

    [Fact]
    public void A_windows_levels_nest_on_their_own_boundaries_and_stop_at_each_levels_mark()
    {
        var from = new DateTimeOffset(2026, 11, 20, 3, 17, 9, TimeSpan.Zero);
        var to = new DateTimeOffset(2026, 11, 27, 14, 42, 0, TimeSpan.Zero);
        var all = Enumerable.Repeat(DateTimeOffset.MaxValue, 4).ToArray();

        var spans = new TimeWindow(from, to).Levels(all);
        Assert.Equal((from.AddMinutes(2).AddSeconds(51), to.AddMinutes(-2)), spans[0]); // 03:20 to 14:40
        Assert.Equal((from.AddMinutes(42).AddSeconds(51), to.AddMinutes(-42)), spans[1]); // 04:00 to 14:00
        Assert.Equal((new DateTimeOffset(2026, 11, 20, 6, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero)), spans[2]);
        Assert.Equal((new DateTimeOffset(2026, 11, 21, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero)), spans[3]);

        // Days rolled up to the 25th, 6-hour blocks to 25th 18:00, hours to 26th 09:00, 10-minute slots to 26th 09:27.
        var marks = new[]
        {
            new DateTimeOffset(2026, 11, 26, 9, 27, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero),
            new DateTimeOffset(2026, 11, 25, 18, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero),
        };
        var partial = new TimeWindow(from, to).Levels(marks);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 9, 20, 0, TimeSpan.Zero), partial[0].End);
        Assert.Equal(marks[1], partial[1].End);
        Assert.Equal(marks[2], partial[2].End);
        Assert.Equal(marks[3], partial[3].End);

        // Too short for a level: it and every coarser one read nothing (an empty span at the finer level's end).
        var short_ = new TimeWindow(from, from.AddMinutes(50)).Levels(all);
        Assert.Equal((from.AddMinutes(2).AddSeconds(51), from.AddMinutes(42).AddSeconds(51)), short_[0]); // 03:20 to 04:00
        Assert.All(short_.Skip(1), s => Assert.Equal((short_[0].End, short_[0].End), s));
        var none = new TimeWindow(from, from.AddMinutes(5)).Levels(all);
        Assert.All(none, s => Assert.Equal((from.AddMinutes(5), from.AddMinutes(5)), s));
    }

    [Fact]
    public async Task Rolling_up_run_by_run_with_a_gap_writes_every_level_exactly_as_rolling_up_at_once()
    {
        var start = new DateTimeOffset(2026, 10, 3, 22, 41, 0, TimeSpan.Zero);
        var end = await PlantHistoryAsync("rollup-once", start);
        await PlantHistoryAsync("rollup-runs", start);
        var sampler = new StatisticsSampler(_console, "test");

        await sampler.RollUpAsync("rollup-once", end.AddDays(1));
        // (Planted times are multiples of 0.5 ms: float sums are exact whatever the order, so rows compare equal.)
        // A run every 53 minutes, none for 30 hours in the middle (the sampler stopped), then each run twice.
        for (var t = start; t < end.AddDays(1); t = t.AddMinutes(53))
        {
            if (t > start.AddDays(1) && t < start.AddDays(1).AddHours(30)) continue;
            await sampler.RollUpAsync("rollup-runs", t);
            await sampler.RollUpAsync("rollup-runs", t);
        }

        foreach (var level in RollupLevel.All)
        {
            await using var command = _console.CreateCommand($"""
                SELECT count(*), (SELECT count(*) FROM {level.Table} WHERE target = 'rollup-once') FROM (
                    (SELECT {level.Column}, queryid, calls, total_ms, rows, blks_hit, blks_read FROM {level.Table} WHERE target = 'rollup-once'
                     EXCEPT ALL
                     SELECT {level.Column}, queryid, calls, total_ms, rows, blks_hit, blks_read FROM {level.Table} WHERE target = 'rollup-runs')
                    UNION ALL
                    (SELECT {level.Column}, queryid, calls, total_ms, rows, blks_hit, blks_read FROM {level.Table} WHERE target = 'rollup-runs'
                     EXCEPT ALL
                     SELECT {level.Column}, queryid, calls, total_ms, rows, blks_hit, blks_read FROM {level.Table} WHERE target = 'rollup-once')) x
                """);
            await using var r = await command.ExecuteReaderAsync();
            await r.ReadAsync();
            Assert.True(r.GetInt64(1) > 0, $"{level.Table} has rows");
            Assert.True(r.GetInt64(0) == 0, $"{level.Table}: {r.GetInt64(0)} rows differ");
        }
    }

    private const string RollupProbe = "SELECT 'rollup-probe' AS rollup_probe, 2 AS two, 3 AS three";

    [Fact]
    public async Task The_samplers_run_rolls_up_each_hour_once_it_has_ended_and_a_window_reads_it_with_the_minutes_after()
    {
        // A target of its own (the same database under another name), so its roll-up marks start with this test. Its
        // statement has a shape of its own: pg_stat_statements ignores column aliases, so SELECT $1 AS x would be the other test's.
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString,
            new Dictionary<string, string> { ["rollup-probe"] = fixture.Database.AppConnectionString });
        var target = targets.Get("rollup-probe");
        var sampler = new StatisticsSampler(_console, "instance-a");
        var windows = new StatisticsWindows(_console);
        var ten = new DateTimeOffset(2026, 11, 10, 10, 0, 0, TimeSpan.Zero);

        await RunAsync(RollupProbe, 1);
        await sampler.SampleAsync(target, ten.AddMinutes(50), TableInterval);
        await RunAsync(RollupProbe, 3);
        await sampler.SampleAsync(target, ten.AddMinutes(55), TableInterval);
        await RunAsync(RollupProbe, 2);
        await sampler.SampleAsync(target, ten.AddMinutes(65), TableInterval); // 10:00–11:00 has ended: rolled up now

        var queryId = (await windows.StatementsAsync("rollup-probe", new TimeWindow(ten, ten.AddHours(2)), search: "rollup_probe")).Statements.Single().QueryId;
        await using (var hours = _console.CreateCommand("SELECT hour, calls FROM monitoring_statement_hours WHERE target = 'rollup-probe' AND queryid = @q"))
        {
            hours.Parameters.AddWithValue("q", queryId);
            await using var r = await hours.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync());
            Assert.Equal((ten, 3L), (r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1)));
            Assert.False(await r.ReadAsync()); // 11:00–12:00 has not ended
        }
        Assert.Equal(3, (await windows.StatementsAsync("rollup-probe", new TimeWindow(ten, ten.AddHours(1)), search: "rollup_probe")).Statements.Single().Calls);
        Assert.Equal(5, (await windows.StatementsAsync("rollup-probe", new TimeWindow(ten, ten.AddMinutes(70)), search: "rollup_probe")).Statements.Single().Calls);
        Assert.Equal(2, (await windows.StatementsAsync("rollup-probe", new TimeWindow(ten.AddMinutes(60), ten.AddMinutes(70)), search: "rollup_probe")).Statements.Single().Calls);
    }
}
