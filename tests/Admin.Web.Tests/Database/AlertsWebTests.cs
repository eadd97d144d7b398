using System.Net;
using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Database;

/// <summary>The alerts page and the header's bell as served, per role.</summary>
public sealed class AlertsWebTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Theory]
    [InlineData("/database/alerts")]
    [InlineData("/database/alerts?tab=rules")]
    public async Task The_alerts_page_is_refused_to_an_editor_and_a_release_manager(string path)
    {
        await app.AssertRefusedAsync(path, AppRoles.Editor);
        await app.AssertRefusedAsync(path, AppRoles.ReleaseManager);
    }

    [Fact]
    public async Task A_dba_sees_a_firing_alert_on_the_page_and_in_the_bell_which_editors_do_not_have()
    {
        await app.Factory.Services.GetRequiredService<AlertEvaluator>()
            .EvaluateAsync("web-target", new Dictionary<string, double> { [AlertMetrics.CheckPrefix + "wraparound"] = 2 }, DateTimeOffset.UtcNow);

        var page = WebUtility.HtmlDecode(await app.PageAsync("/database/alerts", AppRoles.Dba));
        Assert.Contains("data-testid=\"open-alerts\"", page);
        Assert.Contains("Transaction id wraparound", page);
        Assert.Contains("web-target", page);
        // The sampler evaluates the default rules on the shared test cluster too: count at least this one.
        Assert.Matches(@"\d+ firing", page);
        Assert.Contains("data-testid=\"alert-bell\"", page);
        Assert.Matches(@"Alerts: \d+ new", page);

        var rules = WebUtility.HtmlDecode(await app.PageAsync("/database/alerts?tab=rules", AppRoles.Dba));
        Assert.Contains("Blocked queries", rules);
        Assert.Contains("Blocked queries is FAIL for 1 min", rules);

        Assert.DoesNotContain("data-testid=\"alert-bell\"", await app.PageAsync("/", AppRoles.Editor));
        Assert.DoesNotContain("data-testid=\"alert-bell\"", await app.PageAsync("/", AppRoles.ReleaseManager));
        Assert.Contains("data-testid=\"alert-bell\"", await app.PageAsync("/", AppRoles.Admin));
    }
}

/// <summary>Two app instances on one database, a webhook receiver behind them: each notice arrives once.</summary>
public sealed class AlertDeliveryInstancesTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _receiver = new WebhookReceiver();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _db.DisposeAsync();
    }

    private AdminAppFactory Instance(string name) => new(_db, demoSeed: false, new Dictionary<string, string?>
    {
        ["Monitoring:Sampler:Enabled"] = "false", // the test evaluates, as the leader would
        ["Monitoring:Sampler:InstanceName"] = name,
        ["Monitoring:Alerts:PollInterval"] = "00:00:01",
        ["Monitoring:Alerts:ConsoleUrl"] = "https://admin.example/",
    });

    [Fact]
    public async Task Two_instances_send_each_alert_notice_exactly_once()
    {
        await using var first = Instance("first");
        await using var second = Instance("second");
        _ = first.Server;
        _ = second.Server;
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"""
                UPDATE alert_rules SET enabled = false;
                INSERT INTO alert_rules (name, metric, comparator, threshold) SELECT 'busy ' || g, 'connections', '>', g FROM generate_series(1, 12) g;
                INSERT INTO alert_webhooks (name, url, created_by) VALUES ('receiver', '{_receiver.Url}', 'test');
                """);

        var changes = await first.Services.GetRequiredService<AlertEvaluator>()
            .EvaluateAsync("console", new Dictionary<string, double> { ["connections"] = 20 }, DateTimeOffset.UtcNow);
        Assert.Equal(12, changes.Count);

        var received = await _receiver.WaitForAsync(12, TimeSpan.FromSeconds(20));
        await Task.Delay(2500); // both instances polled again meanwhile: nothing more arrives
        Assert.Equal(12, _receiver.Received.Count);
        Assert.Equal(12, received.Select(n => n.Delivery).Distinct().Count());
        Assert.All(received, n => Assert.StartsWith("https://admin.example/database/alerts?alert=", n.Body.GetProperty("alert").GetProperty("url").GetString()));
        await using var check = await _db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(12, await check.ScalarAsync<long>("SELECT count(*) FROM alert_delivery_attempts"));
        Assert.True(await check.ScalarAsync<long>("SELECT count(DISTINCT instance) FROM alert_delivery_attempts WHERE instance IN ('first', 'second')") >= 1);
    }
}
