using System.Diagnostics;
using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Admin.Data.Tests.Live;

public sealed class NotificationListenerTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    /// <summary>The connection string the app gives its listener (unpooled, keepalive), built by the app's own code.</summary>
    private string ListenerConnectionString => DatabaseExtensions.ListenerConnectionString(
        new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Admin"] = Db.AppConnectionString })
            .Build());

    private Task<ListenerProbe> StartListenerAsync() =>
        ListenerProbe.StartAsync(logger => new NotificationListener(ListenerConnectionString, logger));

    [Fact]
    public async Task State_goes_from_connecting_to_connected()
    {
        await using var probe = await StartListenerAsync();

        Assert.Equal([(ListenerState.Connecting, false), (ListenerState.Connected, false)], probe.States);
    }

    [Fact]
    public async Task Live_notify_from_a_plain_sql_session_reaches_the_callback_within_a_second()
    {
        await using var probe = await StartListenerAsync();
        await using var session = await Db.OpenAsync(TestPostgres.AppRole);

        var clock = Stopwatch.StartNew();
        await session.ExecuteAsync("SELECT live_notify('content', '42', 'updated')");
        var received = await probe.WaitForEventAsync(e => e.Topic == "content");
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.Equal("42", received.Id);
        Assert.Equal("updated", received.Kind);
        Assert.NotNull(received.At);
    }

    [Fact]
    public async Task Hand_written_pg_notify_json_is_delivered()
    {
        await using var probe = await StartListenerAsync();
        await using var session = await Db.OpenAsync(TestPostgres.AppRole);

        await session.ExecuteAsync($$"""SELECT pg_notify('{{LiveChannel.Name}}', '{"topic":"releases","id":"7","actor":"release@admin.local"}')""");

        var received = await probe.WaitForEventAsync(e => e.Topic == "releases");
        Assert.Equal(new LiveEvent("releases", "7", Actor: "release@admin.local"), received);
    }

    [Fact]
    public async Task Malformed_payloads_are_logged_and_skipped_and_the_listener_keeps_going()
    {
        await using var probe = await StartListenerAsync();
        await using var session = await Db.OpenAsync(TestPostgres.AppRole);
        string[] malformed = ["not json at all", """{"id":"1"}""", """{"topic":5}""", """{"topic":"x","at":"yesterday"}""", "null", "[]"];

        foreach (var payload in malformed)
            await session.ExecuteAsync($"SELECT pg_notify('{LiveChannel.Name}', '{payload.Replace("'", "''")}')");
        await session.ExecuteAsync("SELECT live_notify('deployments', 'after-the-garbage')");

        // One session's notifications arrive in order: once this one is here, every malformed one was handled.
        await probe.WaitForEventAsync(e => e.Id == "after-the-garbage");
        Assert.Single(probe.Events);
        Assert.Equal(malformed.Length, probe.Logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("malformed")));
        Assert.DoesNotContain(probe.States, s => s.State == ListenerState.Reconnecting);
    }

    [Fact]
    public async Task Notification_inside_a_rolled_back_transaction_is_never_delivered()
    {
        await using var probe = await StartListenerAsync();
        await using var session = await Db.OpenAsync(TestPostgres.AppRole);

        await session.ExecuteAsync("BEGIN; SELECT live_notify('content', 'rolled-back'); ROLLBACK");
        await session.ExecuteAsync("SELECT live_notify('content', 'committed')");

        await probe.WaitForEventAsync(e => e.Id == "committed");
        Assert.DoesNotContain(probe.Events, e => e.Id == "rolled-back");
    }
}
