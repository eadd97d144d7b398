using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// deploy_api_status_batch applies the common post (an in_progress note with a new key or none) set-based and runs the
/// rest post by post (issue 15): every post's answer is the one a single call gives, whichever way it went.
/// </summary>
public sealed class StatusBatchTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly byte[] Body1 = [1], Body2 = [2];

    [Fact]
    public async Task A_mixed_batch_answers_each_post_as_a_single_call_would()
    {
        await using var source = DeploymentIngestion.CreateDataSource(fixture.Database.AppConnectionString);
        var (secret, caller) = await fixture.Database.CreateTokenAsync(source);
        var (scoped, _) = await fixture.Database.CreateTokenAsync(source, name: "billing-only", scope: new TokenScope(["billing"], [TokenScope.All]));
        await using var api = new DeploymentIngestion(source);
        var (a, b, c, d, e, f, g, j) = (await RunAsync(api, caller), await RunAsync(api, caller), await RunAsync(api, caller),
            await RunAsync(api, caller), await RunAsync(api, caller), await RunAsync(api, caller), await RunAsync(api, caller), await RunAsync(api, caller));
        var earlier = await api.PostStatusAsync(caller, c, DeploymentStatuses.InProgress, "earlier", "k-old", Body1);
        Assert.Equal(200, (await api.PostStatusAsync(caller, f, DeploymentStatuses.Succeeded, null, null, Body1)).Status);
        var startedBefore = await StartedAtAsync(a);

        var answers = await BatchAsync(source, null,
            new Post(secret, a, DeploymentStatuses.InProgress, "a1", "k-a1", Body1),          // 0 set-based, with a key
            new Post(secret, b, DeploymentStatuses.InProgress, "b1", null, Body1),            // 1 set-based, no key
            new Post(secret, c, DeploymentStatuses.InProgress, "earlier", "k-old", Body1),    // 2 replay
            new Post(secret, g, DeploymentStatuses.InProgress, "reused", "k-old", Body2),     // 3 key reused for another request
            new Post(secret, "no-such-run", DeploymentStatuses.InProgress, null, null, Body1), // 4 unknown deployment
            new Post(secret, d, DeploymentStatuses.Succeeded, "done", "k-d", Body1),          // 5 terminal status
            new Post(secret, e, DeploymentStatuses.InProgress, "e1", null, Body1),            // 6 two posts to one deployment
            new Post(secret, e, DeploymentStatuses.InProgress, "e2", null, Body1),            // 7
            new Post(secret, f, DeploymentStatuses.InProgress, null, null, Body1),            // 8 invalid transition
            new Post(scoped, j, DeploymentStatuses.InProgress, null, null, Body1),            // 9 outside the token's scope
            new Post("adm_not-a-token", a, DeploymentStatuses.InProgress, null, null, Body1)); // 10 unknown token

        Assert.Equal([200, 200, 200, 422, 404, 200, 200, 200, 409, 403, 401], answers.Select(x => x.Status));
        // A reused key answers from the key store, as a replay does (the single call says so too).
        Assert.Equal([false, false, true, true, false, false, false, false, false, false, false], answers.Select(x => x.Replayed));
        Assert.Equal(earlier.Body, answers[2].Body);

        // The set-based answer is the deployment as a single call answers it, and it is stored for the key's replay.
        var single = JsonNode.Parse((await api.PostStatusAsync(caller, b, DeploymentStatuses.InProgress, "b2", null, Body1)).Body)!.AsObject();
        var fast = JsonNode.Parse(answers[0].Body)!.AsObject();
        Assert.Equal(single.Select(p => p.Key).Order(), fast.Select(p => p.Key).Order());
        Assert.Equal(a, fast["externalId"]!.GetValue<string>());
        Assert.Equal(DeploymentStatuses.InProgress, fast["status"]!.GetValue<string>());
        Assert.Equal(startedBefore, fast["startedAt"]!.GetValue<DateTimeOffset>());
        var replay = await api.PostStatusAsync(caller, a, DeploymentStatuses.InProgress, "a1", "k-a1", Body1);
        Assert.True(replay.Replayed);
        Assert.Equal(answers[0].Body, replay.Body);
        Assert.Equal(DeploymentStatuses.Succeeded, JsonNode.Parse(answers[5].Body)!["status"]!.GetValue<string>());

        Assert.Equal(["a1"], await NotesAsync(a));
        Assert.Equal(["b1", "b2"], await NotesAsync(b));
        Assert.Equal(["earlier"], await NotesAsync(c));
        Assert.Equal(["e1", "e2"], await NotesAsync(e));
        Assert.Empty(await NotesAsync(g));
        Assert.Equal("api:ci", await LastActorAsync(a));
    }

    [Fact]
    public async Task A_key_claimed_by_a_batch_in_flight_is_answered_once_that_batch_commits()
    {
        await using var source = DeploymentIngestion.CreateDataSource(fixture.Database.AppConnectionString);
        var (secret, caller) = await fixture.Database.CreateTokenAsync(source);
        await using var api = new DeploymentIngestion(source);
        var (a, b) = (await RunAsync(api, caller), await RunAsync(api, caller));

        // The first batch holds the key uncommitted; the second uses it for another deployment and another body.
        await using var first = await source.OpenConnectionAsync();
        await using var open = await first.BeginTransactionAsync();
        var firstAnswers = await BatchAsync(source, (first, open), new Post(secret, a, DeploymentStatuses.InProgress, "a1", "k-race", Body1));
        Assert.Equal(200, firstAnswers[0].Status);
        var second = BatchAsync(source, null, new Post(secret, b, DeploymentStatuses.InProgress, "b1", "k-race", Body2));
        await Task.Delay(500);
        Assert.False(second.IsCompleted, "the second batch did not wait for the key held by the first");
        await open.CommitAsync();

        var secondAnswers = await second.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(422, secondAnswers[0].Status);
        Assert.Empty(await NotesAsync(b));
        Assert.Equal(["a1"], await NotesAsync(a));
        var again = await BatchAsync(source, null, new Post(secret, a, DeploymentStatuses.InProgress, "a1", "k-race", Body1));
        Assert.True(again[0].Replayed);
        Assert.Equal(firstAnswers[0].Body, again[0].Body);
    }

    [Fact]
    public async Task A_set_based_post_is_announced_to_listeners_once_its_batch_has_committed()
    {
        await using var source = DeploymentIngestion.CreateDataSource(fixture.Database.AppConnectionString);
        var (secret, caller) = await fixture.Database.CreateTokenAsync(source);
        await using var api = new DeploymentIngestion(source);
        var run = await RunAsync(api, caller);

        await using var listener = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        var heard = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Notification += (_, e) =>
        {
            var payload = JsonNode.Parse(e.Payload)!;
            if (payload["kind"]?.GetValue<string>() == DeploymentStatuses.InProgress && payload["topic"]?.GetValue<string>() == "deployments") heard.TrySetResult(payload);
        };
        await listener.ExecuteAsync("LISTEN admin_live");

        var answer = await api.PostStatusAsync(secret, run, DeploymentStatuses.InProgress, "announced", "k-live", Body1);
        Assert.Equal(200, answer.Status);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!heard.Task.IsCompleted) await listener.WaitAsync(wait.Token);
        var payload = await heard.Task;
        Assert.Equal(JsonNode.Parse(answer.Body)!["id"]!.ToString(), payload["id"]!.GetValue<string>());
        Assert.Equal("api:ci", payload["actor"]!.GetValue<string>());
    }

    private sealed record Post(string Secret, string Reference, string Status, string? Message, string? Key, byte[] RequestHash);

    /// <summary>One call of deploy_api_status_batch, in its own transaction or in <paramref name="inside"/>; answers by position.</summary>
    private static async Task<ApiResult[]> BatchAsync(NpgsqlDataSource source, (NpgsqlConnection Connection, NpgsqlTransaction Transaction)? inside, params Post[] posts)
    {
        var connection = inside?.Connection ?? await source.OpenConnectionAsync();
        try
        {
            await using var command = new NpgsqlCommand(
                "SELECT ord, http_status, body, replayed, error_state FROM deploy_api_status_batch($1, $2, $3, $4, $5, $6)", connection, inside?.Transaction);
            command.Parameters.Add(new() { Value = posts.Select(p => DeploymentIngestion.HashToken(p.Secret)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            command.Parameters.Add(new() { Value = posts.Select(p => p.Key).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = posts.Select(p => p.RequestHash).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            command.Parameters.Add(new() { Value = posts.Select(p => p.Reference).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = posts.Select(p => p.Status).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(new() { Value = posts.Select(p => p.Message).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            var answers = new ApiResult[posts.Length];
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.True(reader.IsDBNull(4), $"post {reader.GetInt32(0)} raised {(reader.IsDBNull(4) ? "" : reader.GetString(4))}");
                answers[reader.GetInt32(0) - 1] = new ApiResult(reader.GetInt32(1), reader.IsDBNull(2) ? "" : reader.GetString(2), reader.GetBoolean(3));
            }
            return answers;
        }
        finally
        {
            if (inside is null) await connection.DisposeAsync();
        }
    }

    private static async Task<string> RunAsync(DeploymentIngestion api, ApiCaller caller)
    {
        var created = await api.CreateAsync(caller, DeploymentFixtures.NewDeployment("staging"), null, Body1);
        Assert.Equal(201, created.Status);
        var run = JsonNode.Parse(created.Body)!["externalId"]!.GetValue<string>();
        Assert.Equal(200, (await api.PostStatusAsync(caller, run, DeploymentStatuses.InProgress, null, null, Body1)).Status);
        return run;
    }

    /// <summary>The messages posted to a deployment's history (not its creation's), in order.</summary>
    private async Task<List<string>> NotesAsync(string run)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("""
            SELECT h.message FROM deployment_status_history h JOIN deployments d ON d.id = h.deployment_id
            WHERE d.external_id = $1 AND h.status <> 'queued' AND h.message IS NOT NULL ORDER BY h.id
            """, owner) { Parameters = { new() { Value = run } } };
        var notes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) notes.Add(reader.GetString(0));
        return notes;
    }

    private async Task<string> LastActorAsync(string run)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("""
            SELECT h.actor FROM deployment_status_history h JOIN deployments d ON d.id = h.deployment_id
            WHERE d.external_id = $1 ORDER BY h.id DESC LIMIT 1
            """, owner) { Parameters = { new() { Value = run } } };
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private async Task<DateTimeOffset> StartedAtAsync(string run)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("SELECT started_at FROM deployments WHERE external_id = $1", owner) { Parameters = { new() { Value = run } } };
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }
}
