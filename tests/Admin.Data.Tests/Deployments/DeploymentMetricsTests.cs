using Admin.Data.Deployments;
using Admin.Data.Infrastructure;
using Admin.TestSupport;

namespace Admin.Data.Tests.Deployments;

/// <summary>The dashboard's aggregates on planted deployments with known answers, within the query budget.</summary>
public sealed class DeploymentMetricsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Rows as (status, minutes after T0 created/started, minutes finished, minutes rolled back) with commit at T0.</summary>
    private async Task PlantAsync(string service, string environment = "production")
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"""
            INSERT INTO deployments (external_id, service, environment, version, commit_sha, commit_at, requested_by_email, status,
                                     created_at, started_at, finished_at, rolled_back_at)
            SELECT '{service}-' || n, '{service}', '{environment}', '1.0.' || n, 'abcdef1', '{T0:O}'::timestamptz, 'ci@test.local', status,
                   '{T0:O}'::timestamptz + make_interval(mins => created), '{T0:O}'::timestamptz + make_interval(mins => created),
                   '{T0:O}'::timestamptz + make_interval(mins => finished), '{T0:O}'::timestamptz + make_interval(mins => rolled)
            FROM (VALUES (1, 'succeeded', 60, 70, NULL::int), (2, 'failed', 120, 125, NULL), (3, 'succeeded', 180, 200, NULL),
                         (4, 'cancelled', 240, 241, NULL), (5, 'in_progress', 300, NULL, NULL)) AS v(n, status, created, finished, rolled)
            """);
    }

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
        Assert.Equal(135 * 60, m.Summary.LeadTimeP50!.Value, 3);       // 70 and 200 minutes
        Assert.Equal(600, m.Summary.DurationP50!.Value, 3);            // 600, 300, 1200 s
        Assert.Equal(75 * 60, m.Summary.RestoreP50!.Value, 3);         // failed at 125 min, next success at 200 min
        Assert.Equal(1, m.Summary.Restores);
        Assert.Equal((DoraLevel.Elite, DoraLevel.Elite, DoraLevel.Low, DoraLevel.High),
            (m.FrequencyLevel, m.LeadTimeLevel, m.ChangeFailureLevel, m.RestoreLevel));
        Assert.Equal(5, m.PerDay.Sum(d => d.Count));
        Assert.All(m.PerDay, d => Assert.Equal(new DateTime(2026, 1, 5), d.Day));
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
