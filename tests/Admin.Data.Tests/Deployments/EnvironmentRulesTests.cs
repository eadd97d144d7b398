using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// Environment rules as PostgreSQL enforces them where a deployment starts or is approved: the wait timer after
/// approval, freeze windows in a time zone (across midnight and daylight-saving changes) with an audited override,
/// required external checks reported through the API, a direct write obeying them too; and remembered rollbacks.
/// Each test makes its own environment, so the seeded ones (and other tests) are untouched.
/// </summary>
public sealed class EnvironmentRulesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private ApiCaller _caller = null!;
    private string _secret = null!;
    private DeploymentIngestion Api => new(_source);
    private TestDatabase Db => fixture.Database;

    public async Task InitializeAsync()
    {
        _source = DeploymentIngestion.CreateDataSource(Db.AppConnectionString);
        (_secret, _caller) = await Db.CreateTokenAsync(_source, name: "rules-ci");
        await Db.EnsureUserAsync(DeploymentFixtures.ReleaseManager);
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private EnvironmentRulesService Rules(SessionContext? user = null) =>
        new(Db.Factory(user ?? DeploymentFixtures.Admin), new FixedSessionContextSource(user ?? DeploymentFixtures.Admin));

    /// <summary>A new environment with these rules, saved through the editor as an Admin.</summary>
    private async Task<string> EnvironmentAsync(bool requiresApproval, int waitMinutes = 0, string[]? checks = null, params FreezeWindow[] windows)
    {
        var name = "env-" + Guid.NewGuid().ToString("N")[..10];
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"INSERT INTO deploy_environments (name, display_order) VALUES ('{name}', 9)");
        await Rules().SaveAsync(new EnvironmentRules(name, requiresApproval, waitMinutes, checks ?? [], windows));
        return name;
    }

    private async Task<JsonNode> CreateAsync(string environment, string version = "1.4.2", long? releaseId = null)
    {
        var request = DeploymentFixtures.NewDeployment(environment) with { Version = version, ReleaseId = releaseId };
        var created = await Api.CreateAsync(_caller, request, null, [1]);
        Assert.Equal(201, created.Status);
        return JsonNode.Parse(created.Body)!;
    }

    private Task<ApiResult> StartAsync(JsonNode d, string? key = null) =>
        Api.PostStatusAsync(_secret, d["externalId"]!.GetValue<string>(), "in_progress", null, key, [2]);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }

    /// <summary>A deny window from an hour ago to an hour from now (UTC), whatever the day.</summary>
    private static FreezeWindow AroundNow(string kind = FreezeWindow.Deny)
    {
        var from = DateTimeOffset.UtcNow.AddHours(-1);
        var to = DateTimeOffset.UtcNow.AddHours(1);
        static int Day(DateTimeOffset t) => t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek;
        return new FreezeWindow(kind, "Release freeze", Day(from), new TimeOnly(from.Hour, from.Minute), Day(to), new TimeOnly(to.Hour, to.Minute), "UTC");
    }

    private static string Problem(ApiResult result, string property) => JsonNode.Parse(result.Body)![property]!.ToString();

    [Fact]
    public async Task The_wait_timer_counts_from_the_approval_to_the_minute_and_a_refused_start_gives_its_key_back()
    {
        var env = await EnvironmentAsync(requiresApproval: true, waitMinutes: 30);
        var d = await CreateAsync(env);
        var id = d["id"]!.GetValue<long>();
        await Db.DeploymentService(DeploymentFixtures.ReleaseManager).DecideAsync(id, true, "go");
        var approvedAt = await ScalarAsync<DateTime>($"SELECT occurred_at FROM deployment_status_history WHERE deployment_id = {id} AND status = 'approved'");

        // The boundary, evaluated at given instants: a second before approval + 30 min refused, at it allowed.
        var at = approvedAt.ToString("yyyy-MM-dd HH:mm:ss.ffffff");
        Assert.Equal("wait_timer", await ScalarAsync<string>($"SELECT deploy_rule_refusal({id}, '{at}+00'::timestamptz + interval '29 min 59 s') ->> 'rule'"));
        Assert.True(await ScalarAsync<bool>($"SELECT deploy_rule_refusal({id}, '{at}+00'::timestamptz + interval '30 min') IS NULL"));

        // Through the API now: 409 naming the rule and when it may start; the key is given back, nothing applied.
        var refused = await StartAsync(d, key: "start-1");
        Assert.Equal(409, refused.Status);
        Assert.Equal(("Blocked by an environment rule", "wait_timer"), (Problem(refused, "title"), Problem(refused, "rule")));
        Assert.Contains($"{env} waits 30 minutes after approval", Problem(refused, "detail"));
        Assert.Equal(approvedAt.AddMinutes(30), DateTimeOffset.Parse(Problem(refused, "notBefore")).UtcDateTime, TimeSpan.FromMilliseconds(1));
        Assert.Equal("approved", await ScalarAsync<string>($"SELECT status FROM deployments WHERE id = {id}"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM api_idempotency_keys WHERE key = 'start-1'"));

        // Half an hour later (the approval moved back), the same retry is applied.
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE deployment_status_history SET occurred_at = occurred_at - interval '30 min' WHERE deployment_id = {id} AND status = 'approved'");
        var started = await StartAsync(d, key: "start-1");
        Assert.Equal((200, false), (started.Status, started.Replayed));
    }

    [Theory]
    // Fri 16:00 - Mon 08:00 Europe/London. British Summer Time ended on Sunday 25 October 2026.
    [InlineData("2026-10-23 14:59:00+00", false)] // Fri 15:59 BST: before the window
    [InlineData("2026-10-23 15:00:00+00", true)]  // Fri 16:00 BST: in
    [InlineData("2026-10-23 23:30:00+00", true)]  // Sat 00:30 BST: across midnight
    [InlineData("2026-10-25 00:30:00+00", true)]  // Sun 01:30 BST, the hour before the change
    [InlineData("2026-10-26 07:59:00+00", true)]  // Mon 07:59 GMT (after the change): still in
    [InlineData("2026-10-26 08:00:00+00", false)] // Mon 08:00 GMT: out
    [InlineData("2026-10-19 07:30:00+00", false)] // a week earlier, Mon 08:30 BST: out (07:30 UTC would be in under GMT)
    [InlineData("2026-10-21 12:00:00+00", false)] // Wednesday
    public async Task A_freeze_window_holds_in_local_time_across_midnight_and_a_daylight_saving_change(string instant, bool frozen)
    {
        var env = await EnvironmentAsync(false, 0, null,
            new FreezeWindow(FreezeWindow.Deny, "Weekend freeze", 5, new TimeOnly(16, 0), 1, new TimeOnly(8, 0), "Europe/London"));
        var refusal = await ScalarAsync<string>($"SELECT coalesce(deploy_freeze_refusal('{env}', '{instant}') ->> 'detail', '')");
        Assert.Equal(frozen, refusal.Length > 0);
        if (frozen)
            Assert.StartsWith($"{env} is frozen: deny window \"Weekend freeze\" (Fri 16:00 - Mon 08:00 Europe/London) until 2026-10-26 08:00 UTC", refusal);
    }

    [Fact]
    public async Task An_allow_window_refuses_outside_it_and_a_nightly_window_wraps_midnight()
    {
        var env = await EnvironmentAsync(false, 0, null,
            new FreezeWindow(FreezeWindow.Allow, "Tuesday night", 2, new TimeOnly(22, 0), 3, new TimeOnly(2, 0), "America/New_York"));
        Assert.True(await ScalarAsync<bool>($"SELECT deploy_freeze_refusal('{env}', '2026-12-09 04:00+00') IS NULL")); // Tue 23:00 EST
        Assert.True(await ScalarAsync<bool>($"SELECT deploy_freeze_refusal('{env}', '2026-12-09 06:30+00') IS NULL")); // Wed 01:30 EST
        Assert.Contains("deploys only inside its allow windows (\"Tuesday night\" Tue 22:00 - Wed 02:00 America/New_York)",
            await ScalarAsync<string>($"SELECT deploy_freeze_refusal('{env}', '2026-12-09 07:30+00') ->> 'detail'")); // Wed 02:30 EST
    }

    [Fact]
    public async Task A_freeze_refuses_approval_and_start_until_a_release_manager_overrides_it_with_a_reason_which_is_audited()
    {
        var env = await EnvironmentAsync(true, 0, null, AroundNow());
        var d = await CreateAsync(env);
        var id = d["id"]!.GetValue<long>();
        var rm = Db.DeploymentService(DeploymentFixtures.ReleaseManager);

        var refused = await Assert.ThrowsAsync<DeploymentException>(() => rm.DecideAsync(id, true, "go"));
        Assert.StartsWith($"{char.ToUpperInvariant(env[0])}{env[1..]} is frozen: deny window \"Release freeze\"", refused.Message);

        var rules = Rules(DeploymentFixtures.ReleaseManager);
        var noReason = await Assert.ThrowsAsync<DeploymentException>(() => rules.OverrideFreezeAsync(id, "  "));
        Assert.Equal("An override needs a reason (at least 3 characters).", noReason.Message);
        await rules.OverrideFreezeAsync(id, "hotfix for the checkout outage");

        await rm.DecideAsync(id, true, "go");
        Assert.Equal(200, (await StartAsync(d)).Status);
        Assert.Equal(1L, await ScalarAsync<long>($"""
            SELECT count(*) FROM audit_events WHERE action = 'deployment.freeze_overridden' AND record_id = '{id}'
              AND actor_email = 'release@test.local' AND new_data ->> 'reason' = 'hotfix for the checkout outage'
              AND new_data ->> 'freeze' LIKE '%Release freeze%'
            """));
        var status = (await rules.StatusAsync(id))!;
        Assert.Equal(("hotfix for the checkout outage", "release@test.local"), (status.Override!.Reason, status.Override.ByEmail));
        Assert.NotNull(status.Frozen);
    }

    [Fact]
    public async Task A_start_in_a_frozen_open_environment_is_a_409_and_a_direct_write_is_refused_too()
    {
        var env = await EnvironmentAsync(false, 0, null, AroundNow());
        var d = await CreateAsync(env);
        var refused = await StartAsync(d);
        Assert.Equal((409, "freeze"), (refused.Status, Problem(refused, "rule")));
        Assert.StartsWith($"queued -> in_progress: {env} is frozen", Problem(refused, "detail"));

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        var e = await Assert.ThrowsAsync<PostgresException>(() => owner.ExecuteAsync($"UPDATE deployments SET status = 'in_progress' WHERE id = {d["id"]}"));
        Assert.Contains("is frozen", e.MessageText);
        Assert.Equal("environment rule freeze", e.Hint);
    }

    [Fact]
    public async Task Required_checks_block_the_start_while_pending_or_failed_and_let_it_through_once_all_succeeded()
    {
        var env = await EnvironmentAsync(false, 0, ["ci/tests", "security-scan"]);
        var d = await CreateAsync(env);
        var reference = d["externalId"]!.GetValue<string>();

        var refused = await StartAsync(d);
        Assert.Equal((409, "required_checks"), (refused.Status, Problem(refused, "rule")));
        Assert.EndsWith("ci/tests is not reported, security-scan is not reported", Problem(refused, "detail"));

        Assert.Equal(200, (await Api.PostCheckAsync(_secret, reference, "ci/tests", "pending", "run 42")).Status);
        Assert.Equal(200, (await Api.PostCheckAsync(_secret, reference, "security-scan", "failure", null)).Status);
        Assert.EndsWith("ci/tests is pending, security-scan is failure", Problem(await StartAsync(d), "detail"));

        Assert.Equal(200, (await Api.PostCheckAsync(_secret, reference, "ci/tests", "success", null)).Status);
        var onlyOne = await StartAsync(d);
        Assert.EndsWith("have not passed: security-scan is failure", Problem(onlyOne, "detail"));

        var answer = await Api.PostCheckAsync(_secret, reference, "security-scan", "success", "rescanned");
        Assert.Equal(("security-scan", "success", "true"), (Problem(answer, "name"), Problem(answer, "state"), Problem(answer, "required")));
        Assert.Equal(200, (await StartAsync(d)).Status);

        // Started: checks no longer gate it.
        var late = await Api.PostCheckAsync(_secret, reference, "ci/tests", "failure", null);
        Assert.Equal(409, late.Status);
        Assert.Equal("api:rules-ci", await ScalarAsync<string>($"SELECT reported_by FROM deployment_checks WHERE deployment_id = {d["id"]} AND name = 'ci/tests'"));
    }

    [Fact]
    public async Task A_check_outside_the_tokens_scope_is_403_and_an_unknown_deployment_404()
    {
        var env = await EnvironmentAsync(false, 0, ["ci/tests"]);
        var d = await CreateAsync(env);
        var (other, _) = await Db.CreateTokenAsync(_source, name: "staging-only", scope: new TokenScope(["*"], ["staging"]));
        var refused = await Api.PostCheckAsync(other, d["externalId"]!.GetValue<string>(), "ci/tests", "success", null);
        Assert.Equal(403, refused.Status);
        Assert.Contains($"not {env}", Problem(refused, "detail"));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM deployment_checks WHERE deployment_id = {d["id"]}"));
        Assert.Equal(404, (await Api.PostCheckAsync(_secret, "no-such-run", "ci/tests", "success", null)).Status);
        Assert.Equal(401, (await Api.PostCheckAsync("adm_wrong", d["externalId"]!.GetValue<string>(), "ci/tests", "success", null)).Status);
    }

    [Fact]
    public async Task A_rolled_back_version_or_release_payload_that_comes_back_is_remembered_with_the_reason_who_and_when()
    {
        var env = await EnvironmentAsync(false);
        var version = "9." + Random.Shared.Next(1_000_000);
        var first = await CreateAsync(env, version);
        var reference = first["externalId"]!.GetValue<string>();
        Assert.Null(await Api.RollbackMemoryAsync("shop-api", version, null, null));
        foreach (var status in new[] { "in_progress", "succeeded" })
            Assert.Equal(200, (await Api.PostStatusAsync(_secret, reference, status, null, null, [3])).Status);
        Assert.Equal(200, (await Api.PostStatusAsync(_secret, reference, "rolled_back", "checkout errors at 5%", null, [3])).Status);

        var again = await CreateAsync(env, version);
        var memory = EnvironmentRulesService.ParseRollback(await Api.RollbackMemoryAsync("shop-api", version, null, again["id"]!.GetValue<long>()))!;
        Assert.Equal((first["id"]!.GetValue<long>(), "version", "checkout errors at 5%", "api:rules-ci"), (memory.DeploymentId, memory.Matched, memory.Reason, memory.By));
        Assert.NotNull(memory.At);
        Assert.Equal("checkout errors at 5%", (await Rules(DeploymentFixtures.ReleaseManager).StatusAsync(again["id"]!.GetValue<long>()))!.RolledBackBefore!.Reason);
        // Another version of the service is not warned about.
        Assert.Null(await Api.RollbackMemoryAsync("shop-api", version + ".1", null, null));
    }

    [Fact]
    public async Task Only_admins_change_rules_a_bad_time_zone_is_refused_and_a_change_is_audited()
    {
        var env = await EnvironmentAsync(false);
        var rules = new EnvironmentRules(env, true, 15, ["ci/tests"], [new FreezeWindow(FreezeWindow.Deny, "Nights", 1, new TimeOnly(22, 0), 2, new TimeOnly(6, 0), "Mars/Olympus")]);
        var e = await Assert.ThrowsAsync<DeploymentException>(() => Rules().SaveAsync(rules));
        Assert.Equal("Unknown time zone: Mars/Olympus (use an IANA name such as Europe/London).", e.Message);
        await Assert.ThrowsAsync<DeploymentException>(() => Rules(DeploymentFixtures.ReleaseManager).SaveAsync(rules with { Windows = [] }));

        await Rules().SaveAsync(rules with { Windows = [rules.Windows[0] with { TimeZone = "Europe/Berlin" }] });
        var saved = (await Rules(DeploymentFixtures.ReleaseManager).ListAsync()).Single(r => r.Name == env);
        Assert.Equal((true, 15, "ci/tests", "Mon 22:00 – Tue 06:00 Europe/Berlin"),
            (saved.RequiresApproval, saved.WaitMinutes, string.Join(",", saved.RequiredChecks), saved.Windows.Single().ToString()));
        Assert.Equal(1L, await ScalarAsync<long>($"""
            SELECT count(*) FROM audit_events WHERE action = 'deployment.rules_changed' AND record_id = '{env}'
              AND (new_data ->> 'waitMinutes')::int = 15 AND old_data ->> 'waitMinutes' = '0'
            """));
    }
}
