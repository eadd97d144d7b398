using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>The sampler on a real workload: deltas per statement, resets, table growth, pruning and leadership.</summary>
public sealed class StatisticsSamplerTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
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

    private async Task RunAsync(string sql, int times)
    {
        await using var session = await TestSession.OpenAsync(fixture.Database.Name, "sampler-test");
        for (var i = 0; i < times; i++) await session.ExecuteAsync(sql);
    }

    private async Task<long> QueryIdAsync(string marker) =>
        (await SlowQueries.LoadAsync(Target.DataSource, search: marker)).Statements.Single().QueryId;

    [Fact]
    public async Task Each_sample_stores_what_each_statement_did_since_the_previous_one_and_survives_a_reset()
    {
        var sampler = new StatisticsSampler(_console, "instance-a");
        var history = new StatisticsHistory(_console);
        var t0 = DateTimeOffset.UtcNow;

        await RunAsync("SELECT 'delta-probe' AS delta_probe", 1);
        var first = await sampler.SampleAsync(Target, t0, TableInterval);       // baseline: no delta for a first sight
        await RunAsync("SELECT 'delta-probe' AS delta_probe", 7);
        var second = await sampler.SampleAsync(Target, t0.AddMinutes(1), TableInterval);
        await SlowQueries.ResetAsync(Target.DataSource);
        await RunAsync("SELECT 'delta-probe' AS delta_probe", 3);
        var third = await sampler.SampleAsync(Target, t0.AddMinutes(2), TableInterval);

        Assert.Null(first.Error);
        Assert.True(first.Statements > 0);
        Assert.True(first.Tables > 0, "the first run samples tables");
        Assert.Equal(0, second.Tables); // not due again within the table interval
        Assert.True(second.Deltas >= 1);
        var queryId = await QueryIdAsync("delta_probe");
        var points = await history.StatementAsync(Target.Name, queryId, HistoryRange.Hour, t0.AddMinutes(3));
        Assert.Equal([7L, 3L], points.Select(p => p.Calls).ToArray()); // 7 between samples 1 and 2; 3 after the reset
        Assert.All(points, p => Assert.True(p.TotalMs >= 0));
        Assert.Equal(7, points[0].Rows);
        Assert.Contains("delta_probe", await history.StatementTextAsync(Target.Name, queryId));
        var last = await history.LastRunAsync(Target.Name);
        Assert.Equal("instance-a", last!.Instance);
        Assert.Equal(t0.AddMinutes(2).ToUnixTimeMilliseconds(), last.TakenAt.ToUnixTimeMilliseconds());
        Assert.Equal(third.Statements, last.Statements);
    }

    [Fact]
    public async Task Table_samples_show_growth_and_old_history_is_pruned()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("CREATE TABLE growth_probe (id int, filler text)");
        var sampler = new StatisticsSampler(_console, "instance-a");
        var history = new StatisticsHistory(_console);
        var t0 = DateTimeOffset.UtcNow.AddHours(-2);

        await sampler.SampleAsync(Target, t0, TableInterval);
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("INSERT INTO growth_probe SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g; ANALYZE growth_probe");
        await sampler.SampleAsync(Target, t0.AddMinutes(5), TableInterval);    // too soon for tables
        await sampler.SampleAsync(Target, t0.AddMinutes(16), TableInterval);

        var growth = await history.GrowthAsync(Target.Name, t0.AddMinutes(-1));
        var probe = growth["public.growth_probe"];
        Assert.True(probe.GrowthBytes > 4_000_000, $"grew {probe.GrowthBytes} bytes");
        var points = await history.TableAsync(Target.Name, "public", "growth_probe", HistoryRange.Day, t0.AddMinutes(20));
        Assert.Equal(2, points.Count);
        Assert.Equal(20_000, points[1].LiveTuples);

        var removed = await sampler.PruneAsync(t0.AddMinutes(10));

        Assert.True(removed > 0);
        var after = await history.TableAsync(Target.Name, "public", "growth_probe", HistoryRange.Day, t0.AddMinutes(20));
        Assert.Single(after);
        Assert.DoesNotContain(t0.ToUnixTimeMilliseconds(), after.Select(p => p.At.ToUnixTimeMilliseconds()));
    }

    [Fact]
    public async Task An_unreachable_target_is_recorded_as_a_failed_run_without_throwing()
    {
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString,
            new Dictionary<string, string> { ["nowhere"] = "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x" });
        var sampler = new StatisticsSampler(_console, "instance-a");

        var result = await sampler.SampleAsync(targets.Get("nowhere"), DateTimeOffset.UtcNow, TableInterval);

        Assert.NotNull(result.Error);
        var last = await new StatisticsHistory(_console).LastRunAsync("nowhere");
        Assert.Equal(result.Error, last!.Error);
    }

    [Fact]
    public async Task Only_one_instance_leads_and_another_takes_over_when_the_leaders_connection_dies()
    {
        const long key = 424_242;
        await using var a = new AdvisoryLeader(fixture.Database.AppConnectionString, key);
        await using var b = new AdvisoryLeader(fixture.Database.AppConnectionString, key);

        Assert.True(await a.TryLeadAsync());
        Assert.False(await b.TryLeadAsync());
        Assert.True(await a.TryLeadAsync()); // still the leader

        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
            await super.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'admin-sampler-leader' AND datname = current_database()");
        await Task.Delay(200);

        Assert.True(await b.TryLeadAsync());
        Assert.False(await a.TryLeadAsync()); // noticed its connection died and the lock is taken
        Assert.False(a.IsLeader);

        await b.ReleaseAsync();
        Assert.True(await a.TryLeadAsync());
    }
}
