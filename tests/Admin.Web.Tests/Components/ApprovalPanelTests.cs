using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>The approval panel of a production deployment (four eyes) on a real database, as the requester and as another release manager.</summary>
public sealed class ApprovalPanelTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    /// <summary>A production deployment awaiting approval, requested by <paramref name="requester"/> (a console user).</summary>
    private async Task<DeploymentRow> AwaitingApprovalAsync(Admin.Data.Session.SessionContext requester)
    {
        await Db.EnsureUserAsync(requester);
        var (source, caller) = await Db.OpenIngestionAsync();
        await using (source)
        {
            var result = await new DeploymentIngestion(source).CreateAsync(caller,
                DeploymentFixtures.NewDeployment("production", requestedBy: requester.Email), null, [1]);
            Assert.Equal(201, result.Status);
            var id = JsonNode.Parse(result.Body)!["id"]!.GetValue<long>();
            var row = (await Db.DeploymentService(TestContexts.Admin).GetAsync(id))!.Deployment;
            Assert.Equal(DeploymentStatuses.AwaitingApproval, row.Status);
            return row;
        }
    }

    [Fact]
    public async Task The_requester_may_neither_approve_nor_reject_their_own_deployment()
    {
        var me = SignIn(AppRoles.ReleaseManager);
        var deployment = await AwaitingApprovalAsync(me.Session);

        var panel = Render<ApprovalPanel>(p => p.Add(c => c.Deployment, deployment));

        Assert.Contains("You requested this deployment; someone else must approve or reject it.", TextOf(panel.Find("[data-testid=approval-refusal]")));
        Assert.NotNull(panel.Find("[data-testid=approve]").GetAttribute("disabled"));
        Assert.NotNull(panel.Find("[data-testid=reject]").GetAttribute("disabled"));
        Assert.NotNull(panel.Find("textarea[data-testid=approval-comment]").GetAttribute("disabled"));
    }

    [Fact]
    public async Task Another_release_manager_may_decide_and_a_rejection_needs_a_reason()
    {
        var deployment = await AwaitingApprovalAsync(DeploymentFixtures.OtherReleaseManager);
        var me = SignIn(AppRoles.ReleaseManager);
        await Db.EnsureUserAsync(me.Session);
        var decided = 0;

        var panel = Render<ApprovalPanel>(p => p.Add(c => c.Deployment, deployment).Add(c => c.Decided, () => decided++));

        Assert.Empty(panel.FindAll("[data-testid=approval-refusal]"));
        Assert.Null(panel.Find("[data-testid=approve]").GetAttribute("disabled"));
        await panel.Find("[data-testid=reject]").ClickAsync(new());
        Assert.Equal("Say why you reject the deployment.", TextOf(panel.WaitForElement("[data-testid=approval-error]")));
        Assert.Equal(0, decided);

        panel.Find("textarea[data-testid=approval-comment]").Change("Wrong commit");
        await panel.Find("[data-testid=reject]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Equal(1, decided));
        var row = (await Db.DeploymentService(TestContexts.Admin).GetAsync(deployment.Id))!.Deployment;
        Assert.Equal(DeploymentStatuses.Cancelled, row.Status); // a rejected deployment is cancelled
    }
}
