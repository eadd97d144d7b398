using System.Diagnostics;
using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Live;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Live;

/// <summary>NOTIFY from a plain SQL session -> the app's listener -> the in-process bus that components subscribe to.</summary>
public sealed class LivePipelineTests : IAsyncLifetime
{
    private TestDatabase _db = default!;

    public async Task InitializeAsync() => _db = await TestDatabase.CreateAsync();
    public async Task DisposeAsync() => await _db.DisposeAsync();

    private static async Task WaitConnectedAsync(AdminAppFactory factory)
    {
        var bus = factory.Services.GetRequiredService<LiveBus>();
        var deadline = Stopwatch.StartNew();
        while (bus.State != ListenerState.Connected)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("listener never connected");
            await Task.Delay(20);
        }
    }

    private async Task NotifyFromSqlAsync(string topic, string id)
    {
        await using var connection = await _db.OpenAppAsAdminAsync();
        await connection.ExecuteAsync($"SELECT live_notify('{topic}', '{id}', 'updated')");
    }

    private static Task<LiveEvent> NextEventAsync(AdminAppFactory factory, string topic, string id, out IDisposable subscription)
    {
        var received = new TaskCompletionSource<LiveEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscription = factory.Services.GetRequiredService<LiveBus>().Subscribe(topic, e =>
        {
            if (e.Id == id) received.TrySetResult(e);
            return Task.CompletedTask;
        });
        return received.Task;
    }

    [Fact]
    public async Task Notify_from_sql_reaches_a_bus_subscriber_within_one_second()
    {
        await using var factory = new AdminAppFactory(_db, demoSeed: false);
        _ = factory.Server;
        await WaitConnectedAsync(factory);
        var arrival = NextEventAsync(factory, "content", "42", out var subscription);
        using (subscription)
        {
            var clock = Stopwatch.StartNew();
            await NotifyFromSqlAsync("content", "42");
            var e = await arrival.WaitAsync(TimeSpan.FromSeconds(5));
            clock.Stop();

            Assert.Equal("content", e.Topic);
            Assert.Equal("updated", e.Kind);
            Assert.NotNull(e.At);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
        }
    }

    [Fact]
    public async Task Every_app_instance_on_the_database_hears_the_same_notify()
    {
        await using var first = new AdminAppFactory(_db, demoSeed: false);
        await using var second = new AdminAppFactory(_db, demoSeed: false);
        _ = first.Server;
        _ = second.Server;
        await WaitConnectedAsync(first);
        await WaitConnectedAsync(second);
        var atFirst = NextEventAsync(first, "releases", "7", out var s1);
        var atSecond = NextEventAsync(second, "releases", "7", out var s2);
        using (s1)
        using (s2)
        {
            await NotifyFromSqlAsync("releases", "7");
            await Task.WhenAll(atFirst, atSecond).WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task A_subscriber_hears_only_its_topic_and_stops_hearing_after_dispose()
    {
        await using var factory = new AdminAppFactory(_db, demoSeed: false);
        _ = factory.Server;
        await WaitConnectedAsync(factory);
        var bus = factory.Services.GetRequiredService<LiveBus>();
        var seen = new List<string>();
        var subscription = bus.Subscribe("audit", e => { lock (seen) seen.Add(e.Topic + ":" + e.Id); return Task.CompletedTask; });
        var marker = NextEventAsync(factory, "audit", "marker-1", out var markerSubscription);

        await NotifyFromSqlAsync("content", "not-for-audit");
        await NotifyFromSqlAsync("audit", "marker-1");
        await marker.WaitAsync(TimeSpan.FromSeconds(5));
        subscription.Dispose();
        var after = NextEventAsync(factory, "audit", "marker-2", out var afterSubscription);
        await NotifyFromSqlAsync("audit", "marker-2");
        await after.WaitAsync(TimeSpan.FromSeconds(5));
        markerSubscription.Dispose();
        afterSubscription.Dispose();

        lock (seen) Assert.Equal(["audit:marker-1"], seen);
    }

    [Fact]
    public async Task Two_app_instances_starting_at_once_migrate_an_empty_database_exactly_once()
    {
        await using var empty = await TestDatabase.CreateEmptyAsync();
        await using var first = new AdminAppFactory(empty, demoSeed: false);
        await using var second = new AdminAppFactory(empty, demoSeed: false);

        await Task.WhenAll(Task.Run(() => first.Server), Task.Run(() => second.Server));

        await using var owner = await empty.OpenAsync(TestPostgres.OwnerRole);
        await using var context = empty.CreateAppContext();
        var known = Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.GetMigrations(context.Database).Count();
        Assert.Equal(known, await owner.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\""));
        Assert.Equal(4L, await owner.ScalarAsync<long>("SELECT count(*) FROM roles"));
        using var a = first.CreateClient();
        using var b = second.CreateClient();
        await Http.Readyz.WaitReadyAsync(a);
        await Http.Readyz.WaitReadyAsync(b);
    }
}
