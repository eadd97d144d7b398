using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>The ingestion functions: creation, transitions, 409 reasons, idempotency replay and mismatch, tokens.</summary>
public sealed class DeploymentIngestionTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private ApiCaller _caller = null!;
    private DeploymentIngestion Api => new(_source);
    private static readonly byte[] Hash1 = [1, 2, 3], Hash2 = [4, 5, 6];

    public async Task InitializeAsync()
    {
        (_source, _caller) = await fixture.Database.OpenIngestionAsync();
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private async Task<JsonNode> CreateAsync(string environment = "staging", string? key = null)
    {
        var result = await Api.CreateAsync(_caller, DeploymentFixtures.NewDeployment(environment), key, Hash1);
        Assert.Equal(201, result.Status);
        return JsonNode.Parse(result.Body)!;
    }

    private Task<ApiResult> PostAsync(JsonNode d, string status, string? key = null, byte[]? hash = null) =>
        Api.PostStatusAsync(_caller, d["externalId"]!.GetValue<string>(), status, "from test", key, hash ?? Hash1);

    [Fact]
    public async Task A_deployment_to_an_open_environment_is_queued_and_runs_to_success_with_timestamps_and_history()
    {
        var d = await CreateAsync();
        Assert.Equal("queued", d["status"]!.GetValue<string>());
        Assert.Equal(DeploymentFixtures.Admin.Email, d["requestedBy"]!.GetValue<string>());

        Assert.Equal(200, (await PostAsync(d, DeploymentStatuses.InProgress)).Status);
        var done = await PostAsync(d, DeploymentStatuses.Succeeded);
        Assert.Equal(200, done.Status);
        var body = JsonNode.Parse(done.Body)!;
        Assert.NotNull(body["startedAt"]);
        Assert.NotNull(body["finishedAt"]);

        var detail = await fixture.Database.DeploymentService().GetAsync(body["id"]!.GetValue<long>());
        Assert.Equal([DeploymentStatuses.Queued, DeploymentStatuses.InProgress, DeploymentStatuses.Succeeded], detail!.History.Select(h => h.Status));
        Assert.Equal("api:ci", detail.History[^1].Actor);
    }

    [Fact]
    public async Task Production_waits_for_approval_and_cannot_start_before_it()
    {
        var d = await CreateAsync("production");
        Assert.Equal("awaiting_approval", d["status"]!.GetValue<string>());

        var start = await PostAsync(d, DeploymentStatuses.InProgress);
        Assert.Equal(409, start.Status);
        Assert.Contains("awaiting approval", JsonNode.Parse(start.Body)!["detail"]!.GetValue<string>());

        var approve = await PostAsync(d, DeploymentStatuses.Approved);
        Assert.Equal(409, approve.Status);
        Assert.Contains("approval is given in the console", approve.Body);
    }

    [Fact]
    public async Task Invalid_transitions_get_409_with_from_to_and_the_reason_and_change_nothing()
    {
        var d = await CreateAsync();
        var result = await PostAsync(d, DeploymentStatuses.Succeeded);

        Assert.Equal(409, result.Status);
        var problem = JsonNode.Parse(result.Body)!;
        Assert.Equal("queued", problem["from"]!.GetValue<string>());
        Assert.Equal("succeeded", problem["to"]!.GetValue<string>());
        Assert.Equal("queued -> succeeded: only a deployment in progress can become succeeded (it is queued)", problem["detail"]!.GetValue<string>());
        var detail = await fixture.Database.DeploymentService().GetAsync(d["id"]!.GetValue<long>());
        Assert.Equal("queued", detail!.Deployment.Status);
        Assert.Single(detail.History);
    }

    [Fact]
    public async Task Unknown_environment_is_400_naming_the_field_and_a_duplicate_external_id_is_409()
    {
        var bad = await Api.CreateAsync(_caller, DeploymentFixtures.NewDeployment("moon"), null, Hash1);
        Assert.Equal(400, bad.Status);
        Assert.Equal("environment", JsonNode.Parse(bad.Body)!["field"]!.GetValue<string>());

        var first = DeploymentFixtures.NewDeployment();
        Assert.Equal(201, (await Api.CreateAsync(_caller, first, null, Hash1)).Status);
        var again = await Api.CreateAsync(_caller, first, null, Hash1);
        Assert.Equal(409, again.Status);
        Assert.Equal("externalId", JsonNode.Parse(again.Body)!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_idempotency_key_and_body_replays_the_first_response_and_applies_once()
    {
        var d = await CreateAsync();
        var key = Guid.NewGuid().ToString();
        var first = await PostAsync(d, DeploymentStatuses.InProgress, key);
        var second = await PostAsync(d, DeploymentStatuses.InProgress, key);

        Assert.False(first.Replayed);
        Assert.True(second.Replayed);
        Assert.Equal(first.Status, second.Status);
        Assert.Equal(first.Body, second.Body);
        var detail = await fixture.Database.DeploymentService().GetAsync(d["id"]!.GetValue<long>());
        Assert.Equal(2, detail!.History.Count);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_apply_once_and_all_get_the_same_answer()
    {
        var d = await CreateAsync();
        var key = Guid.NewGuid().ToString();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => PostAsync(d, DeploymentStatuses.InProgress, key))));

        Assert.All(results, r => Assert.Equal(200, r.Status));
        Assert.Single(results, r => !r.Replayed);
        var detail = await fixture.Database.DeploymentService().GetAsync(d["id"]!.GetValue<long>());
        Assert.Equal(2, detail!.History.Count);
    }

    [Fact]
    public async Task The_same_key_with_another_body_is_422_and_does_nothing()
    {
        var d = await CreateAsync();
        var key = Guid.NewGuid().ToString();
        await PostAsync(d, DeploymentStatuses.InProgress, key, Hash1);
        var other = await PostAsync(d, DeploymentStatuses.Failed, key, Hash2);

        Assert.Equal(422, other.Status);
        Assert.Equal("Idempotency-Key", JsonNode.Parse(other.Body)!["field"]!.GetValue<string>());
        var detail = await fixture.Database.DeploymentService().GetAsync(d["id"]!.GetValue<long>());
        Assert.Equal("in_progress", detail!.Deployment.Status);
    }

    [Fact]
    public async Task A_creation_replayed_by_key_returns_201_again_without_a_second_deployment()
    {
        var key = Guid.NewGuid().ToString();
        var request = DeploymentFixtures.NewDeployment();
        var first = await Api.CreateAsync(_caller, request, key, Hash1);
        var second = await Api.CreateAsync(_caller, request, key, Hash1);
        Assert.Equal((201, false), (first.Status, first.Replayed));
        Assert.Equal((201, true), (second.Status, second.Replayed));
        Assert.Equal(first.Body, second.Body);
    }

    [Fact]
    public async Task A_revoked_token_no_longer_authenticates_and_use_is_recorded_at_most_once_a_minute()
    {
        var (secret, caller) = await fixture.Database.CreateTokenAsync(_source, name: "revoke-me");
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        var used = await owner.ScalarAsync<DateTime>($"SELECT last_used_at FROM api_tokens WHERE id = '{caller.TokenId}'");
        await Api.AuthenticateAsync(secret);
        Assert.Equal(used, await owner.ScalarAsync<DateTime>($"SELECT last_used_at FROM api_tokens WHERE id = '{caller.TokenId}'"));

        await fixture.Database.TokenService().RevokeAsync(caller.TokenId);

        Assert.Null(await Api.AuthenticateAsync(secret));
        Assert.Null(await Api.AuthenticateAsync(secret + "x"));
    }

    [Fact]
    public async Task Creation_and_every_transition_are_announced_on_the_deployments_topic_after_commit()
    {
        await using var listener = await fixture.Database.OpenAppAsAdminAsync();
        var received = new List<JsonNode>();
        listener.Notification += (_, e) => { lock (received) received.Add(JsonNode.Parse(e.Payload)!); };
        await listener.ExecuteAsync("LISTEN admin_live");

        var d = await CreateAsync("production");
        var id = d["id"]!.GetValue<long>().ToString();
        await PostAsync(d, DeploymentStatuses.Cancelled);

        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            await listener.WaitAsync(TimeSpan.FromMilliseconds(100));
            lock (received) if (received.Count(n => n["id"]?.GetValue<string>() == id) >= 2) break;
        }
        lock (received)
            Assert.Equal(["awaiting_approval", "cancelled"], received
                .Where(n => n["topic"]!.GetValue<string>() == "deployments" && n["id"]?.GetValue<string>() == id)
                .Select(n => n["kind"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_requestedBy_email_in_the_body_becomes_the_requester()
    {
        await fixture.Database.EnsureUserAsync(DeploymentFixtures.ReleaseManager);
        var result = await Api.CreateAsync(_caller, DeploymentFixtures.NewDeployment("production", requestedBy: "Release@Test.Local"), null, Hash1);
        Assert.Equal("release@test.local", JsonNode.Parse(result.Body)!["requestedBy"]!.GetValue<string>());
    }
}
