using Admin.Data.Deployments;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// The dashboard's lead-time percentiles come from per-day histogram buckets kept by triggers on deploy_commit_leads
/// (migration LeadTimeHistogram): on random data they agree with PostgreSQL's exact percentile_cont within the stated
/// bound, the sample and class counts are exact, and the buckets stay equal to a recount after commits are listed
/// later, a later success moves leads to an earlier shipment, and deployments are deleted.
/// </summary>
public sealed class LeadHistogramTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly DateTimeOffset T0 = new(2023, 5, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Percentiles_from_the_buckets_agree_with_percentile_cont_and_stay_right_as_commits_and_deployments_change()
    {
        var s = "hist-" + Guid.NewGuid().ToString("N")[..8];
        var random = new Random(18);
        // 160 production successes over three days (5 minutes each), 20 more without commits (their own lead time),
        // one still in progress that will succeed earlier than some shipments, and staging noise.
        var rows = Enumerable.Range(0, 160).Select(i => random.Next(0, 3 * 1440 - 10))
            .Select((created, i) => ($"p{i}", "production", "succeeded", created, (int?)(created + 5), (int?)null))
            .Concat(Enumerable.Range(0, 20).Select(i => random.Next(0, 3 * 1440 - 10)).Select((created, i) => ($"n{i}", "production", "succeeded", created, (int?)(created + 5), (int?)null)))
            .Append(("late", "production", "in_progress", 30, null, null))
            .Concat(Enumerable.Range(0, 20).Select(i => ($"s{i}", "staging", "succeeded", 10 * i, (int?)(10 * i + 5), (int?)null)))
            .ToArray();
        var ids = await PlantedDeployments.InsertAsync(fixture.Database, T0, s, rows);
        var finished = rows.Where(r => r.Item5 is not null).ToDictionary(r => r.Item1, r => T0.AddMinutes(r.Item5!.Value));

        // Commits: log-uniform lead times from 2 s to 90 days; a third of them listed again by a later deployment, and
        // the deployments listed in random order, so some first shipments move to an earlier deployment (an UPDATE).
        var listed = new List<(string Deployment, CommitInput Commit)>();
        for (var i = 0; i < 160; i++)
            for (var j = 0; j < random.Next(1, 5); j++)
            {
                var lead = Math.Exp(Math.Log(2) + random.NextDouble() * (Math.Log(90 * 86400.0) - Math.Log(2)));
                var commit = new CommitInput(Convert.ToHexString(Guid.NewGuid().ToByteArray()).ToLowerInvariant()[..12], finished[$"p{i}"].AddSeconds(-lead));
                listed.Add(($"p{i}", commit));
                if (random.Next(3) == 0) listed.Add(($"p{random.Next(160)}", commit));
                if (random.Next(10) == 0) listed.Add(("late", commit));
            }
        foreach (var group in listed.GroupBy(x => x.Deployment).OrderBy(_ => random.Next()))
            await AddCommitsAsync(ids[group.Key], group.Select(x => x.Commit).DistinctBy(c => c.Sha).ToList());
        await AssertAgreesAsync(s);

        // Commits listed later on a deployment that succeeded already.
        await AddCommitsAsync(ids["p3"], [new CommitInput("abcabc1", finished["p3"].AddHours(-30)), new CommitInput("abcabc2", finished["p3"].AddSeconds(-40))]);
        await AssertAgreesAsync(s);

        // The deployment in progress succeeds, finishing before most others: its commits' first shipment moves to it.
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE deployments SET status = 'succeeded', finished_at = '{T0.AddMinutes(31):O}' WHERE id = {ids["late"]}");
        Assert.True(await ScalarAsync<long>($"SELECT count(*) FROM deploy_commit_leads WHERE deployment_id = {ids["late"]}") > 0);
        await AssertAgreesAsync(s);

        // Deployments deleted: their leads go (ON DELETE CASCADE), and so do their counts.
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"DELETE FROM deployments WHERE id IN ({ids["p1"]}, {ids["p2"]}, {ids["late"]}, {ids["n1"]})");
        await AssertAgreesAsync(s);
    }

    [Fact]
    public async Task Bucket_bounds_hold_every_value_and_are_at_most_five_percent_wide()
    {
        // Every bucket from 1 s to ten years: its values map to it, its width ratio is at most 1.05, and the class
        // limits (1 h, 1 d, 1 w, 30 d) are bucket limits.
        var bad = await ScalarAsync<string>("""
            WITH b AS (SELECT b, deploy_lead_bucket_low(b) AS lo, deploy_lead_bucket_low(b + 1) AS hi FROM generate_series(1, 420) b)
            SELECT coalesce(string_agg(b::text, ', '), '') FROM b
            WHERE hi / lo > 1.05 + 1e-12 OR deploy_lead_bucket(lo * (1 + 1e-9)) <> b OR deploy_lead_bucket(hi * (1 - 1e-9)) <> b
            """);
        Assert.Equal("", bad);
        Assert.Equal([LeadHistogram.HourBucket, LeadHistogram.DayBucket, LeadHistogram.WeekBucket, LeadHistogram.MonthBucket],
            await ScalarAsync<short[]>("SELECT ARRAY[deploy_lead_bucket(3600), deploy_lead_bucket(86400), deploy_lead_bucket(604800), deploy_lead_bucket(2592000)]"));
        Assert.Equal([LeadHistogram.HourBucket - 1, LeadHistogram.DayBucket - 1, LeadHistogram.WeekBucket - 1, LeadHistogram.MonthBucket - 1],
            await ScalarAsync<short[]>("SELECT ARRAY[deploy_lead_bucket(3599.999), deploy_lead_bucket(86399.999), deploy_lead_bucket(604799.999), deploy_lead_bucket(2591999.999)]"));
        Assert.Equal(0, await ScalarAsync<short>("SELECT deploy_lead_bucket(-120)"));
    }

    /// <summary>
    /// The histogram equals a recount of deploy_commit_leads (in one snapshot, whatever other tests write), and the
    /// dashboard's lead time of the service matches percentile_cont over whole days and over a range that cuts days.
    /// </summary>
    private async Task AssertAgreesAsync(string service)
    {
        Assert.Equal(0, await ScalarAsync<long>("""
            SELECT count(*) FROM deploy_lead_histogram h
            FULL JOIN (SELECT l.environment, x.service, (l.deployed_created_at AT TIME ZONE 'UTC')::date AS day, deploy_lead_bucket(l.lead_time_s) AS bucket, count(*) AS n
                       FROM deploy_commit_leads l CROSS JOIN LATERAL (VALUES (l.service), ('*')) x(service) GROUP BY 1, 2, 3, 4) r
                USING (environment, service, day, bucket)
            WHERE h.n IS DISTINCT FROM r.n
            """));
        var metrics = new DeploymentMetrics(fixture.Database.Factory(DeploymentFixtures.ReleaseManager));
        foreach (var (from, to) in new[] { (T0, T0.AddDays(3)), (T0.AddHours(7), T0.AddDays(2).AddHours(5)), (T0.AddHours(30), T0.AddHours(40)) })
        {
            var m = (await metrics.LoadAsync(from, to, null, service)).Summary;
            await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
            await using var exact = new NpgsqlCommand($"""
                SELECT percentile_cont(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY s), count(*), count(*) FILTER (WHERE c),
                       count(*) FILTER (WHERE s < 3600), count(*) FILTER (WHERE s >= 86400 AND s < 604800), count(*) FILTER (WHERE s >= 2592000)
                FROM (SELECT lead_time_s AS s, true AS c FROM deploy_commit_leads
                      WHERE service = '{service}' AND environment = 'production' AND deployed_created_at >= '{from:O}' AND deployed_created_at < '{to:O}'
                      UNION ALL
                      SELECT lead_time_s, false FROM deployments
                      WHERE service = '{service}' AND environment = 'production' AND created_at >= '{from:O}' AND created_at < '{to:O}'
                        AND NOT has_commits AND lead_time_s IS NOT NULL) x
                """, owner);
            await using var r = await exact.ExecuteReaderAsync();
            await r.ReadAsync();
            var p = r.GetFieldValue<double[]>(0);
            Assert.True(r.GetInt64(1) > 10, $"{r.GetInt64(1)} samples in {from:O} – {to:O}");
            Assert.Equal((r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)),
                (m.LeadTimeSamples, m.LeadTimeCommits, m.LeadUnderHour, m.LeadUnderWeek, m.LeadLonger));
            LeadAssert.Near(p[0], m.LeadTimeP50);
            LeadAssert.Near(p[1], m.LeadTimeP90);
            LeadAssert.Near(p[2], m.LeadTimeP95);
        }
    }

    private async Task AddCommitsAsync(long deployment, IReadOnlyList<CommitInput> commits)
    {
        await using var db = fixture.Database.CreateAppContext(DeploymentFixtures.ReleaseManager);
        await db.Database.OpenConnectionAsync();
        await IncidentStore.AddCommitsAsync((NpgsqlConnection)db.Database.GetDbConnection(), deployment, commits, default);
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }
}

/// <summary>Lead-time percentiles come from the histogram: within its bound of the exact value.</summary>
internal static class LeadAssert
{
    public static void Near(double expected, double? actual)
    {
        Assert.NotNull(actual);
        var e = LeadHistogram.RelativeError + 1e-9;
        Assert.InRange(actual.Value, expected / (1 + e), expected * (1 + e));
    }
}
