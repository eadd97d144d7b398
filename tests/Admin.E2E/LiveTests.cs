using System.Diagnostics;
using System.Text.RegularExpressions;
using Admin.TestSupport;
using Npgsql;

namespace Admin.E2E;

/// <summary>
/// Changes made in PostgreSQL by anyone (here: a plain SQL session as the app role) reach the browser: through the
/// /hubs/live SignalR hub to a script client, and through the in-process bus to a Blazor component.
/// </summary>
public sealed partial class LiveTests(AppFixture app) : BrowserTest(app)
{
    /// <summary>Connects the app's own signalr client (cookies carry the sign-in) and subscribes; returns the hub's error, if any.</summary>
    private const string ConnectAndSubscribe = """
        async topic => {
            window.liveEvents = [];
            const connection = new signalR.HubConnectionBuilder().withUrl('/hubs/live').build();
            connection.on('live', e => window.liveEvents.push(e));
            await connection.start();
            window.liveConnection = connection;
            try { await connection.invoke('Subscribe', topic); return null; }
            catch (err) { return String(err && err.message || err); }
        }
        """;

    [Fact]
    public Task A_notify_from_any_sql_session_reaches_a_subscribed_browser_within_a_second() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        Assert.Null(await ConnectAsync(page, "audit"));
        await using var sql = await App.Database.OpenAppAsAdminAsync();
        var id = "e2e-" + Guid.NewGuid().ToString("N")[..8];

        var clock = Stopwatch.StartNew();
        // A topic this client did not subscribe to goes first: by the time the audit event arrives, it would have too.
        await ExecuteAsync(sql, "SELECT live_notify('content', @id, 'test')", id);
        await ExecuteAsync(sql, "SELECT live_notify('audit', @id, 'test')", id);
        await page.WaitForFunctionAsync("id => window.liveEvents.some(e => e.topic === 'audit' && e.id === id)", id,
            new() { Timeout = 1000, PollingInterval = 10 });
        clock.Stop();

        Console.WriteLine($"NOTIFY to browser: {clock.ElapsedMilliseconds} ms");
        Assert.InRange(clock.ElapsedMilliseconds, 0, 999);
        var received = await page.EvaluateAsync<string[]>("() => window.liveEvents.map(e => `${e.topic}/${e.id}/${e.kind}`)");
        Assert.Equal([$"audit/{id}/test"], received);
    });

    [Fact]
    public Task The_home_chart_updates_in_place_when_an_audit_event_is_written() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        var chart = page.Locator("[data-testid=audit-chart]");
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        // A mark on the element itself: if the chart were re-created, the element (and the mark) would be gone.
        await chart.EvaluateAsync("el => { el.e2eMark = 'original'; }");
        var updatesBefore = await UpdatesAsync(chart);
        var totalBefore = await TotalAsync(page);

        await using (var sql = await App.Database.OpenAppAsAdminAsync())
            await ExecuteAsync(sql, "SELECT audit_write('e2e.test')");

        await page.WaitForFunctionAsync(
            "before => parseInt(document.querySelector('[data-testid=audit-total]').textContent, 10) > before", totalBefore,
            new() { Timeout = 5000 });
        Assert.True(await TotalAsync(page) > totalBefore);
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        Assert.True(await UpdatesAsync(chart) > updatesBefore, "the chart's data-updates counter did not increase");
        Assert.Equal("original", await chart.EvaluateAsync<string?>("el => el.e2eMark ?? null"));
        Assert.Equal(1, await chart.Locator(".apexcharts-canvas").CountAsync());
    });

    [Fact]
    public Task The_live_indicator_shows_the_listener_is_connected() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        var indicator = page.Locator(".shell-header [data-testid=live-indicator]");
        await Expect(indicator).ToHaveAttributeAsync("data-state", "Connected");
        await Expect(indicator).ToHaveTextAsync("live", new() { UseInnerText = true });
        await Expect(indicator.Locator(".live-label-offline")).ToBeHiddenAsync();
    });

    private static async Task<string?> ConnectAsync(IPage page, string topic)
    {
        await page.AddScriptTagAsync(new() { Url = "/lib/signalr/signalr.min.js" });
        return await page.EvaluateAsync<string?>(ConnectAndSubscribe, topic);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string? id = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is not null) command.Parameters.AddWithValue("id", id);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> UpdatesAsync(ILocator chart) =>
        int.TryParse(await chart.GetAttributeAsync("data-updates"), out var n) ? n : 0;

    private static async Task<long> TotalAsync(IPage page)
    {
        var text = await page.Locator("[data-testid=audit-total]").TextContentAsync() ?? "";
        var match = LeadingNumber().Match(text);
        Assert.True(match.Success, $"audit total '{text}' has no number");
        return long.Parse(match.Value);
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex LeadingNumber();
}
