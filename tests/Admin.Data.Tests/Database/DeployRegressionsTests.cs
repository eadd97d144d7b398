using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Deploy-aware regressions: planted samples around planted deployments. Every test has its own target and its own day
/// (events are not per target), in 2030 so that no seeded deployment or release falls near them.
/// </summary>
public sealed class DeployRegressionsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly DateTimeOffset Base = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);
    private NpgsqlDataSource _console = null!;

    public Task InitializeAsync()
    {
        _console = NpgsqlDataSource.Create(fixture.Database.AppConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _console.DisposeAsync();

    private DeployRegressions Service(RegressionOptions? options = null) => new(_console, new StatisticsWindows(_console), options ?? new RegressionOptions());

    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = _console.CreateCommand(sql);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync();
    }

    private Task EventAsync(string kind, long id, DateTimeOffset at, string? environment = "production", string? name = null) => ExecuteAsync("""
        INSERT INTO monitoring_deploy_events (kind, source_id, at, environment, service, version, name, status)
        VALUES (@kind, @id, @at, @env, CASE WHEN @kind = 'deployment' THEN 'orders' END, CASE WHEN @kind = 'deployment' THEN '1.' || @id END, @name, 'succeeded')
        """, ("kind", kind), ("id", id), ("at", at), ("env", (object?)environment ?? DBNull.Value), ("name", (object?)name ?? DBNull.Value));

    /// <summary>A statement's deltas: one every 10 minutes from <paramref name="from"/> (inclusive) to <paramref name="to"/> (exclusive).</summary>
    private Task DeltasAsync(string target, long queryid, DateTimeOffset from, DateTimeOffset to, long calls, double totalMs) => ExecuteAsync("""
        INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
        VALUES (@target, @q, 'SELECT planted_' || @q, 0, 0, 0, 0, 0, @from, @to) ON CONFLICT DO NOTHING;
        INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
        SELECT @target, @q, t, @calls, @ms, @calls, 0, 0 FROM generate_series(@from, @to - interval '1 second', interval '10 minutes') t;
        """, ("target", target), ("q", queryid), ("from", from), ("to", to), ("calls", calls), ("ms", totalMs));

    [Fact]
    public async Task A_statement_three_times_slower_after_a_deployment_is_listed_with_its_change_unchanged_and_rare_ones_are_not()
    {
        const string target = "regress-slower";
        var t = Base;
        await EventAsync("deployment", 9001, t);
        var (b, a) = (t.AddMinutes(-60), t.AddMinutes(60));
        await DeltasAsync(target, 1, b, t, 100, 200);   // 2 ms mean …
        await DeltasAsync(target, 1, t, a, 100, 600);   // … then 6 ms: 3x slower
        await DeltasAsync(target, 2, b, a, 100, 500);   // unchanged
        await DeltasAsync(target, 3, b, t, 1, 1);       // 1 call per sample: 6 calls per window, under 10
        await DeltasAsync(target, 3, t, a, 1, 100);
        await DeltasAsync(target, 4, b, t, 10, 10);     // 60 calls per hour before, 600 after, same mean
        await DeltasAsync(target, 4, t, a, 100, 100);
        await DeltasAsync(target, 5, t, a, 50, 5000);   // new after the deployment, heavy
        await DeltasAsync(target, 6, t, a, 20, 1);      // new, light
        var service = Service();

        var e = (await service.EventAsync("deployment", 9001))!;
        var report = await service.EvaluateAsync(target, e, t.AddHours(3));

        Assert.True(report.Complete);
        Assert.Null(report.ClippedBy);
        Assert.Equal((new TimeWindow(b, t), new TimeWindow(t, a)), (report.Before, report.After));
        Assert.Equal([1L, 4L], report.Regressions.Select(s => s.QueryId));
        var slower = report.Regressions[0];
        Assert.Equal((RegressionReason.Slower, "SELECT planted_1"), (slower.Reason, slower.Query));
        Assert.Equal((2.0, 6.0, 4.0), (slower.BeforeMeanMs, slower.AfterMeanMs, slower.MeanChangeMs));
        Assert.Equal(200, slower.MeanChangePercent!.Value, 6);
        Assert.Equal((10.0, 10.0), (slower.BeforePerMinute, slower.AfterPerMinute));
        var busier = report.Regressions[1];
        Assert.Equal(RegressionReason.MoreCalls, busier.Reason);
        Assert.Equal(900, busier.PerMinuteChangePercent!.Value, 6);
        Assert.Equal([5L], report.NewHeavy.Select(s => s.QueryId));

        // Stricter thresholds: 3x slower is not 250 % slower; calls per minute must grow 20x.
        var strict = await Service(new RegressionOptions { MeanPercent = 250, CallsFactor = 20 }).EvaluateAsync(target, e, t.AddHours(3));
        Assert.Empty(strict.Regressions);

        // The sampler's step stores it once its after window has ended; the list and the alert call read that.
        Assert.Equal(0, await service.EvaluatePendingAsync(target, t.AddMinutes(30)));
        Assert.Equal(1, await service.EvaluatePendingAsync(target, t.AddHours(2)));
        Assert.Equal(0, await service.EvaluatePendingAsync(target, t.AddHours(2)));
        var listed = Assert.Single(await service.ListAsync(target, new TimeWindow(t.AddHours(-1), t.AddHours(1))));
        Assert.Equal((2, 1, a), (listed.Regressions, listed.NewHeavy, listed.AfterTo));
        var stored = Assert.Single(await service.RegressionsAsync(target, t, t.AddSeconds(1)));
        Assert.Equal([1L, 4L], stored.Regressions.Select(s => s.QueryId));
        Assert.Equal(("SELECT planted_1", 200.0), (stored.Regressions[0].Query, Math.Round(stored.Regressions[0].MeanChangePercent!.Value, 6)));
        Assert.Equal([5L], stored.NewHeavy.Select(s => s.QueryId));
        Assert.Empty(await service.RegressionsAsync(target, t.AddSeconds(1), t.AddHours(1)));
    }

    [Fact]
    public async Task The_after_window_ends_at_the_next_deployment_of_the_environment_and_at_now()
    {
        const string target = "regress-clipped";
        var t = Base.AddDays(1);
        await EventAsync("deployment", 9011, t);
        await EventAsync("deployment", 9012, t.AddMinutes(10), environment: "staging"); // another environment: not counted
        await EventAsync("deployment", 9013, t.AddMinutes(20));
        await DeltasAsync(target, 1, t.AddMinutes(-60), t.AddMinutes(20), 100, 200);
        await DeltasAsync(target, 1, t.AddMinutes(20), t.AddMinutes(80), 100, 2000); // slower only after #9013
        var service = Service();

        var first = await service.EvaluateAsync(target, (await service.EventAsync("deployment", 9011))!, t.AddHours(3));
        Assert.Equal(new TimeWindow(t, t.AddMinutes(20)), first.After);
        Assert.Contains("#9013", first.ClippedBy);
        Assert.True(first.Complete);
        Assert.Empty(first.Regressions);

        var second = await service.EvaluateAsync(target, (await service.EventAsync("deployment", 9013))!, t.AddHours(3));
        Assert.Equal(new TimeWindow(t.AddMinutes(20), t.AddMinutes(80)), second.After);
        Assert.Equal([1L], second.Regressions.Select(s => s.QueryId));

        // Every environment: the staging deployment clips the first one's window instead.
        var all = await Service(new RegressionOptions { Environment = "*" }).EvaluateAsync(target, (await service.EventAsync("deployment", 9011))!, t.AddHours(3));
        Assert.Equal(t.AddMinutes(10), all.After.To);

        // While the after window runs it ends now, says so, and is not stored.
        var running = await service.EvaluateAsync(target, (await service.EventAsync("deployment", 9013))!, t.AddMinutes(50));
        Assert.Equal((t.AddMinutes(50), false), (running.After.To, running.Complete));
        Assert.StartsWith("now", running.ClippedBy);
        await service.EvaluatePendingAsync(target, t.AddMinutes(50)); // #9011 (ended at #9013), not #9013
        var list = await service.ListAsync(target, new TimeWindow(t, t.AddHours(1)));
        Assert.Equal([(9013L, (int?)null), (9011L, 0)], list.Select(s => (s.Event.Id, s.Regressions)));
    }

    [Fact]
    public async Task Markers_are_the_events_in_the_range_of_the_configured_environment_and_releases()
    {
        var t = Base.AddDays(2);
        await EventAsync("deployment", 9021, t.AddHours(-2));
        await EventAsync("deployment", 9022, t.AddHours(1));
        await EventAsync("release_deploy", 9023, t.AddHours(2), environment: null, name: "Spring sale");
        await EventAsync("deployment", 9024, t.AddHours(3), environment: "staging");
        await EventAsync("release_rollback", 9025, t.AddHours(5), environment: null, name: "Spring sale");
        var range = new TimeWindow(t, t.AddHours(4));

        var markers = await Service().MarkersAsync(range);
        Assert.Equal(["deployment:9022", "release_deploy:9023"], markers.Select(m => m.Key));
        Assert.Equal("Deployment #9022 orders 1.9022 → production (succeeded)", markers[0].Label);
        Assert.Equal("Release #9023 “Spring sale” deployed", markers[1].Label);
        Assert.Equal(["release_deploy:9023"], (await Service().MarkersAsync(range, limit: 1)).Select(m => m.Key)); // the latest

        Assert.Equal(["deployment:9022"], (await Service(new RegressionOptions { IncludeReleases = false }).MarkersAsync(range)).Select(m => m.Key));
        Assert.Equal(["deployment:9024"], (await Service(new RegressionOptions { Environment = "staging", IncludeReleases = false }).MarkersAsync(range)).Select(m => m.Key));
        Assert.Equal(3, (await Service(new RegressionOptions { Environment = "*" }).MarkersAsync(range)).Count);
    }

    [Fact]
    public async Task The_sampler_copies_finished_deployments_and_release_events_and_follows_a_rollback()
    {
        var t = Base.AddDays(3);
        long succeeded, running, cancelled, deployed, rolledBack;
        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
        {
            // Planted as they end up (the write paths and their triggers are the Deployments and Releases areas' own).
            await super.ExecuteAsync("SET session_replication_role = replica");
            async Task<long> Deployment(string status, DateTimeOffset? finished)
            {
                await using var c = new NpgsqlCommand("""
                    INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status, created_at, finished_at)
                    VALUES (gen_random_uuid()::text, 'orders', 'production', '2.0.' || @status, 'abcdef1', 'ci@example.com', @status, @created, @finished)
                    RETURNING id
                    """, super);
                c.Parameters.AddWithValue("status", status);
                c.Parameters.AddWithValue("created", t.AddMinutes(-10));
                c.Parameters.AddWithValue("finished", (object?)finished ?? DBNull.Value);
                return (long)(await c.ExecuteScalarAsync())!;
            }
            async Task<long> Release(string name, string status, DateTimeOffset deployedAt, DateTimeOffset? closedAt)
            {
                await using var c = new NpgsqlCommand("""
                    INSERT INTO releases (name, status, deploy_seq, deployed_at, closed_at, close_reason)
                    VALUES (@name, @status, CASE WHEN @status = 'DEPLOYED' THEN nextval('release_deploy_seq') END, @deployed, @closed,
                            CASE WHEN @status = 'ROLLED_BACK' THEN 'broke checkout' END)
                    RETURNING id
                    """, super);
                c.Parameters.AddWithValue("name", name);
                c.Parameters.AddWithValue("status", status);
                c.Parameters.AddWithValue("deployed", deployedAt);
                c.Parameters.AddWithValue("closed", (object?)closedAt ?? DBNull.Value);
                return (long)(await c.ExecuteScalarAsync())!;
            }
            succeeded = await Deployment("succeeded", t);
            running = await Deployment("in_progress", null);
            cancelled = await Deployment("cancelled", t.AddMinutes(1));
            deployed = await Release("Winter menu", "DEPLOYED", t.AddMinutes(5), null);
            rolledBack = await Release("Broken banner", "ROLLED_BACK", t.AddMinutes(6), t.AddMinutes(30));
        }
        var service = Service(new RegressionOptions { Environment = "*" });

        await service.SyncEventsAsync(t.AddHours(1));

        var markers = await service.MarkersAsync(new TimeWindow(t.AddHours(-1), t.AddHours(1)));
        Assert.Equal([$"deployment:{succeeded}", $"release_deploy:{deployed}", $"release_deploy:{rolledBack}", $"release_rollback:{rolledBack}"],
            markers.Select(m => m.Key));
        Assert.DoesNotContain(markers, m => m.Kind == "deployment" && (m.Id == running || m.Id == cancelled));
        Assert.Equal(("orders", "2.0.succeeded", "production", "succeeded"), (markers[0].Service, markers[0].Version, markers[0].Environment, markers[0].Status));
        Assert.Equal("Release #" + rolledBack + " “Broken banner” rolled back", markers[3].Label);

        await using (var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name))
            await super.ExecuteAsync($"SET session_replication_role = replica; UPDATE deployments SET status = 'rolled_back' WHERE id = {succeeded}");
        await service.SyncEventsAsync(t.AddHours(1));
        Assert.Equal("rolled_back", (await service.EventAsync("deployment", succeeded))!.Status);

        // Events older than the lookback leave with their evaluations.
        await service.SyncEventsAsync(t.AddDays(8));
        Assert.Null(await service.EventAsync("deployment", succeeded));
    }
}
