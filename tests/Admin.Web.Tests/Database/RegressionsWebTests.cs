using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Database;

/// <summary>
/// The app with deployments compared in an environment of their own (no seeded deployment or release clips the
/// planted one's windows) and its sampler off (the test copies and evaluates when it wants).
/// </summary>
public sealed class RegressionsAppFixture : WebAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Monitoring:Sampler:Enabled"] = "false",
        ["Monitoring:Regressions:Environment"] = "regress-web",
        ["Monitoring:Regressions:IncludeReleases"] = "false",
    };
}

/// <summary>Deploy-aware regressions on the real app: who may open the Regressions page and what the deployment page shows each role.</summary>
public sealed class RegressionsWebTests(RegressionsAppFixture app) : IClassFixture<RegressionsAppFixture>
{
    /// <summary>A deployment to regress-web finished three hours ago, copied by the sampler's step, with a statement 3x slower after it.</summary>
    private async Task<long> PlantAsync()
    {
        var t = TimeWindow.FloorHour(DateTimeOffset.UtcNow).AddHours(-3);
        long id;
        await using (var super = await TestPostgres.OpenSuperuserAsync(app.Database.Name))
        {
            await using var command = new NpgsqlCommand("""
                INSERT INTO deploy_environments (name) VALUES ('regress-web') ON CONFLICT DO NOTHING;
                SET session_replication_role = replica;
                INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status, created_at, started_at, finished_at)
                VALUES (gen_random_uuid()::text, 'checkout', 'regress-web', '9.9.9', 'abcdef1', 'ci@example.com', 'succeeded', @t - interval '10 minutes', @t - interval '5 minutes', @t)
                RETURNING id;
                """, super);
            command.Parameters.AddWithValue("t", t);
            id = (long)(await command.ExecuteScalarAsync())!;
            await using var deltas = new NpgsqlCommand("""
                INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
                VALUES ('console', @id, 'SELECT web_regressed_' || @id, 0, 0, 0, 0, 0, @t, @t);
                INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
                SELECT 'console', @id, x, 100, CASE WHEN x < @t THEN 200 ELSE 600 END, 100, 0, 0
                  FROM generate_series(@t - interval '60 minutes', @t + interval '59 minutes', interval '10 minutes') x;
                """, super);
            deltas.Parameters.AddWithValue("id", id);
            deltas.Parameters.AddWithValue("t", t);
            await deltas.ExecuteNonQueryAsync();
        }
        var regressions = app.Factory.Services.GetRequiredService<DeployRegressions>();
        await regressions.RunAsync([MonitoringTarget.ConsoleTargetName], DateTimeOffset.UtcNow);
        return id;
    }

    [Theory]
    [InlineData("/database/regressions")]
    [InlineData("/database/regressions?event=deployment:1")]
    public async Task The_regressions_page_is_refused_to_an_editor_and_a_release_manager(string path)
    {
        await app.AssertRefusedAsync(path, AppRoles.Editor);
        await app.AssertRefusedAsync(path, AppRoles.ReleaseManager);
    }

    [Fact]
    public async Task A_dba_sees_the_deployment_with_its_regression_and_the_statement_and_a_release_manager_sees_counts_without_texts()
    {
        var id = await PlantAsync();

        var list = await app.PageAsync("/database/regressions", AppRoles.Dba);
        Assert.Contains($"data-key=\"deployment:{id}\"", list);
        Assert.Contains($"Deployment #{id} checkout 9.9.9 → regress-web (succeeded)", list);
        var detail = await app.PageAsync($"/database/regressions?event=deployment:{id}", AppRoles.Dba);
        Assert.Contains($"SELECT web_regressed_{id}", detail);
        Assert.Contains("+200 %", detail);
        Assert.Contains("“deployment:x” is not an event", await app.PageAsync("/database/regressions?event=deployment:x", AppRoles.Admin)); // a message, not a 500

        var admin = await app.PageAsync($"/deployments/{id}", AppRoles.Admin);
        Assert.Contains("data-testid=\"deployment-database\"", admin);
        Assert.Contains("console: 1 statement slower or busier", admin);
        Assert.Contains($"SELECT web_regressed_{id}", admin);

        var manager = await app.PageAsync($"/deployments/{id}", AppRoles.ReleaseManager);
        Assert.Contains("console: 1 statement slower or busier", manager);
        Assert.Contains("data-testid=\"deployment-database-restricted\"", manager);
        Assert.DoesNotContain("web_regressed_", manager);

        await app.AssertRefusedAsync($"/deployments/{id}", AppRoles.Editor);
    }
}
