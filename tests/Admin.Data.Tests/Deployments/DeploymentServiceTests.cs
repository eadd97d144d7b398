using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>Approvals (who may, audit, history) and the keyset-paged list.</summary>
public sealed class DeploymentServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private ApiCaller _caller = null!;

    public async Task InitializeAsync()
    {
        (_source, _caller) = await fixture.Database.OpenIngestionAsync();
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private async Task<long> CreateAsync(string environment = "production", string? requestedBy = null, string service = "shop-api")
    {
        var result = await new DeploymentIngestion(_source).CreateAsync(_caller,
            DeploymentFixtures.NewDeployment(environment, requestedBy: requestedBy, service: service), null, [1]);
        Assert.Equal(201, result.Status);
        return JsonNode.Parse(result.Body)!["id"]!.GetValue<long>();
    }

    [Fact]
    public async Task A_release_manager_approves_a_waiting_deployment_with_history_and_an_audit_row()
    {
        var id = await CreateAsync();
        await fixture.Database.DeploymentService(DeploymentFixtures.ReleaseManager).DecideAsync(id, approve: true, "checks green");

        var detail = (await fixture.Database.DeploymentService().GetAsync(id))!;
        Assert.Equal(DeploymentStatuses.Approved, detail.Deployment.Status);
        Assert.Equal(("approved", "checks green", "release@test.local"), (detail.History[^1].Status, detail.History[^1].Message, detail.History[^1].Actor));
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(1L, await owner.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_events WHERE action = 'deployment.approved' AND record_id = '{id}' AND actor_email = 'release@test.local'"));
    }

    [Fact]
    public async Task The_requester_cannot_decide_whether_by_token_creator_or_by_requestedBy()
    {
        var byToken = await CreateAsync();
        var adminService = fixture.Database.DeploymentService(DeploymentFixtures.Admin);
        var e = await Assert.ThrowsAsync<DeploymentException>(() => adminService.DecideAsync(byToken, true, null));
        Assert.Contains("you requested this deployment", e.Message, StringComparison.OrdinalIgnoreCase);

        await fixture.Database.EnsureUserAsync(DeploymentFixtures.ReleaseManager);
        var byBody = await CreateAsync(requestedBy: DeploymentFixtures.ReleaseManager.Email);
        var rm = fixture.Database.DeploymentService(DeploymentFixtures.ReleaseManager);
        e = await Assert.ThrowsAsync<DeploymentException>(() => rm.DecideAsync(byBody, true, null));
        Assert.Equal("You requested this deployment; someone else must approve or reject it.", e.Message);
        Assert.Equal(DeploymentStatuses.AwaitingApproval, (await rm.GetAsync(byBody))!.Deployment.Status);
        Assert.NotNull(rm.WhyCannotDecide((await rm.GetAsync(byBody))!.Deployment));
    }

    [Fact]
    public async Task The_creator_of_the_token_cannot_approve_a_deployment_reported_with_it_even_naming_someone_else_as_requester()
    {
        // The token's creator (Admin) names a release manager as requester: before, that let the creator approve it.
        await fixture.Database.EnsureUserAsync(DeploymentFixtures.ReleaseManager);
        var id = await CreateAsync(requestedBy: DeploymentFixtures.ReleaseManager.Email);
        var holder = fixture.Database.DeploymentService(DeploymentFixtures.Admin);
        var row = (await holder.GetAsync(id))!.Deployment;
        Assert.Equal(DeploymentFixtures.Admin.Email, row.TokenHolder);
        Assert.Equal("You created the API token that reported this deployment; someone else must approve or reject it.", holder.WhyCannotDecide(row));

        var e = await Assert.ThrowsAsync<DeploymentException>(() => holder.DecideAsync(id, true, "mine, but named someone else"));
        Assert.Equal("You created the API token that reported this deployment; someone else must approve or reject it.", e.Message);
        // The database refuses it whoever calls: deploy_decide as the token holder, without the service.
        await using (var db = fixture.Database.CreateAppContext(DeploymentFixtures.Admin))
        {
            await db.Database.OpenConnectionAsync();
            Assert.Equal("you created the API token that reported this deployment; someone else must approve or reject it",
                await ((NpgsqlConnection)db.Database.GetDbConnection()).ScalarAsync<string>($"SELECT deploy_decide({id}, true, null)"));
        }
        Assert.Equal(DeploymentStatuses.AwaitingApproval, (await holder.GetAsync(id))!.Deployment.Status);
    }

    [Fact]
    public async Task Neither_the_requester_nor_the_token_holder_approves_and_a_third_person_does()
    {
        await fixture.Database.EnsureUserAsync(DeploymentFixtures.ReleaseManager);
        var id = await CreateAsync(requestedBy: DeploymentFixtures.ReleaseManager.Email);

        await Assert.ThrowsAsync<DeploymentException>(() => fixture.Database.DeploymentService(DeploymentFixtures.ReleaseManager).DecideAsync(id, true, null));
        await Assert.ThrowsAsync<DeploymentException>(() => fixture.Database.DeploymentService(DeploymentFixtures.Admin).DecideAsync(id, true, null));
        var third = fixture.Database.DeploymentService(DeploymentFixtures.OtherReleaseManager);
        Assert.Null(third.WhyCannotApprove((await third.GetAsync(id))!.Deployment));
        await third.DecideAsync(id, true, "four eyes");

        Assert.Equal(DeploymentStatuses.Approved, (await third.GetAsync(id))!.Deployment.Status);
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(DeploymentFixtures.Admin.Email, await owner.ScalarAsync<string>(
            $"SELECT new_data ->> 'tokenHolder' FROM audit_events WHERE action = 'deployment.approved' AND record_id = '{id}' AND actor_email = '{DeploymentFixtures.OtherReleaseManager.Email}'"));
    }

    [Fact]
    public async Task A_waiting_deployment_whose_requester_is_not_a_console_user_can_be_rejected_but_not_approved()
    {
        // As reported before requesters had to be console users: a free-text requester and no token recorded.
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        var id = await owner.ScalarAsync<long>("""
            INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status)
            VALUES ('legacy-' || gen_random_uuid(), 'shop-api', 'production', '1', 'abcdef1', 'someone@example.com', 'awaiting_approval') RETURNING id
            """);
        var rm = fixture.Database.DeploymentService(DeploymentFixtures.ReleaseManager);
        var row = (await rm.GetAsync(id))!.Deployment;
        Assert.Null(rm.WhyCannotDecide(row));
        Assert.StartsWith("The requester (someone@example.com) is not a console user", rm.WhyCannotApprove(row));

        var e = await Assert.ThrowsAsync<DeploymentException>(() => rm.DecideAsync(id, true, null));
        Assert.StartsWith("The requester (someone@example.com) is not a console user, so four eyes cannot be checked", e.Message);
        await rm.DecideAsync(id, false, "unknown requester, report it again");
        Assert.Equal(DeploymentStatuses.Cancelled, (await rm.GetAsync(id))!.Deployment.Status);
    }

    [Fact]
    public async Task Editors_and_dbas_are_refused_here_and_by_the_database()
    {
        var id = await CreateAsync();
        var dba = new Admin.Data.Session.SessionContext(Guid.NewGuid(), "dba@test.local", ["Dba"], [], [], "t");
        await Assert.ThrowsAsync<DeploymentException>(() => fixture.Database.DeploymentService(dba).DecideAsync(id, true, null));

        await using var db = fixture.Database.CreateAppContext(dba);
        await db.Database.OpenConnectionAsync();
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        Assert.Equal("only release managers and admins approve or reject deployments",
            await connection.ScalarAsync<string>($"SELECT deploy_decide({id}, true, null)"));
    }

    [Fact]
    public async Task A_rejection_needs_a_comment_and_cancels_the_deployment()
    {
        var id = await CreateAsync();
        var rm = fixture.Database.DeploymentService(DeploymentFixtures.ReleaseManager);
        var e = await Assert.ThrowsAsync<DeploymentException>(() => rm.DecideAsync(id, false, "  "));
        Assert.Equal("comment", e.Field);

        await rm.DecideAsync(id, false, "cache hit ratio too low");
        var detail = (await rm.GetAsync(id))!;
        Assert.Equal(DeploymentStatuses.Cancelled, detail.Deployment.Status);
        Assert.Equal("Rejected: cache hit ratio too low", detail.History[^1].Message);
        await Assert.ThrowsAsync<DeploymentException>(() => rm.DecideAsync(id, true, null));
    }

    [Fact]
    public async Task The_list_pages_by_keyset_without_gaps_or_repeats_and_filters()
    {
        var service = "paging-" + Guid.NewGuid().ToString("N")[..6];
        var ids = new List<long>();
        for (var i = 0; i < 7; i++) ids.Add(await CreateAsync("staging", service: service));
        var rm = fixture.Database.DeploymentService();

        var seen = new List<long>();
        DeploymentCursor? cursor = null;
        do
        {
            var page = await rm.ListAsync(new DeploymentFilter(Service: service), cursor, pageSize: 3);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(i => i.Id));
            cursor = page.Next is null ? null : DeploymentCursor.Parse(page.Next.ToString());
        } while (cursor is not null);

        Assert.Equal(ids.AsEnumerable().Reverse(), seen);
        Assert.Empty((await rm.ListAsync(new DeploymentFilter(Service: service, Status: DeploymentStatuses.Failed))).Items);
        Assert.Contains(service, await rm.ServicesAsync());
    }
}
