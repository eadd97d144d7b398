using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>pg_stat_statements of the test database, read as admin_app (pg_monitor), after a real workload.</summary>
public sealed class SlowQueriesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private MonitoringTargets _targets = null!;
    private NpgsqlDataSource Monitoring => _targets.Default.DataSource;

    public Task InitializeAsync()
    {
        _targets = new MonitoringTargets(fixture.Database.AppConnectionString, new Dictionary<string, string>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _targets.DisposeAsync();

    [Fact]
    public async Task A_slow_pg_sleep_query_tops_the_mean_time_list_with_its_calls_and_normalised_text()
    {
        // pg_stat_statements is one table for the whole server, shared with every other test database: when it is full,
        // an eviction between a statement's parse and its end stores that statement's raw text. A run that overlapped
        // an eviction starts again once, from this database's own reset.
        for (var attempt = 1; ; attempt++)
        {
            var evictions = await EvictionsAsync();
            if (attempt > 1) await SlowQueries.ResetAsync(Monitoring);
            await using (var session = await TestSession.OpenAsync(fixture.Database.Name, "slow-queries-test"))
            {
                await session.ExecuteAsync("SELECT pg_sleep(0.25), 'slow-probe' AS probe");
                await session.ExecuteAsync("SELECT pg_sleep(0.25), 'slow-probe' AS probe");
                for (var i = 0; i < 40; i++) await session.ExecuteAsync($"SELECT {i} AS fast_probe");
            }
            if (attempt == 2 || await EvictionsAsync() == evictions) break;
        }

        var byMean = await SlowQueries.LoadAsync(Monitoring, StatementSort.MeanTime, top: 5);
        var slow = byMean.Statements[0];
        Assert.Contains("pg_sleep", slow.Query);
        Assert.Contains("$1", slow.Query); // constants are normalised
        Assert.Equal(2, slow.Calls);
        Assert.InRange(slow.MeanMs, 240, 5_000);
        Assert.InRange(slow.TotalMs, 480, 10_000);
        Assert.Contains(TestPostgres.OwnerRole, slow.Roles);

        var byCalls = await SlowQueries.LoadAsync(Monitoring, StatementSort.Calls, top: 500);
        var fast = Assert.Single(byCalls.Statements, s => s.Query.Contains("fast_probe"));
        Assert.Equal(40, fast.Calls);
        Assert.Equal(40, fast.Rows);
        var order = byCalls.Statements.ToList();
        Assert.True(order.IndexOf(fast) < order.FindIndex(s => s.Query.Contains("pg_sleep")), "more calls sort first");
        Assert.True(byCalls.TotalStatements >= 2);
        Assert.True(byCalls.TotalCalls >= 42);
        // Top 500 covers every statement here; the totals are read a moment later and include the ranking query itself.
        Assert.InRange(byCalls.Statements.Sum(s => s.ShareOfTotal), 90.0, 100.01);
    }

    [Fact]
    public async Task Search_filters_by_statement_text_and_treats_wildcards_literally()
    {
        // pg_stat_statements' 10,000 entries are shared by every test database of the cluster: a new entry can be
        // evicted before it is read, so the probe runs again (up to three times) until it is seen.
        StatementReport found = null!;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await using (var session = await TestSession.OpenAsync(fixture.Database.Name, "slow-queries-search"))
                await session.ExecuteAsync("SELECT 1 AS needle_in_haystack");
            found = await SlowQueries.LoadAsync(Monitoring, search: "needle_in");
            if (found.Statements.Count > 0) break;
        }
        Assert.Single(found.Statements);
        Assert.Contains("needle_in_haystack", found.Statements[0].Query);

        var literal = await SlowQueries.LoadAsync(Monitoring, search: "needle%haystack");
        Assert.Empty(literal.Statements);
    }

    [Fact]
    public async Task Reset_forgets_this_databases_statements_only()
    {
        await using var other = await TestDatabase.CreateAsync();
        foreach (var db in new[] { fixture.Database.Name, other.Name })
        {
            await using var session = await TestSession.OpenAsync(db, "slow-queries-reset");
            await session.ExecuteAsync("SELECT 1 AS reset_probe");
        }
        await using var otherTargets = new MonitoringTargets(other.AppConnectionString, new Dictionary<string, string>());

        await SlowQueries.ResetAsync(Monitoring);

        var mine = await SlowQueries.LoadAsync(Monitoring, search: "reset_probe");
        var theirs = await SlowQueries.LoadAsync(otherTargets.Default.DataSource, search: "reset_probe");
        Assert.Empty(mine.Statements);
        Assert.Single(theirs.Statements);
        Assert.NotNull(mine.StatsReset);
    }

    [Fact]
    public async Task A_database_without_the_extension_gets_an_explanation_not_an_error()
    {
        await using var bare = await TestDatabase.CreateEmptyAsync(statements: false);
        await using var targets = new MonitoringTargets(bare.AppConnectionString, new Dictionary<string, string>());

        var e = await Assert.ThrowsAsync<StatementsUnavailableException>(() => SlowQueries.LoadAsync(targets.Default.DataSource));
        Assert.Equal(SlowQueries.MissingExtension, e.Message);
        Assert.Contains("CREATE EXTENSION pg_stat_statements", e.Message);
    }

    private async Task<long> EvictionsAsync()
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name);
        await using var command = new NpgsqlCommand("SELECT dealloc FROM pg_stat_statements_info", super);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
