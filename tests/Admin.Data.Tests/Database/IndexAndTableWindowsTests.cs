using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Index use over any window and tables compared across two windows (issue 16), from real sampler runs over real
/// statistics of this class's database, each test under a target name of its own (its own table samples).
/// </summary>
public sealed class IndexAndTableWindowsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly TimeSpan TableInterval = TimeSpan.FromMinutes(15);
    private NpgsqlDataSource _console = null!;

    public Task InitializeAsync()
    {
        _console = NpgsqlDataSource.Create(fixture.Database.AppConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _console.DisposeAsync();

    private async Task OwnerAsync(string sql)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync(sql + "; SELECT pg_stat_force_next_flush();");
    }

    /// <summary>Waits until the cumulative statistics show what <paramref name="sql"/> (one text) should read (they are flushed shortly after a transaction).</summary>
    private async Task WaitForAsync(string sql, string expected)
    {
        string? seen = null;
        for (var i = 0; i < 50; i++)
        {
            await using var command = _console.CreateCommand(sql);
            seen = (await command.ExecuteScalarAsync())?.ToString();
            if (seen == expected) return;
            await Task.Delay(100);
        }
        Assert.Fail($"{sql} read {seen}, never {expected}");
    }

    private const string IndexCounters =
        "SELECT idx_scan || '/' || idx_tup_read || '/' || idx_tup_fetch FROM pg_stat_user_indexes WHERE indexrelname = 'iw_probe_a'";

    /// <summary>
    /// Index scans of iw_probe_a reading <paramref name="rows"/> rows each, <paramref name="times"/> times, in one session
    /// (in the middle of the values: a bound near the ends makes the planner probe the index for the actual extremes).
    /// </summary>
    private async Task ScanAsync(int times, int rows)
    {
        await using var session = await TestSession.OpenAsync(fixture.Database.Name, "index-window-test");
        await session.ExecuteAsync("SET enable_seqscan = off; SET enable_bitmapscan = off");
        for (var i = 0; i < times; i++) await session.ExecuteAsync($"SELECT count(b) FROM iw_probe WHERE a BETWEEN 1000 AND {999 + rows}");
        await session.ExecuteAsync("SELECT pg_stat_force_next_flush()");
    }

    /// <summary>
    /// The window straight from the raw counters as sampled: per sample, what each counter gained since the index's
    /// previous sample, or the whole counter when any of them went down (a reset); nothing at an index's first sample.
    /// </summary>
    private async Task<Dictionary<string, (long Scans, long Read, long Fetched)>> DeltasAsync(string target, TimeWindow w)
    {
        await using var command = _console.CreateCommand("""
            WITH d AS (SELECT index_name, taken_at, idx_scan, idx_tup_read, idx_tup_fetch,
                              lag(idx_scan) OVER x AS ps, lag(idx_tup_read) OVER x AS pr, lag(idx_tup_fetch) OVER x AS pf
                         FROM monitoring_index_samples WHERE target = @target
                       WINDOW x AS (PARTITION BY schema_name, index_name ORDER BY taken_at))
            SELECT index_name,
                   sum(CASE WHEN ps IS NULL THEN 0 WHEN idx_scan < ps OR idx_tup_read < pr OR idx_tup_fetch < pf THEN idx_scan ELSE idx_scan - ps END)::bigint,
                   sum(CASE WHEN ps IS NULL THEN 0 WHEN idx_scan < ps OR idx_tup_read < pr OR idx_tup_fetch < pf THEN idx_tup_read ELSE idx_tup_read - pr END)::bigint,
                   sum(CASE WHEN ps IS NULL THEN 0 WHEN idx_scan < ps OR idx_tup_read < pr OR idx_tup_fetch < pf THEN idx_tup_fetch ELSE idx_tup_fetch - pf END)::bigint
              FROM d WHERE taken_at >= @from AND taken_at < @to GROUP BY index_name
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("from", w.From);
        command.Parameters.AddWithValue("to", w.To);
        var sums = new Dictionary<string, (long, long, long)>();
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) sums[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2), r.GetInt64(3));
        return sums;
    }

    [Fact]
    public async Task Index_use_over_any_window_is_the_sum_of_the_sampled_deltas_across_a_reset_and_unused_indexes_are_flagged()
    {
        const string target = "index-window";
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString,
            new Dictionary<string, string> { [target] = fixture.Database.AppConnectionString });
        await OwnerAsync("""
            CREATE TABLE iw_probe (id int PRIMARY KEY, a int, b text);
            CREATE INDEX iw_probe_a ON iw_probe (a);
            CREATE INDEX iw_probe_never ON iw_probe (b);
            INSERT INTO iw_probe SELECT g, g, md5(g::text) FROM generate_series(1, 2000) g; ANALYZE iw_probe
            """);
        var sampler = new StatisticsSampler(_console, "test");
        var windows = new StatisticsWindows(_console);
        var t0 = new DateTimeOffset(2026, 11, 20, 9, 3, 0, TimeSpan.Zero);
        async Task SampleAsync(int minutes) =>
            Assert.Null((await sampler.SampleAsync(targets.Get(target), t0.AddMinutes(minutes), TableInterval)).Error);

        await SampleAsync(0);
        await ScanAsync(3, 9);
        await WaitForAsync(IndexCounters, "3/27/27");
        await SampleAsync(15);
        await ScanAsync(2, 99);
        await WaitForAsync(IndexCounters, "5/225/225");
        await SampleAsync(30);
        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
            await super.ExecuteAsync("SELECT pg_stat_reset_single_table_counters('public.iw_probe_a'::regclass)");
        await ScanAsync(1, 49); // after the reset: every counter lower than at the last sample
        await WaitForAsync(IndexCounters, "1/49/49");
        await SampleAsync(45);
        await SampleAsync(60); // nothing since
        await SampleAsync(75);

        // Windows at odd minutes, on sample times, around the reset and after the last use.
        var checks = new[] { (-1, 90), (7, 38), (15, 30), (16, 31), (29, 46), (31, 47), (46, 90), (100, 130) };
        foreach (var (from, to) in checks)
        {
            var w = new TimeWindow(t0.AddMinutes(from), t0.AddMinutes(to));
            var expected = await DeltasAsync(target, w);
            var read = (await windows.IndexesAsync(target, w)).Indexes.Where(i => i.Schema == "public").ToList();
            Assert.Equal(expected.Keys.Order(), read.Select(i => i.Index).Order());
            foreach (var i in read)
                Assert.True(expected[i.Index] == (i.Scans, i.TuplesRead, i.TuplesFetched),
                    $"{i.Index} over {from}–{to} min: {(i.Scans, i.TuplesRead, i.TuplesFetched)}, the deltas say {expected[i.Index]}");
        }

        var whole = await windows.IndexesAsync(target, new TimeWindow(t0.AddMinutes(-1), t0.AddMinutes(90)));
        var a = whole.Indexes.Single(i => i.Index == "iw_probe_a");
        Assert.Equal((6L, 9 * 3 + 99 * 2 + 49L), (a.Scans, a.TuplesRead)); // 3 + 2 before the reset, 1 after it
        Assert.False(a.UnusedInWindow);
        Assert.True(whole.Indexes.Single(i => i.Index == "iw_probe_never").UnusedInWindow);
        Assert.Equal(t0, whole.FirstSample);
        Assert.Equal(t0.AddMinutes(75), whole.LastSample);

        // A window starting between samples counts the whole first sample in it (what happened since the one before).
        var late = (await windows.IndexesAsync(target, new TimeWindow(t0.AddMinutes(20), t0.AddMinutes(35)))).Indexes.Single(i => i.Index == "iw_probe_a");
        Assert.Equal((2L, 198L, 198L), (late.Scans, late.TuplesRead, late.TuplesFetched));
        var quiet = await windows.IndexesAsync(target, new TimeWindow(t0.AddMinutes(50), t0.AddMinutes(80)));
        Assert.True(quiet.Indexes.Single(i => i.Index == "iw_probe_a").UnusedInWindow);
        Assert.Equal(t0.AddMinutes(45), quiet.FirstSample); // the sample before the window is its baseline

        // One sample in the window and none before it: nothing measured, so not "unused" either.
        var first = (await windows.IndexesAsync(target, new TimeWindow(t0.AddMinutes(-5), t0.AddMinutes(5)))).Indexes.Single(i => i.Index == "iw_probe_never");
        Assert.Equal((null, false), (first.Scans, first.UnusedInWindow));

        var none = await windows.IndexesAsync(target, new TimeWindow(t0.AddDays(-2), t0.AddDays(-1)));
        Assert.Empty(none.Indexes);
        Assert.Null(none.LastSample);
    }

    [Fact]
    public async Task Tables_compared_across_two_windows_show_each_figures_change_ordered_by_it()
    {
        const string target = "table-compare";
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString,
            new Dictionary<string, string> { [target] = fixture.Database.AppConnectionString });
        await OwnerAsync("CREATE TABLE tc_busy (id int PRIMARY KEY, v int); CREATE TABLE tc_quiet (id int PRIMARY KEY, v int)");
        const string counts = """
            SELECT string_agg(relname || ':' || n_tup_ins || '/' || n_tup_upd || '/' || n_tup_del, ' ' ORDER BY relname)
              FROM pg_stat_user_tables WHERE relname IN ('tc_busy', 'tc_quiet')
            """;
        var sampler = new StatisticsSampler(_console, "test");
        var windows = new StatisticsWindows(_console);
        var t0 = new DateTimeOffset(2026, 11, 21, 14, 0, 0, TimeSpan.Zero);
        async Task SampleAsync(int minutes) =>
            Assert.Null((await sampler.SampleAsync(targets.Get(target), t0.AddMinutes(minutes), TableInterval)).Error);

        await SampleAsync(0);
        await OwnerAsync("INSERT INTO tc_busy SELECT g, 0 FROM generate_series(1, 100) g; INSERT INTO tc_quiet SELECT g, 0 FROM generate_series(1, 50) g");
        await WaitForAsync(counts, "tc_busy:100/0/0 tc_quiet:50/0/0");
        await SampleAsync(15);
        await OwnerAsync("""
            INSERT INTO tc_busy SELECT g, 0 FROM generate_series(101, 400) g; UPDATE tc_busy SET v = 1 WHERE id <= 30;
            DELETE FROM tc_busy WHERE id > 390
            """);
        await WaitForAsync(counts, "tc_busy:400/30/10 tc_quiet:50/0/0");
        await SampleAsync(30);

        // Before: the sample at 15 (what happened since 0); after: the sample at 30.
        var before = new TimeWindow(t0.AddMinutes(1), t0.AddMinutes(16));
        var after = new TimeWindow(t0.AddMinutes(16), t0.AddMinutes(31));
        var cmp = await windows.CompareTablesAsync(target, before, after, TableFigure.Inserts);
        var busy = cmp.Tables.Single(t => t.QualifiedName == "public.tc_busy");
        // Largest increase first (the console's own tables in this database change too, by the sampler's writes).
        AssertOrdered(cmp, descending: true);
        Assert.True(Position(cmp, "tc_busy") < Position(cmp, "tc_quiet"));
        Assert.Equal((100L, 300L), (busy.Before!.Inserts, busy.After!.Inserts));
        Assert.Equal(200, busy.Change(TableFigure.Inserts));
        Assert.Equal(200, busy.ChangePercent(TableFigure.Inserts));
        Assert.Equal((30.0, 10.0), (busy.Change(TableFigure.Updates), busy.Change(TableFigure.Deletes)));
        Assert.Null(busy.ChangePercent(TableFigure.Updates)); // none before: no %

        var down = await windows.CompareTablesAsync(target, before, after, TableFigure.Inserts, ascending: true);
        AssertOrdered(down, descending: false);
        Assert.True(Position(down, "tc_quiet") < Position(down, "tc_busy"));
        var quiet = down.Tables.Single(t => t.QualifiedName == "public.tc_quiet");
        Assert.Equal((-50.0, -100.0), (quiet.Change(TableFigure.Inserts), quiet.ChangePercent(TableFigure.Inserts)));

        // A "before" window twice as long (still only the sample at 15 in it) counts half against the after window.
        var longer = await windows.CompareTablesAsync(target, new TimeWindow(t0.AddMinutes(-14), t0.AddMinutes(16)), after, TableFigure.Inserts);
        Assert.Equal(300 - 100 * 0.5, longer.Tables.Single(t => t.QualifiedName == "public.tc_busy").Change(TableFigure.Inserts));

        // Windows that tile add up: the before and after windows together are the window over both.
        var both = (await windows.TablesAsync(target, new TimeWindow(before.From, after.To))).Tables.Single(t => t.QualifiedName == "public.tc_busy");
        Assert.Equal((400L, 30L, 10L), (both.Inserts, both.Updates, both.Deletes));
        Assert.Equal(both.GrowthBytes, busy.Before.GrowthBytes + busy.After.GrowthBytes);
    }

    private static int Position(TableComparisonReport report, string table) =>
        report.Tables.ToList().FindIndex(t => t.QualifiedName == "public." + table);

    private static void AssertOrdered(TableComparisonReport report, bool descending)
    {
        var changes = report.Tables.Select(t => t.Change(TableFigure.Inserts)).ToList();
        var known = changes.TakeWhile(c => c is not null).Select(c => c!.Value).ToList();
        Assert.All(changes.Skip(known.Count), c => Assert.Null(c)); // tables without the figure last
        Assert.Equal(descending ? known.OrderDescending() : known.Order(), known);
    }
}
