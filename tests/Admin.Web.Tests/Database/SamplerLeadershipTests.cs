using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Features.Database;
using Admin.Web.Live;
using Admin.Data.Database;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Admin.Web.Tests.Database;

/// <summary>Two app instances on one database: one samples, both hear each sample and show the same history, and the other takes over; retention.</summary>
public sealed class SamplerLeadershipTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private static Dictionary<string, string?> FastSampler(string name) => new()
    {
        ["Monitoring:Sampler:Interval"] = "00:00:01",
        ["Monitoring:Sampler:InstanceName"] = name,
    };

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();
    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<List<string>> InstancesSinceAsync(DateTimeOffset since)
    {
        await using var connection = await _db.OpenAppAsAdminAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT DISTINCT instance FROM monitoring_sampler_runs WHERE taken_at > @since", connection);
        command.Parameters.AddWithValue("since", since);
        var instances = new List<string>();
        await using var r = await command.ExecuteReaderAsync();
        while (await r.ReadAsync()) instances.Add(r.GetString(0));
        return instances;
    }

    private static Task<LiveEvent> NextSampleAsync(AdminAppFactory factory, out IDisposable subscription)
    {
        var heard = new TaskCompletionSource<LiveEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscription = factory.Services.GetRequiredService<LiveBus>().Subscribe("database", e =>
        {
            if (e.Kind == "sampled") heard.TrySetResult(e);
            return Task.CompletedTask;
        });
        return heard.Task;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.True(condition(), "condition not met within 15 s");
    }

    private sealed record Shown(SamplerRun Run, long QueryId, IReadOnlyList<(DateTimeOffset At, long Calls)> Points)
    {
        public bool Equals(Shown? other) => other is not null && Run == other.Run && QueryId == other.QueryId && Points.SequenceEqual(other.Points);
        public override int GetHashCode() => Run.GetHashCode();
    }

    /// <summary>What the statement page would show on an instance: the last sampler run and the history of the busiest statement.</summary>
    private static async Task<Shown> ShownAsync(AdminAppFactory factory, long? queryId = null)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        var id = queryId ?? (await queries.LoadAsync(null, StatementSort.Calls, 1, null)).Value!.Statements[0].QueryId;
        var points = await queries.HistoryAsync(null, id, HistoryRange.Hour);
        return new Shown((await queries.LastSampleAsync(null))!, id, points.Select(p => (p.At, p.Calls)).ToList());
    }

    /// <summary>Both instances' view between two samples (a sample landing in between makes it try again).</summary>
    private static async Task<(Shown, Shown)> SameMomentAsync(AdminAppFactory a, AdminAppFactory b)
    {
        for (var attempt = 1; ; attempt++)
        {
            var before = await ShownAsync(a);
            var other = await ShownAsync(b, before.QueryId);
            var after = await ShownAsync(a, before.QueryId);
            if (before == after || attempt == 5) return (after, other);
        }
    }

    [Fact]
    public async Task History_older_than_the_configured_retention_is_pruned_by_the_sampling_instance()
    {
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
                VALUES ('retention', 1, 'SELECT old', 1, 1, 1, 0, 0, now() - interval '3 hours', now() - interval '2 hours'),
                       ('retention', 2, 'SELECT recent', 1, 1, 1, 0, 0, now() - interval '3 hours', now() - interval '10 minutes');
                INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
                VALUES ('retention', 2, now() - interval '2 hours', 1, 1, 1, 0, 0), ('retention', 2, now() - interval '10 minutes', 1, 1, 1, 0, 0);
                INSERT INTO monitoring_table_samples (target, schema_name, table_name, taken_at, total_bytes, live_tuples, dead_tuples)
                VALUES ('retention', 'public', 't', now() - interval '2 hours', 1, 1, 0), ('retention', 'public', 't', now() - interval '10 minutes', 1, 1, 0);
                INSERT INTO monitoring_sampler_runs (target, taken_at, instance, duration_ms)
                VALUES ('retention', now() - interval '2 hours', 'old', 1), ('retention', now() - interval '10 minutes', 'recent', 1);
                """);

        await using var app = new AdminAppFactory(_db, demoSeed: false, new Dictionary<string, string?>(FastSampler("pruner"))
        {
            ["Monitoring:Sampler:Retention"] = "01:00:00",
        });
        _ = app.Server;
        Assert.Equal(TimeSpan.FromHours(1), app.Services.GetRequiredService<IOptions<SamplerOptions>>().Value.Retention);

        await using var connection = await _db.OpenAsync(TestPostgres.AppRole);
        async Task<string> LeftAsync() => await connection.ScalarAsync<string>("""
            SELECT concat_ws(' ',
                (SELECT string_agg(query, ',' ORDER BY queryid) FROM monitoring_statements WHERE target = 'retention'),
                (SELECT count(*) FROM monitoring_statement_deltas WHERE target = 'retention'),
                (SELECT count(*) FROM monitoring_table_samples WHERE target = 'retention'),
                (SELECT string_agg(instance, ',') FROM monitoring_sampler_runs WHERE target = 'retention'))
            """);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await LeftAsync() != "SELECT recent 1 1 recent" && DateTime.UtcNow < deadline) await Task.Delay(200);

        // What is older than an hour is gone, the last hour is kept.
        Assert.Equal("SELECT recent 1 1 recent", await LeftAsync());
    }

    [Fact]
    public async Task Only_the_leader_samples_both_instances_hear_it_and_the_other_takes_over_when_it_stops()
    {
        var start = DateTimeOffset.UtcNow;
        var first = new AdminAppFactory(_db, demoSeed: false, FastSampler("first"));
        await using var second = new AdminAppFactory(_db, demoSeed: false, FastSampler("second"));
        _ = first.Server;
        _ = second.Server;
        var firstState = first.Services.GetRequiredService<SamplerState>();
        var secondState = second.Services.GetRequiredService<SamplerState>();
        await WaitUntilAsync(() => firstState.IsLeader || secondState.IsLeader);
        Assert.False(firstState.IsLeader && secondState.IsLeader);

        var atFirst = NextSampleAsync(first, out var s1);
        var atSecond = NextSampleAsync(second, out var s2);
        using (s1)
        using (s2)
            await Task.WhenAll(atFirst, atSecond).WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(2500); // a few more ticks: still one sampler per tick
        var (leader, follower, leaderState, followerState) = firstState.IsLeader
            ? (first, second, firstState, secondState) : (second, first, secondState, firstState);
        Assert.Equal([leaderState.Instance], await InstancesSinceAsync(start));

        // Both instances show the same data: the panels' service reads one history, whichever instance serves the page.
        var (atLeader, atFollower) = await SameMomentAsync(leader, follower);
        Assert.Equal(atLeader, atFollower);
        Assert.Equal(leaderState.Instance, atLeader.Run.Instance);
        Assert.NotEmpty(atLeader.Points);

        await leader.DisposeAsync();
        await WaitUntilAsync(() => followerState.IsLeader);
        var takeover = DateTimeOffset.UtcNow;
        var next = NextSampleAsync(follower, out var s3);
        using (s3) await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(followerState.Instance, await InstancesSinceAsync(takeover.AddSeconds(-1)));
        if (leader != first) await first.DisposeAsync();
    }
}
