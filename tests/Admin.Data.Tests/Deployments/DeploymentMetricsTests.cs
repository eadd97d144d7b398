using Admin.Data.Deployments;
using Admin.Data.Infrastructure;
using Admin.TestSupport;

namespace Admin.Data.Tests.Deployments;

/// <summary>The dashboard's aggregates on planted deployments with known answers, within the query budget.</summary>
public sealed class DeploymentMetricsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Deployments of one service, inserted in one statement as the schema owner (commit at T0), each row as (id suffix,
    /// environment, status, minutes after T0 created and started, minutes finished, minutes rolled back).
    /// </summary>
    private Task InsertAsync(string service, params (string Id, string Environment, string Status, int Created, int? Finished, int? RolledBack)[] rows) =>
        PlantedDeployments.InsertAsync(fixture.Database, T0, service, rows);

    private Task PlantAsync(string service) => InsertAsync(service,
        ("1", "production", "succeeded", 60, 70, null), ("2", "production", "failed", 120, 125, null), ("3", "production", "succeeded", 180, 200, null),
        ("4", "production", "cancelled", 240, 241, null), ("5", "production", "in_progress", 300, null, null));

    [Fact]
    public async Task The_four_keys_success_rate_and_durations_match_the_planted_deployments_in_two_queries()
    {
        var service = "metrics-" + Guid.NewGuid().ToString("N")[..6];
        await PlantAsync(service);
        var counter = new CommandCounter();
        var metrics = new DeploymentMetrics(fixture.Database.CountingFactory(DeploymentFixtures.ReleaseManager, counter));

        var m = await metrics.LoadAsync(T0, T0.AddDays(1), null, service);

        Assert.True(counter.Count <= 3, $"{counter.Count} queries");
        Assert.Equal(2, counter.Count);
        Assert.Equal((5L, 2L, 1L, 1L, 1L), (m.Summary.Total, m.Summary.Succeeded, m.Summary.Failed, m.Summary.Cancelled, m.Summary.Open));
        Assert.Equal(2.0, m.FrequencyPerDay);
        Assert.Equal(1.0 / 3, m.ChangeFailureRate!.Value, 6);
        Assert.Equal(0.5, m.SuccessRate!.Value, 6);
        LeadAssert.Near(135 * 60, m.Summary.LeadTimeP50);   // 70 and 200 minutes (from the histogram)
        Assert.Equal(600, m.Summary.DurationP50!.Value, 3);            // 600, 300, 1200 s
        Assert.Equal(75 * 60, m.Summary.RestoreP50!.Value, 3);         // failed at 125 min, next success at 200 min
        Assert.Equal(1, m.Summary.Restores);
        Assert.Equal((DoraLevel.Elite, DoraLevel.Elite, DoraLevel.Low, DoraLevel.High),
            (m.FrequencyLevel, m.LeadTimeLevel, m.ChangeFailureLevel, m.RestoreLevel));
        Assert.Equal(5, m.PerDay.Sum(d => d.Count));
        Assert.All(m.PerDay, d => Assert.Equal(new DateTime(2026, 1, 5), d.Day));
    }

    /// <summary>
    /// Every failure's restored_at as kept by the triggers, against the definition written out here: the first success
    /// (succeeded, or rolled back later) of the same service and environment that finished after the failure.
    /// </summary>
    public const string RestoresThatDisagreeSql = """
        SELECT count(*) FROM deployments f
        WHERE f.restored_at IS DISTINCT FROM CASE WHEN f.status IN ('failed', 'rolled_back') THEN (
                  SELECT min(s.finished_at) FROM deployments s
                  WHERE s.service = f.service AND s.environment = f.environment AND s.status IN ('succeeded', 'rolled_back')
                    AND s.finished_at > CASE f.status WHEN 'failed' THEN f.finished_at ELSE f.rolled_back_at END) END
        """;

    [Fact]
    public async Task Time_to_restore_runs_to_the_next_success_of_the_pipeline_whatever_the_insert_order_even_after_the_range()
    {
        var service = "restore-" + Guid.NewGuid().ToString("N")[..6];
        // The successes come first, in one statement: a long one that finishes late, one in another environment, and
        // one created after the range (2 hours) that is the failure's restore all the same.
        await InsertAsync(service, ("long", "production", "succeeded", 30, 300, null), ("staging", "staging", "succeeded", 80, 90, null),
            ("after", "production", "succeeded", 240, 250, null));
        // Then the failure, which finds its restore; a rollback, which finds the long one; and a success that finishes
        // before the long one and so restores the rollback sooner.
        await InsertAsync(service, ("failed", "production", "failed", 60, 70, null));
        await InsertAsync(service, ("rolled", "production", "rolled_back", 100, 255, 260));
        await InsertAsync(service, ("fix", "production", "succeeded", 270, 280, null));

        var m = await new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager))
            .LoadAsync(T0, T0.AddHours(2), "production", service);

        Assert.Equal((3L, 1L, 1L, 2L), (m.Summary.Total, m.Summary.Failed, m.Summary.RolledBack, m.Summary.Restores));
        // failed at 70 min -> next production success at 250 (180 min); rolled back at 260 -> fixed at 280 (20 min)
        Assert.Equal((180 + 20) / 2.0 * 60, m.Summary.RestoreP50!.Value, 3);
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(0L, await owner.ScalarAsync<long>(RestoresThatDisagreeSql));
    }

    [Fact]
    public async Task Restores_are_kept_as_the_api_reports_failures_rollbacks_and_successes()
    {
        var (source, caller) = await fixture.Database.OpenIngestionAsync();
        await using var _ = source;
        var api = new DeploymentIngestion(source);
        var service = "live-" + Guid.NewGuid().ToString("N")[..6];
        var from = DateTimeOffset.UtcNow.AddMinutes(-1);
        async Task<string> RunAsync(params string[] statuses)
        {
            var d = DeploymentFixtures.NewDeployment("staging", service: service);
            Assert.Equal(201, (await api.CreateAsync(caller, d, null, [1])).Status);
            foreach (var status in statuses) Assert.Equal(200, (await api.PostStatusAsync(caller, d.ExternalId, status, null, null, [1])).Status);
            return d.ExternalId;
        }

        await RunAsync(DeploymentStatuses.InProgress, DeploymentStatuses.Failed);
        var second = await RunAsync(DeploymentStatuses.InProgress, DeploymentStatuses.Succeeded);
        var metrics = new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager));
        Assert.Equal(1, (await metrics.LoadAsync(from, DateTimeOffset.UtcNow.AddMinutes(1), "staging", service)).Summary.Restores);

        // The success is rolled back: a failure of its own, restored by the next success.
        Assert.Equal(200, (await api.PostStatusAsync(caller, second, DeploymentStatuses.RolledBack, null, null, [1])).Status);
        Assert.Equal(1, (await metrics.LoadAsync(from, DateTimeOffset.UtcNow.AddMinutes(1), "staging", service)).Summary.Restores);
        await RunAsync(DeploymentStatuses.InProgress, DeploymentStatuses.Succeeded);
        var m = await metrics.LoadAsync(from, DateTimeOffset.UtcNow.AddMinutes(1), "staging", service);
        Assert.Equal((1L, 1L, 1L, 2L), (m.Summary.Succeeded, m.Summary.Failed, m.Summary.RolledBack, m.Summary.Restores));

        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(0L, await owner.ScalarAsync<long>(RestoresThatDisagreeSql));
    }

    [Fact]
    public async Task A_failure_and_a_success_of_one_pipeline_written_at_the_same_time_still_pair_up()
    {
        var service = "race-" + Guid.NewGuid().ToString("N")[..6];
        await InsertAsync(service, ("1", "staging", "in_progress", 0, null, null), ("2", "staging", "in_progress", 0, null, null));
        await using var setup = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var failing = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var succeeding = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);

        // Through deploy_apply, as the API and the console apply transitions. The failure is written first but not
        // committed yet; the success comes after it and could not see it before it commits.
        await failing.ExecuteAsync($"BEGIN; SELECT deploy_apply(id, 'failed', NULL, 'test') FROM deployments WHERE external_id = '{service}-1'");
        var success = succeeding.ExecuteAsync($"SELECT deploy_apply(id, 'succeeded', NULL, 'test') FROM deployments WHERE external_id = '{service}-2'");
        await Task.Delay(300);
        Assert.False(success.IsCompleted); // waits for the pipeline, not for a row
        await failing.ExecuteAsync("COMMIT");
        await success;

        Assert.True(await setup.ScalarAsync<bool>($"""
            SELECT f.restored_at = s.finished_at FROM deployments f, deployments s
            WHERE f.external_id = '{service}-1' AND s.external_id = '{service}-2'
            """));
    }

    [Fact]
    public async Task A_filter_that_matches_nothing_gives_zeros_and_no_levels()
    {
        var m = await new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager))
            .LoadAsync(T0, T0.AddDays(7), "staging", "no-such-service");
        Assert.Equal(0, m.Summary.Total);
        Assert.Null(m.ChangeFailureRate);
        Assert.Equal(DoraLevel.None, m.FrequencyLevel);
        Assert.Empty(m.PerDay);
    }

    [Fact]
    public async Task A_reversed_or_too_long_range_is_refused_with_the_field()
    {
        var metrics = new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager));
        Assert.Equal("to", (await Assert.ThrowsAsync<DeploymentException>(() => metrics.LoadAsync(T0, T0.AddDays(-1), null, null))).Field);
        Assert.Equal("from", (await Assert.ThrowsAsync<DeploymentException>(() => metrics.LoadAsync(T0, T0.AddDays(400), null, null))).Field);
    }

    [Theory]
    [InlineData(2.0, DoraLevel.Elite)]
    [InlineData(0.5, DoraLevel.High)]
    [InlineData(0.05, DoraLevel.Medium)]
    [InlineData(0.01, DoraLevel.Low)]
    public void Frequency_levels(double perDay, DoraLevel level) => Assert.Equal(level, DoraLevels.Frequency(perDay));

    [Theory]
    [InlineData(0.02, DoraLevel.Elite)]
    [InlineData(0.08, DoraLevel.High)]
    [InlineData(0.15, DoraLevel.Medium)]
    [InlineData(0.30, DoraLevel.Low)]
    public void Change_failure_levels(double rate, DoraLevel level) => Assert.Equal(level, DoraLevels.ChangeFailureRate(rate));

    [Theory]
    [InlineData(30, DoraLevel.Elite)]
    [InlineData(300, DoraLevel.High)]
    [InlineData(3000, DoraLevel.Medium)]
    [InlineData(30000, DoraLevel.Low)]
    public void Time_to_restore_levels(int minutes, DoraLevel level) => Assert.Equal(level, DoraLevels.TimeToRestore(TimeSpan.FromMinutes(minutes)));

    [Theory]
    [InlineData(2, DoraLevel.Elite)]
    [InlineData(48, DoraLevel.High)]
    [InlineData(24 * 20, DoraLevel.Medium)]
    [InlineData(24 * 60, DoraLevel.Low)]
    public void Lead_time_levels(int hours, DoraLevel level) => Assert.Equal(level, DoraLevels.LeadTime(TimeSpan.FromHours(hours)));
}
