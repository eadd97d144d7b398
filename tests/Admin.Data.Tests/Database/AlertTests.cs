using System.Net;
using System.Security.Claims;
using Admin.Data.Database;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Alerts end to end on real PostgreSQL and a real HTTP receiver: rules evaluated on a monitored cluster's health (its
/// own temporary cluster, so no other test's locks count), notices queued, claimed and sent, retried, silenced, and
/// delivered once by two senders at a time.
/// </summary>
public sealed class AlertTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private TemporaryCluster _monitored = null!;
    private MonitoringTargets _targets = null!;
    private WebhookReceiver _receiver = null!;
    private HttpClient _http = null!;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    private static readonly SessionContext Dba = ReleaseFixtures.Dba;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _monitored = await TemporaryCluster.StartAsync();
        _targets = new MonitoringTargets(_db.AppConnectionString, new Dictionary<string, string> { ["shop"] = _monitored.ConnectionString() });
        _receiver = new WebhookReceiver();
        _http = new HttpClient();
        await OwnerAsync($"""
            UPDATE alert_rules SET enabled = (name = 'Blocked queries'), for_seconds = 0;
            INSERT INTO alert_webhooks (name, url, format, created_by) VALUES
                ('ops json', '{_receiver.Url}json', 'json', 'test'), ('ops slack', '{_receiver.Url}slack', 'slack', 'test');
            """);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _receiver.DisposeAsync();
        await _targets.DisposeAsync();
        await _monitored.DisposeAsync();
        await _db.DisposeAsync();
    }

    private async Task OwnerAsync(string sql)
    {
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync(sql);
    }

    private async Task<T> OwnerScalarAsync<T>(string sql)
    {
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }

    private MonitoringTarget Shop => _targets.Get("shop");
    private AlertEvaluator Evaluator => new(_db.AppDataSource);
    private AlertDeliverer Deliverer(NpgsqlDataSource? source = null, string instance = "a") => new(source ?? _db.AppDataSource, _http, instance, _time);
    private Task<IReadOnlyList<AlertChange>> EvaluateShopAsync() => Evaluator.EvaluateAsync(Shop, new HealthChecks(), _time.GetUtcNow());

    private AlertService Service(SessionContext user) =>
        new(_db.AppDataSource, new FixedSessionContextSource(user), _targets, _db.Factory(user), _time);

    private static ClaimsPrincipal Principal(SessionContext user) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, user.UserId.ToString()!), new Claim(ClaimTypes.Email, user.Email!),
         .. user.Roles.Select(r => new Claim(ClaimTypes.Role, r))], "test"));

    /// <summary>A lock chain on the monitored cluster: one session holds a table, another waits for it.</summary>
    private async Task<Func<Task>> PlantLockChainAsync()
    {
        var holder = new NpgsqlConnection(_monitored.ConnectionString(tweak: b => b.Pooling = false));
        await holder.OpenAsync();
        await holder.ExecuteAsync("CREATE TABLE IF NOT EXISTS chain (id int)");
        var transaction = await holder.BeginTransactionAsync();
        await holder.ExecuteAsync("LOCK TABLE chain IN ACCESS EXCLUSIVE MODE");
        var waiter = new NpgsqlConnection(_monitored.ConnectionString(tweak: b => b.Pooling = false));
        await waiter.OpenAsync();
        var waiting = waiter.ExecuteAsync("SELECT count(*) FROM chain");
        await using (var probe = new NpgsqlConnection(_monitored.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await probe.OpenAsync();
            for (var i = 0; i < 100 && await probe.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'") == 0; i++)
                await Task.Delay(50);
        }
        return async () =>
        {
            await transaction.CommitAsync();
            await waiting;
            await waiter.DisposeAsync();
            await holder.DisposeAsync();
        };
    }

    private async Task DeliverAllAsync(AlertDeliverer deliverer)
    {
        while (await deliverer.DeliverDueAsync() > 0) { }
    }

    [Fact]
    public async Task A_planted_lock_chain_raises_exactly_one_alert_and_its_resolution_one_resolve_notice_per_webhook()
    {
        var release = await PlantLockChainAsync();
        var fired = await EvaluateShopAsync();
        Assert.Equal("firing", Assert.Single(fired).Event);
        for (var minute = 1; minute <= 3; minute++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Assert.Empty(await EvaluateShopAsync()); // still firing: the same alert, not a new one
        }
        await DeliverAllAsync(Deliverer());
        var firing = await _receiver.WaitForAsync(2);
        Assert.Equal(2, firing.Count);
        Assert.All(firing, n => Assert.Equal("firing", n.Event));
        var json = firing.Single(n => n.Path.EndsWith("/json", StringComparison.Ordinal)).Body;
        Assert.Equal("firing", json.GetProperty("event").GetString());
        Assert.Equal("Blocked queries", json.GetProperty("alert").GetProperty("rule").GetString());
        Assert.Equal("shop", json.GetProperty("alert").GetProperty("target").GetString());
        Assert.Equal("FAIL", json.GetProperty("alert").GetProperty("value_text").GetString());
        Assert.Contains("Blocked queries on shop", firing.Single(n => n.Path.EndsWith("/slack", StringComparison.Ordinal)).Body.GetProperty("text").GetString());

        await release();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal("resolved", Assert.Single(await EvaluateShopAsync()).Event);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(await EvaluateShopAsync());
        await DeliverAllAsync(Deliverer());
        var all = await _receiver.WaitForAsync(4);
        Assert.Equal(4, all.Count);
        Assert.Equal(2, all.Count(n => n.Event == "resolved"));
        Assert.Equal(4, all.Select(n => n.Delivery).Distinct().Count());
        Assert.Equal(1, await OwnerScalarAsync<long>("SELECT count(*) FROM alerts"));
        Assert.Equal("resolved", await OwnerScalarAsync<string>("SELECT state FROM alerts"));
    }

    [Fact]
    public async Task A_silenced_rule_sends_no_notice_and_leaves_the_bell_quiet_but_the_console_lists_the_alert()
    {
        var dba = Service(Dba);
        var rule = await OwnerScalarAsync<long>("SELECT id FROM alert_rules WHERE name = 'Blocked queries'");
        await dba.SilenceAsync(rule, null, _time.GetUtcNow().AddHours(2), "maintenance window", Principal(Dba));

        var release = await PlantLockChainAsync();
        Assert.True(Assert.Single(await EvaluateShopAsync()).Silenced);
        await release();
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(Assert.Single(await EvaluateShopAsync()).Silenced);
        await DeliverAllAsync(Deliverer());
        Assert.Empty(await _receiver.WaitForAsync(1, TimeSpan.FromSeconds(1)));
        Assert.Equal(0, await OwnerScalarAsync<long>("SELECT count(*) FROM alert_deliveries"));

        Assert.Equal(0, (await dba.BellAsync()).Unread);
        var board = await dba.LoadAsync();
        Assert.True(Assert.Single(board.Resolved).Silenced);
        Assert.Equal("maintenance window", Assert.Single(board.Silences).Reason);
        Assert.Equal(1, await OwnerScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = '{AlertService.Silenced}'"));
    }

    [Fact]
    public async Task Two_instances_sending_at_once_deliver_each_notice_exactly_once()
    {
        await OwnerAsync("""
            INSERT INTO alert_rules (name, metric, comparator, threshold) SELECT 'connections over ' || g, 'connections', '>', g FROM generate_series(0, 19) g;
            DELETE FROM alert_webhooks WHERE name = 'ops slack';
            """);
        Assert.Equal(20, (await Evaluator.EvaluateAsync("shop", new Dictionary<string, double> { ["connections"] = 100 }, _time.GetUtcNow())).Count);

        await using var otherInstance = NpgsqlDataSource.Create(_db.AppConnectionString);
        var a = Deliverer(instance: "a");
        var b = Deliverer(otherInstance, "b");
        await Task.WhenAll(Task.Run(() => DeliverAllAsync(a)), Task.Run(() => DeliverAllAsync(b)));

        var received = await _receiver.WaitForAsync(20);
        await Task.Delay(300);
        Assert.Equal(20, _receiver.Received.Count);
        Assert.Equal(20, received.Select(n => n.Delivery).Distinct().Count());
        Assert.Equal(20, await OwnerScalarAsync<long>("SELECT count(*) FROM alert_delivery_attempts"));
        Assert.Equal(0, await OwnerScalarAsync<long>("SELECT count(*) FROM alert_deliveries WHERE state <> 'delivered' OR attempts <> 1"));
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_with_backoff_every_attempt_recorded_and_the_resolve_notice_waits_behind_the_firing_one()
    {
        await OwnerAsync("DELETE FROM alert_webhooks WHERE name = 'ops slack'");
        await OwnerAsync("INSERT INTO alert_rules (name, metric, comparator, threshold) VALUES ('many connections', 'connections', '>', 10)");
        _receiver.FailNext(HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable);
        await Evaluator.EvaluateAsync("shop", new Dictionary<string, double> { ["connections"] = 50 }, _time.GetUtcNow());
        var deliverer = Deliverer();

        Assert.Equal(1, await deliverer.DeliverDueAsync()); // 500
        _time.Advance(TimeSpan.FromMinutes(1));
        await Evaluator.EvaluateAsync("shop", new Dictionary<string, double> { ["connections"] = 1 }, _time.GetUtcNow()); // resolved meanwhile
        Assert.Equal(1, await deliverer.DeliverDueAsync()); // the firing notice again (10 s passed): 503; the resolve waits
        Assert.Equal(0, await deliverer.DeliverDueAsync()); // not due for 20 s, and the resolve still waits behind it
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(1, await deliverer.DeliverDueAsync()); // firing delivered
        Assert.Equal(1, await deliverer.DeliverDueAsync()); // then the resolve

        var received = await _receiver.WaitForAsync(2);
        Assert.Equal(["firing", "resolved"], received.Select(n => n.Event).ToArray());
        Assert.Equal("500,503,200", await OwnerScalarAsync<string>("""
            SELECT string_agg(t.status_code::text, ',' ORDER BY t.attempt) FROM alert_delivery_attempts t
            JOIN alert_deliveries d ON d.id = t.delivery_id WHERE d.event = 'firing'
            """));
        Assert.Equal(3, await OwnerScalarAsync<int>("SELECT attempts FROM alert_deliveries WHERE event = 'firing'"));
        Assert.Equal(TimeSpan.FromSeconds(10), AlertDeliverer.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(20), AlertDeliverer.Backoff(2));
        Assert.Equal(TimeSpan.FromHours(1), AlertDeliverer.Backoff(20));
    }

    [Fact]
    public async Task An_alert_stays_pending_for_its_rules_duration_and_a_shorter_breach_never_fires()
    {
        await OwnerAsync("INSERT INTO alert_rules (name, metric, comparator, threshold, for_seconds) VALUES ('busy for 2 min', 'connections', '>=', 5, 120)");
        async Task<IReadOnlyList<AlertChange>> At(int seconds, double connections) =>
            await Evaluator.EvaluateAsync("shop", new Dictionary<string, double> { ["connections"] = connections }, _time.GetUtcNow().AddSeconds(seconds));

        Assert.Empty(await At(0, 9));
        Assert.Equal("pending", await OwnerScalarAsync<string>("SELECT state FROM alerts"));
        Assert.Empty(await At(60, 9));
        Assert.Empty(await At(90, 1));            // cleared before 2 minutes: dropped, never fired
        Assert.Equal(0, await OwnerScalarAsync<long>("SELECT count(*) FROM alerts"));
        Assert.Empty(await At(100, 9));
        Assert.Empty(await At(200, 9));
        Assert.Empty(await Evaluator.EvaluateAsync("shop", new Dictionary<string, double>(), _time.GetUtcNow().AddSeconds(210))); // not observed: unchanged
        Assert.Equal("firing", Assert.Single(await At(220, 9)).Event);
        Assert.Equal(0, await OwnerScalarAsync<long>("SELECT count(*) FROM alerts WHERE target <> 'shop'"));
        Assert.Empty(await Evaluator.EvaluateAsync("other", new Dictionary<string, double> { ["connections"] = 1 }, _time.GetUtcNow().AddSeconds(230)));
        Assert.Equal("firing", await OwnerScalarAsync<string>("SELECT state FROM alerts"));   // another target's value does not resolve it
    }

    [Fact]
    public async Task An_unreachable_target_raises_its_own_alert_and_leaves_the_others_as_they_were()
    {
        await OwnerAsync("UPDATE alert_rules SET enabled = true, for_seconds = 0 WHERE name = 'Target unreachable'");
        await using var gone = new MonitoringTargets(_db.AppConnectionString, new Dictionary<string, string> { ["gone"] = "Host=127.0.0.1;Port=1;Username=x;Password=x;Timeout=2" });
        var change = Assert.Single(await Evaluator.EvaluateAsync(gone.Get("gone"), new HealthChecks(), _time.GetUtcNow()));
        Assert.Equal("Target unreachable", await OwnerScalarAsync<string>($"SELECT r.name FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.id = {change.AlertId}"));
    }

    [Fact]
    public async Task Bad_input_gets_a_message_and_people_outside_the_database_area_are_refused()
    {
        var dba = Service(Dba);
        var actor = Principal(Dba);
        AlertRuleInput Rule(string metric = "connections", double threshold = 1, int forMinutes = 0, string comparator = ">") =>
            new(null, "mine", null, metric, comparator, threshold, forMinutes, "warning", true, null);
        Assert.Equal("metric", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule(metric: "made_up"), actor))).Field);
        Assert.Equal("threshold", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule(threshold: double.NaN), actor))).Field);
        Assert.Equal("for", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule(forMinutes: 5000), actor))).Field);
        Assert.Equal("comparator", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule(comparator: "=="), actor))).Field);
        Assert.Equal("name", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule() with { Name = "Blocked queries" }, actor))).Field);
        Assert.Equal("target", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SaveRuleAsync(Rule() with { Target = "nowhere" }, actor))).Field);
        Assert.Equal("url", (await Assert.ThrowsAsync<AlertInputException>(() => dba.AddWebhookAsync(new("x", "ftp://hooks.example/x", "json", "warning"), actor))).Field);
        Assert.Equal("until", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SilenceAsync(1, null, _time.GetUtcNow().AddMinutes(-1), "why", actor))).Field);
        Assert.Equal("reason", (await Assert.ThrowsAsync<AlertInputException>(() => dba.SilenceAsync(1, null, _time.GetUtcNow().AddHours(1), " ", actor))).Field);

        var id = await dba.SaveRuleAsync(Rule() with { Target = "shop", ForMinutes = 3 }, actor);
        var saved = (await dba.LoadAsync()).Rules.Single(r => r.Id == id);
        Assert.Equal((180, "shop", "Connections > 1 connections"), (saved.ForSeconds, saved.Target, saved.Condition));

        foreach (var outsider in new[] { ReleaseFixtures.Editor, ReleaseFixtures.Manager })
        {
            var service = Service(outsider);
            await Assert.ThrowsAsync<AlertInputException>(() => service.LoadAsync());
            await Assert.ThrowsAsync<AlertInputException>(() => service.SaveRuleAsync(Rule() with { Name = "theirs" }, Principal(outsider)));
            Assert.Equal(0, (await service.BellAsync()).Unread);
            // And the database itself hides the rules from them (row-level security), whatever the service does.
            await using var connection = await SessionConnection.OpenAsync(_db.AppDataSource, outsider);
            Assert.Equal(0, await connection.ScalarAsync<long>("SELECT count(*) FROM alert_rules"));
        }
    }
}
