using Admin.Data.Deployments;
using Admin.Data.Infrastructure;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// DORA that tells the truth (issue 18): incidents as failures and restores (also fixed by rolling forward), lead time
/// per commit to the first deployment that shipped it, and content release deploys counted once.
/// </summary>
public sealed class DoraTruthTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 0, 0, 0, TimeSpan.Zero);

    private static string NewService(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private Task<Dictionary<string, long>> InsertAsync(string service, params (string Id, string Environment, string Status, int Created, int? Finished, int? RolledBack)[] rows) =>
        PlantedDeployments.InsertAsync(fixture.Database, T0, service, rows);

    private IncidentService Incidents() => new(fixture.Database.Factory(DeploymentFixtures.ReleaseManager),
        new FixedSessionContextSource(DeploymentFixtures.ReleaseManager), new FixedTime(T0.AddDays(2)));

    private Task<DashboardMetrics> MetricsAsync(string? environment, string? service) =>
        new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager)).LoadAsync(T0, T0.AddDays(1), environment, service);

    private async Task AddCommitsAsync(long deployment, params (string Sha, int CommittedMinutes)[] commits)
    {
        await using var db = fixture.Database.CreateAppContext(DeploymentFixtures.ReleaseManager);
        await db.Database.OpenConnectionAsync();
        var added = await IncidentStore.AddCommitsAsync((NpgsqlConnection)db.Database.GetDbConnection(), deployment,
            commits.Select(c => new CommitInput(c.Sha, T0.AddMinutes(c.CommittedMinutes))).ToList(), default);
        Assert.Equal(deployment, added.DeploymentId);
    }

    [Fact]
    public async Task Incidents_count_as_change_failures_and_restores_including_one_fixed_by_rolling_forward()
    {
        var s = NewService("inc");
        var d = await InsertAsync(s, ("1", "production", "succeeded", 60, 70, null), ("2", "production", "succeeded", 120, 130, null),
            ("3", "production", "succeeded", 180, 200, null), ("4", "production", "failed", 240, 245, null), ("5", "production", "succeeded", 300, 310, null));
        var before = await MetricsAsync(null, s);
        Assert.Equal(0.2, before.ChangeFailureRate!.Value, 6);                   // 1 failed of 5

        var incidents = Incidents();
        var opened = await incidents.CreateAsync(new NewIncident("Checkout errors", "sev2", s, "production", T0.AddMinutes(140), [$"{s}-2"]));
        Assert.True(opened.Open);
        Assert.Equal([d["2"]], opened.CausedBy);
        var open = await MetricsAsync(null, s);
        Assert.Equal((1L, 1L, 1L), (open.Summary.Incidents, open.Summary.OpenIncidents, open.Summary.CausedIncidents));
        Assert.Equal(0.4, open.ChangeFailureRate!.Value, 6);                     // failed 4, and 2 caused an incident
        Assert.Equal(65 * 60, open.Summary.RestoreP50!.Value, 3);                // only the failure 4 → success 5 so far

        // Fixed by rolling forward: deployment 3 (a success after the start) resolves it at its finish.
        var refused = await Assert.ThrowsAsync<DeploymentConflictException>(() => incidents.UpdateAsync(opened.Id, new IncidentChange(FixedBy: $"{s}-4")));
        Assert.Equal("fixedBy", refused.Field);
        var fixedByRollForward = await incidents.UpdateAsync(opened.Id, new IncidentChange(FixedBy: d["3"].ToString()));
        Assert.Equal((T0.AddMinutes(200), d["3"]), (fixedByRollForward.ResolvedAt!.Value, fixedByRollForward.FixedBy!.Value));
        var resolved = await MetricsAsync(null, s);
        Assert.Equal((2L, 0L), (resolved.Summary.Restores, resolved.Summary.OpenIncidents));
        Assert.Equal(62.5 * 60, resolved.Summary.RestoreP50!.Value, 3);         // incident 60 min, failure 65 min

        // A failed deployment named by an incident is restored by the incident, not counted twice.
        await incidents.CreateAsync(new NewIncident("Payments down", "sev1", s, "production", T0.AddMinutes(246), [$"{s}-4"]));
        var two = (await incidents.ListAsync(openOnly: true, service: s)).Single();
        await incidents.UpdateAsync(two.Id, new IncidentChange(ResolvedAt: T0.AddMinutes(250)));
        var both = await MetricsAsync(null, s);
        Assert.Equal(0.4, both.ChangeFailureRate!.Value, 6);
        Assert.Equal((2L, 2L), (both.Summary.Restores, both.Summary.Incidents));
        Assert.Equal(32 * 60, both.Summary.RestoreP50!.Value, 3);                // 60 and 4 minutes
        Assert.Equal(0, (await MetricsAsync("staging", s)).Summary.Incidents);

        // Each change is audited in its own transaction, with the row before and after.
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        var audited = await owner.ScalarAsync<string>($"""
            SELECT string_agg(action || ' ' || (old_data IS NOT NULL) || ' ' || (new_data ->> 'title'), '; ' ORDER BY id) FROM audit_events
            WHERE table_name = 'deploy_incidents' AND record_id IN ('{opened.Id}', '{two.Id}')
            """);
        Assert.Equal("deployment.incident_opened false Checkout errors; deployment.incident_resolved true Checkout errors; "
                     + "deployment.incident_opened false Payments down; deployment.incident_resolved true Payments down", audited);
    }

    [Fact]
    public async Task Bad_incident_input_is_refused_with_the_field_and_other_roles_may_not_write()
    {
        var incidents = Incidents();
        var s = NewService("bad");
        Assert.Equal("title", (await Assert.ThrowsAsync<DeploymentException>(() => incidents.CreateAsync(new NewIncident(" ", "sev1", s, "production")))).Field);
        Assert.Equal("severity", (await Assert.ThrowsAsync<DeploymentException>(() => incidents.CreateAsync(new NewIncident("x", "high", s, "production")))).Field);
        Assert.Equal("environment", (await Assert.ThrowsAsync<DeploymentException>(() => incidents.CreateAsync(new NewIncident("x", "sev1", s, "prod")))).Field);
        Assert.Equal("causedBy", (await Assert.ThrowsAsync<DeploymentException>(() => incidents.CreateAsync(new NewIncident("x", "sev1", s, "production", null, ["nope-" + s])))).Field);
        var created = await incidents.CreateAsync(new NewIncident("x", "sev3", s, "production", T0, ExternalId: "pd-" + s));
        Assert.Equal("externalId", (await Assert.ThrowsAsync<DeploymentConflictException>(() => incidents.CreateAsync(new NewIncident("y", "sev3", s, "production", T0, ExternalId: "pd-" + s)))).Field);
        Assert.Equal("resolvedAt", (await Assert.ThrowsAsync<DeploymentException>(() => incidents.UpdateAsync(created.Id, new IncidentChange(ResolvedAt: T0.AddMinutes(-1))))).Field);
        await Assert.ThrowsAsync<DeploymentNotFoundException>(() => incidents.UpdateAsync(long.MaxValue, new IncidentChange(Resolve: true)));

        var editor = new Admin.Data.Session.SessionContext(Guid.NewGuid(), "editor@test.local", ["Editor"], [], [], "t");
        var asEditor = new IncidentService(fixture.Database.Factory(editor), new FixedSessionContextSource(editor), TimeProvider.System);
        await Assert.ThrowsAsync<DeploymentException>(() => asEditor.CreateAsync(new NewIncident("x", "sev1", s, "production")));
        Assert.Empty(await asEditor.ListAsync(service: s));                   // row-level security hides them
    }

    [Fact]
    public async Task Lead_time_runs_per_commit_to_the_first_deployment_that_shipped_it_and_deployments_without_commits_keep_their_own()
    {
        var s = NewService("lead");
        var d = await InsertAsync(s, ("p1", "production", "succeeded", 60, 70, null), ("s1", "staging", "succeeded", 20, 30, null),
            ("p2", "production", "in_progress", 100, null, null), ("p3", "production", "succeeded", 120, 130, null),
            ("p4", "production", "succeeded", 190, 200, null));
        // Listed out of order: p3 first (a and b), then p1 (a): a's first shipment moves to p1.
        await AddCommitsAsync(d["p3"], ("aaaaaaa1", -60), ("bbbbbbb2", 0));
        await AddCommitsAsync(d["p1"], ("aaaaaaa1", -60));
        await AddCommitsAsync(d["p1"], ("aaaaaaa1", -60));                       // idempotent
        await AddCommitsAsync(d["s1"], ("bbbbbbb2", 0));
        await AddCommitsAsync(d["p2"], ("bbbbbbb2", 0));                         // in progress: ships nothing yet

        var m = await MetricsAsync(null, s);
        Assert.Equal("production", m.LeadTimeEnvironment);
        // a: p1 at 70 - (-60) = 130 min; b: p3 at 130 min; p4 lists no commits: its own commit (T0) → 200 min.
        Assert.Equal((3L, 2L), (m.Summary.LeadTimeSamples, m.Summary.LeadTimeCommits));
        LeadAssert.Near(130 * 60, m.Summary.LeadTimeP50);
        Assert.Equal(3L, m.Summary.LeadUnderDay);

        // p2 succeeds later, finishing at 110 min: b is now first shipped by p2 (110 min).
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE deployments SET status = 'succeeded', finished_at = '{T0.AddMinutes(110):O}' WHERE id = {d["p2"]}");
        var later = await MetricsAsync(null, s);
        Assert.Equal(3L, later.Summary.LeadTimeSamples);
        LeadAssert.Near(130 * 60, later.Summary.LeadTimeP50);      // 110, 130, 200
        Assert.Equal(110 * 60, await ScalarAsync<double>($"SELECT lead_time_s FROM deploy_commit_leads WHERE service = '{s}' AND environment = 'production' AND sha = 'bbbbbbb2'"));

        var staging = await MetricsAsync("staging", s);
        Assert.Equal(("staging", 1L), (staging.LeadTimeEnvironment, staging.Summary.LeadTimeSamples));
        LeadAssert.Near(30.0 * 60, staging.Summary.LeadTimeP50);
    }

    [Fact]
    public async Task Content_release_deploys_and_rollbacks_count_as_content_deployments_once()
    {
        var t = new DateTimeOffset(2024, 2, 2, 0, 0, 0, TimeSpan.Zero);
        long linked;
        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
        {
            await super.ExecuteAsync("SET session_replication_role = replica");
            await super.ExecuteAsync($"""
                INSERT INTO releases (name, status, deploy_seq, deployed_at) VALUES ('dora r1', 'DEPLOYED', nextval('release_deploy_seq'), '{t.AddMinutes(60):O}');
                INSERT INTO releases (name, status, deployed_at, closed_at, close_reason, rolled_back_seq)
                    VALUES ('dora r2', 'ROLLED_BACK', '{t.AddMinutes(120):O}', '{t.AddMinutes(150):O}', 'broken links', nextval('release_deploy_seq'));
                """);
            linked = await super.ScalarAsync<long>($"INSERT INTO releases (name, status, deploy_seq, deployed_at) VALUES ('dora r3', 'DEPLOYED', nextval('release_deploy_seq'), '{t.AddMinutes(200):O}') RETURNING id");
        }
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"""
                INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status, release_id, created_at, started_at, finished_at)
                VALUES ('dora-content-{linked}', 'content', 'production', 'r3', 'abcdef1', 'ci@test.local', 'succeeded', {linked},
                        '{t.AddMinutes(195):O}', '{t.AddMinutes(196):O}', '{t.AddMinutes(200):O}')
                """);
        var metrics = new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager));

        var m = await metrics.LoadAsync(t, t.AddDays(1), null, DeploymentMetrics.ContentService);
        Assert.Equal((3L, 2L, 1L), (m.Summary.Total, m.Summary.Succeeded, m.Summary.RolledBack));   // r1, r2, and r3 once (its deployment)
        Assert.Equal((1L, 1L), (m.Summary.ReleaseDeploys, m.Summary.ReleaseRollbacks));
        Assert.Equal(1.0 / 3, m.ChangeFailureRate!.Value, 6);
        Assert.Equal(50 * 60, m.Summary.RestoreP50!.Value, 3);                  // rolled back at 150 → r3 deployed at 200
        Assert.Equal(3, m.PerDay.Sum(x => x.Count));
        Assert.Equal(0, (await metrics.LoadAsync(t, t.AddDays(1), "staging", null)).Summary.Total);
        Assert.Equal(3, (await metrics.LoadAsync(t, t.AddDays(1), "production", null)).Summary.Total);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
