using Admin.Data.Live;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Live;

/// <summary>On a cluster of its own: restarting the shared test cluster would break every other test running on it.</summary>
public sealed class ListenerReconnectTests : IAsyncLifetime
{
    private const string Database = "admin_live";
    private TemporaryCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await TemporaryCluster.StartAsync();
        await _cluster.CreateMigratedDatabaseAsync(Database);
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Listener_reconnects_after_a_server_restart_and_receives_later_notifications()
    {
        var connectionString = _cluster.ConnectionString(Database, TestPostgres.AppRole, b => b.Pooling = false);
        await using var probe = await ListenerProbe.StartAsync(logger => new NotificationListener(connectionString, logger)
        {
            MinBackoff = TimeSpan.FromMilliseconds(50),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
        });

        await _cluster.RestartAsync();
        await probe.WaitForStateAsync(ListenerState.Connected, reconnected: true, TimeSpan.FromSeconds(30));
        await using (var session = new NpgsqlConnection(connectionString))
        {
            await session.OpenAsync();
            await session.ExecuteAsync("SELECT live_notify('content', 'after-restart')");
        }

        await probe.WaitForEventAsync(e => e.Id == "after-restart");
        var states = probe.States;
        Assert.Equal([(ListenerState.Connecting, false), (ListenerState.Connected, false)], states.Take(2));
        // Then one or more failed attempts while the server was down, and back.
        Assert.All(states.Skip(2).SkipLast(1), s => Assert.Equal((ListenerState.Reconnecting, true), s));
        Assert.Equal((ListenerState.Reconnecting, true), states[2]);
        Assert.Equal((ListenerState.Connected, true), states[^1]);
    }
}
