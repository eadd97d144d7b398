using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Features.Database;
using Admin.Web.Live;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Database;

/// <summary>Two app instances on one database: one samples, both hear each sample, and the other takes over.</summary>
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

        await leader.DisposeAsync();
        await WaitUntilAsync(() => followerState.IsLeader);
        var takeover = DateTimeOffset.UtcNow;
        var next = NextSampleAsync(follower, out var s3);
        using (s3) await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(followerState.Instance, await InstancesSinceAsync(takeover.AddSeconds(-1)));
        if (leader != first) await first.DisposeAsync();
    }
}
