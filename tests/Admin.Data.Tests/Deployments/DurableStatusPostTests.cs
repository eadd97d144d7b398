using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Admin.Data.Audit;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// Status posts by token commit durably in groups (issue 15): concurrent posts share transactions and each caller gets
/// its own answer; after a power cut of the whole cluster in the middle of the load, every post that was answered is
/// there with its history row and the audit chain verifies.
/// </summary>
public sealed class DurableStatusPostTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private const int Clients = 16;

    [Fact]
    public async Task Concurrent_posts_share_transactions_and_each_caller_gets_its_own_answer()
    {
        await using var source = DeploymentIngestion.CreateDataSource(fixture.Database.AppConnectionString);
        var (secret, caller) = await fixture.Database.CreateTokenAsync(source);
        await using var api = new DeploymentIngestion(source);
        var runs = await StartRunsAsync(api, caller, Clients);

        // Each client posts progress notes to its own deployment, with an Idempotency-Key each; one also posts to a
        // deployment that does not exist and one with a wrong token, in the same stream.
        var answers = new ConcurrentBag<(string Run, string Key, int Status)>();
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = Clients }, async (run, ct) =>
        {
            for (var n = 0; n < 25; n++)
            {
                var key = $"{run}-{n}";
                var result = await api.PostStatusAsync(secret, run, DeploymentStatuses.InProgress, $"step {key}", key, [1], ct);
                answers.Add((run, key, result.Status));
            }
        });
        var missing = await api.PostStatusAsync(secret, "no-such-run", DeploymentStatuses.InProgress, null, null, [1]);
        var unknownToken = await api.PostStatusAsync("adm_not-a-token", runs[0], DeploymentStatuses.InProgress, null, null, [1]);

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        Assert.Equal(404, missing.Status);
        Assert.Equal(401, unknownToken.Status);
        // A replay answers from the idempotency store, without a second history row.
        var replay = await api.PostStatusAsync(secret, runs[3], DeploymentStatuses.InProgress, $"step {runs[3]}-7", $"{runs[3]}-7", [1]);
        Assert.True(replay.Replayed);

        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM deployment_status_history WHERE message LIKE ANY ($1)", owner)
        {
            Parameters = { new() { Value = runs.Select(r => $"step {r}-%").ToArray() } },
        };
        Assert.Equal((long)answers.Count, (long)(await count.ExecuteScalarAsync())!);
        // Grouped: the 400 concurrent posts (and the three after them) went in fewer transactions than posts.
        var (batches, posts) = api.StatusBatchCounts;
        Assert.Equal(answers.Count + 3, posts);
        Assert.True(batches < posts, $"{batches} batches for {posts} posts: nothing was grouped");
    }

    [Fact]
    public async Task After_a_power_cut_in_the_middle_of_the_load_every_answered_post_is_there_and_the_audit_chain_verifies()
    {
        await using var cluster = await TemporaryCluster.StartAsync();
        const string database = "admin_durable";
        await cluster.CreateMigratedDatabaseAsync(database);
        // The temporary cluster commits asynchronously for speed (as the shared test cluster does); this test needs the
        // production setting. fsync may stay off: killed processes leave the operating system's page cache intact.
        await using (var super = new NpgsqlConnection(cluster.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("ALTER SYSTEM SET synchronous_commit = on");
            await super.ExecuteAsync("SELECT pg_reload_conf()");
        }
        var app = cluster.ConnectionString(database, TestPostgres.AppRole);
        var (secret, caller) = await CreateTokenAsync(cluster, database, app);

        var acknowledged = new ConcurrentBag<string>();
        var refused = 0;
        string[] runs;
        await using (var source = DeploymentIngestion.CreateDataSource(app))
        await using (var api = new DeploymentIngestion(source))
        {
            runs = await StartRunsAsync(api, caller, 8);
            using var stop = new CancellationTokenSource();
            var load = runs.Select(run => Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var key = $"{run}-{n}";
                    try
                    {
                        var result = await api.PostStatusAsync(secret, run, DeploymentStatuses.InProgress, $"note {key}", key, [1], stop.Token);
                        if (result.Status == 200) acknowledged.Add(key);
                    }
                    catch (Exception) when (!stop.IsCancellationRequested)
                    {
                        // The server is gone: not acknowledged, so nothing is owed. Keep trying, as CI would.
                        Interlocked.Increment(ref refused);
                        await Task.Delay(50, CancellationToken.None);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            })).ToArray();

            await WaitUntilAsync(() => acknowledged.Count >= 300, TimeSpan.FromSeconds(60));
            var beforeCut = acknowledged.Count;
            cluster.KillEveryProcess();
            await Task.Delay(300);
            await cluster.StartAgainAsync();
            // Posts resume after the restart (the pool replaces its broken connections).
            await WaitUntilAsync(() => acknowledged.Count >= beforeCut + 100, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }
        Assert.True(refused > 0, "the cut refused no post: it happened outside the load");

        await using var check = new NpgsqlConnection(cluster.ConnectionString(database, tweak: b => b.Pooling = false));
        await check.OpenAsync();
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await using (var notes = new NpgsqlCommand("SELECT substr(message, 6) FROM deployment_status_history WHERE message LIKE 'note %'", check))
        await using (var reader = await notes.ExecuteReaderAsync())
            while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
        var lost = acknowledged.Where(key => !stored.Contains(key)).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged posts were lost, e.g. {string.Join(", ", lost.Take(5))}");

        await using var appSource = NpgsqlDataSource.Create(app);
        var chain = await AuditChainVerifier.VerifyAsync(appSource);
        Assert.True(chain.Intact, string.Join("; ", chain.Problems));
    }

    /// <summary>Running deployments (created, then in_progress) to post progress notes to.</summary>
    private static async Task<string[]> StartRunsAsync(DeploymentIngestion api, ApiCaller caller, int count)
    {
        var runs = new string[count];
        for (var i = 0; i < count; i++)
        {
            var created = await api.CreateAsync(caller, DeploymentFixtures.NewDeployment("staging"), null, [1]);
            Assert.Equal(201, created.Status);
            runs[i] = JsonNode.Parse(created.Body)!["externalId"]!.GetValue<string>();
            Assert.Equal(200, (await api.PostStatusAsync(caller, runs[i], DeploymentStatuses.InProgress, null, null, [1])).Status);
        }
        return runs;
    }

    /// <summary>A token on the temporary cluster's database, created as in the console by an admin who is a console user.</summary>
    private static async Task<(string Secret, ApiCaller Caller)> CreateTokenAsync(TemporaryCluster cluster, string database, string app)
    {
        var admin = DeploymentFixtures.Admin;
        await using (var owner = new NpgsqlConnection(cluster.ConnectionString(database, TestPostgres.OwnerRole, b => b.Pooling = false)))
        {
            await owner.OpenAsync();
            await owner.ExecuteAsync($"""
                INSERT INTO users (id, display_name, is_disabled, created_at, user_name, normalized_user_name, email, normalized_email,
                                   email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
                VALUES ('{admin.UserId}', '{admin.Email}', false, now(), '{admin.Email}', upper('{admin.Email}'), '{admin.Email}',
                        upper('{admin.Email}'), true, false, false, true, 0)
                """);
        }
        await using var source = NpgsqlDataSource.Create(app);
        var tokens = new ApiTokenService(new SourceContexts(source, admin), new FixedSessionContextSource(admin));
        var secret = (await tokens.CreateAsync("ci", TokenScope.Everything)).Secret;
        await using var ingestion = DeploymentIngestion.CreateDataSource(app);
        return (secret, await new DeploymentIngestion(ingestion).AuthenticateAsync(secret) ?? throw new InvalidOperationException("no caller"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the load did not reach the expected number of posts");
            await Task.Delay(20);
        }
    }

    private sealed class SourceContexts(NpgsqlDataSource source, SessionContext user) : Microsoft.EntityFrameworkCore.IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => TestDatabase.CreateAppContext(source, user);
    }
}
