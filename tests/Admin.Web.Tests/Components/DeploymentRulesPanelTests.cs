using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The deployment's rules panel on a real database: a release manager sees the freeze that refuses the deployment,
/// is refused an override without a reason, and overrides with one (audited); a remembered rollback is shown.
/// </summary>
public sealed class DeploymentRulesPanelTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Fact]
    public async Task A_release_manager_sees_the_freeze_and_overrides_it_only_with_a_reason()
    {
        var env = "env-" + Guid.NewGuid().ToString("N")[..10];
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
        {
            await owner.ExecuteAsync($"INSERT INTO deploy_environments (name, display_order) VALUES ('{env}', 9)");
            // Two deny windows that cover the whole week between them: frozen now, whatever the day.
            await owner.ExecuteAsync($"""
                INSERT INTO deploy_windows (environment, kind, label, start_day, start_time, end_day, end_time, time_zone)
                VALUES ('{env}', 'deny', 'Code freeze', 1, '00:00', 7, '23:00', 'UTC'), ('{env}', 'deny', 'Code freeze', 7, '22:00', 1, '01:00', 'UTC')
                """);
        }
        var (source, caller) = await Db.OpenIngestionAsync();
        long id;
        await using (source)
        {
            var created = await new DeploymentIngestion(source).CreateAsync(caller, DeploymentFixtures.NewDeployment(env), null, [1]);
            id = JsonNode.Parse(created.Body)!["id"]!.GetValue<long>();
        }
        var deployment = (await Db.DeploymentService(TestContexts.Admin).GetAsync(id))!.Deployment;
        SignIn(AppRoles.ReleaseManager);

        var panel = Render<DeploymentRulesPanel>(p => p.Add(c => c.Deployment, deployment));

        Assert.Contains($"May not start yet: {env} is frozen: deny window \"Code freeze\"", TextOf(panel.WaitForElement("[data-testid=rules-refusal]")));
        await panel.Find("[data-testid=override-freeze]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Contains("An override needs a reason (at least 3 characters).", panel.Markup));
        Assert.Equal(0L, await AuditCountAsync("deployment.freeze_overridden"));

        panel.Find("input[data-testid=override-reason]").Change("security fix, approved by CTO");
        await panel.Find("[data-testid=override-freeze]").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Contains("security fix, approved by CTO", TextOf(panel.Find("[data-testid=rules-override]"))));
        Assert.Empty(panel.FindAll("[data-testid=rules-refusal]"));
        Assert.Equal(1L, await AuditCountAsync("deployment.freeze_overridden"));
    }
}
