using Admin.Data.Deployments;
using Admin.TestSupport;

namespace Admin.Data.Tests.Deployments;

/// <summary>The demo seed: idempotent, and every history a walk the state machine allows ending in the deployment's status.</summary>
public sealed class DeploymentSeederTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Seeded_histories_follow_the_state_machine_and_a_second_run_adds_nothing()
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        var first = await DeploymentSeeder.SeedAsync(owner, DeploymentSeedShape.Small);
        var second = await DeploymentSeeder.SeedAsync(owner, DeploymentSeedShape.Small);

        Assert.Equal(400, first.Deployments);
        Assert.InRange(first.History, 400 * 6, 400 * 10);
        Assert.InRange(first.Commits, 400 * 3, 400 * 5);            // 1 to 7 per started deployment
        Assert.InRange(first.Incidents, 30, 40);                     // the production ones numbered …9
        Assert.Equal(new DeploymentSeedResult(0, 0), second);
        // The dashboard's per-deployment figures hold for rows written in bulk too (the insert's statement trigger).
        Assert.Equal(0L, await owner.ScalarAsync<long>(DeploymentMetricsTests.RestoresThatDisagreeSql));
        Assert.True(await owner.ScalarAsync<long>("SELECT count(restored_at) FROM deployments") > 0);

        var walks = new List<(string Environment, string Status, string[] Steps)>();
        await using (var read = new Npgsql.NpgsqlCommand("""
            SELECT d.environment, d.status, array_agg(h.status ORDER BY h.id)
            FROM deployments d JOIN deployment_status_history h ON h.deployment_id = d.id
            WHERE d.external_id LIKE 'seed-%' GROUP BY d.id
            """, owner))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync()) walks.Add((reader.GetString(0), reader.GetString(1), reader.GetFieldValue<string[]>(2)));

        Assert.Equal(400, walks.Count);
        Assert.Contains(walks, w => w.Status == DeploymentStatuses.AwaitingApproval);
        foreach (var (environment, status, steps) in walks)
        {
            Assert.True(steps[0] == DeploymentStatuses.Queued, $"{string.Join(" > ", steps)} in {environment}");
            Assert.Equal(status, steps[^1]);
            var protectedEnvironment = environment == "production";
            for (var i = 1; i < steps.Length; i++)
            {
                // The console sets awaiting_approval on creation and gives approvals; everything else comes from CI.
                if (steps[i] == DeploymentStatuses.AwaitingApproval) continue;
                var via = steps[i] == DeploymentStatuses.Approved ? TransitionSource.Console : TransitionSource.Api;
                var from = steps[i - 1];
                Assert.True(DeploymentStateMachine.Allows(from, steps[i], protectedEnvironment, via), $"{string.Join(" > ", steps)} in {environment}");
            }
        }
    }
}
