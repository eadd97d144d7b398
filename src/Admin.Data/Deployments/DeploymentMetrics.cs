using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

/// <summary>
/// One row of aggregates over the filtered deployments (durations in seconds). Totals and outcomes include content
/// release deploys not reported as deployments (<see cref="ReleaseDeploys"/>, <see cref="ReleaseRollbacks"/>); lead
/// time is per commit (<see cref="LeadTimeCommits"/> of the <see cref="LeadTimeSamples"/>) with the distribution in
/// buckets; restores count incidents and the failures no incident covers.
/// </summary>
public sealed record MetricsSummary(
    long Total, long Succeeded, long Failed, long RolledBack, long Cancelled, long Open,
    double? LeadTimeP50, double? DurationP50, double? DurationP95, double? RestoreP50, long Restores,
    double? LeadTimeP90 = null, double? LeadTimeP95 = null, long LeadTimeSamples = 0, long LeadTimeCommits = 0,
    long LeadUnderHour = 0, long LeadUnderDay = 0, long LeadUnderWeek = 0, long LeadUnderMonth = 0, long LeadLonger = 0,
    long CausedIncidents = 0, long Incidents = 0, long OpenIncidents = 0, long ReleaseDeploys = 0, long ReleaseRollbacks = 0);

public sealed record DayStatusCount(DateTime Day, string Status, long Count);

/// <summary>The dashboard: the four keys with their levels, success rate, durations, and deployments per day by status.</summary>
public sealed record DashboardMetrics(DateTimeOffset From, DateTimeOffset To, MetricsSummary Summary, IReadOnlyList<DayStatusCount> PerDay)
{
    public double Days => Math.Max(1.0 / 24, (To - From).TotalDays);

    /// <summary>Deployments that reached their environment (succeeded, including those rolled back later).</summary>
    public long Delivered => Summary.Succeeded + Summary.RolledBack;

    public double FrequencyPerDay => Delivered / Days;

    /// <summary>Changes that failed: failed, rolled back, or succeeded and then caused an incident (each deployment once).</summary>
    public long ChangeFailures => Summary.Failed + Summary.RolledBack + Summary.CausedIncidents;

    /// <summary>Change failures, of those that finished with an outcome (cancelled ones are not changes).</summary>
    public double? ChangeFailureRate => Delivered + Summary.Failed is var n && n == 0 ? null : (double)ChangeFailures / n;

    /// <summary>The environment lead time is measured to: the filter's, or production.</summary>
    public string LeadTimeEnvironment { get; init; } = DeploymentMetrics.LeadTimeDefaultEnvironment;

    public double? SuccessRate => Delivered + Summary.Failed + Summary.Cancelled is var n && n == 0 ? null : (double)Delivered / n;

    public DoraLevel FrequencyLevel => DoraLevels.Frequency(Delivered == 0 ? null : FrequencyPerDay);
    public DoraLevel LeadTimeLevel => DoraLevels.LeadTime(Seconds(Summary.LeadTimeP50));

    /// <summary>The lead-time distribution: (label, count) from under an hour to over a month.</summary>
    public IReadOnlyList<(string Label, long Count)> LeadTimeBuckets =>
    [
        ("< 1 h", Summary.LeadUnderHour), ("1 h – 1 d", Summary.LeadUnderDay), ("1 d – 1 w", Summary.LeadUnderWeek),
        ("1 w – 30 d", Summary.LeadUnderMonth), ("> 30 d", Summary.LeadLonger),
    ];
    public DoraLevel ChangeFailureLevel => DoraLevels.ChangeFailureRate(ChangeFailureRate);
    public DoraLevel RestoreLevel => DoraLevels.TimeToRestore(Seconds(Summary.RestoreP50));

    private static TimeSpan? Seconds(double? s) => s is { } v ? TimeSpan.FromSeconds(v) : null;
}

/// <summary>
/// The dashboard's figures from SQL aggregates: two queries on one connection, whatever the number of deployments,
/// never loading per-deployment history. Definitions (docs/deployments.md, "DORA definitions"):
/// <list type="bullet">
/// <item>Deployments: those created in the range, plus content releases deployed in the range that no deployment
/// reports (release_id), as deployments of the service <see cref="ContentService"/> in production (a rolled-back
/// release is a rolled-back deployment).</item>
/// <item>Lead time: per commit, commit time → the first successful deployment of the same service in the environment
/// that listed it (deploy_commit_leads), in the filter's environment or else production, for first deployments
/// created in the range; a deployment that lists no commits keeps its own measure, commit_at → its success.</item>
/// <item>Change failure rate: failed, rolled back, or succeeded and linked as a cause of an incident.</item>
/// <item>Time to restore: an incident's start → its resolution (incidents started in the range); a failed or rolled
/// back deployment no incident names → the next success of its pipeline (restored_at: rolling back or rolling
/// forward); a rolled-back release → the next release deployed.</item>
/// </list>
/// </summary>
public sealed class DeploymentMetrics(IDbContextFactory<AdminDbContext> dbFactory)
{
    public const int MaxDays = 366;

    /// <summary>The service under which content release deploys are counted (always production).</summary>
    public const string ContentService = "content";

    public const string LeadTimeDefaultEnvironment = "production";

    public async Task<DashboardMetrics> LoadAsync(DateTimeOffset from, DateTimeOffset to, string? environment, string? service, CancellationToken ct = default)
    {
        if (to <= from) throw new DeploymentException("The end of the range must be after its start.", "to");
        if ((to - from).TotalDays > MaxDays) throw new DeploymentException($"Choose a range of at most {MaxDays} days.", "from");
        var leadEnvironment = environment ?? LeadTimeDefaultEnvironment;
        var content = ContentService;
        // The whole UTC days of the range come from the histogram; the rest of its ends from the leads themselves.
        var (fullFrom, fullTo) = LeadHistogram.WholeDays(from, to);
        var (fullFromDay, fullToDay) = (DateOnly.FromDateTime(fullFrom.UtcDateTime), DateOnly.FromDateTime(fullTo.UtcDateTime));
        // The two queries are independent: each runs on a connection of its own at the same time (two server
        // processes), so the dashboard waits for the longer one rather than for both in turn. Each is its own
        // snapshot, as the two statements were before in autocommit.
        var summaryTask = SummaryAsync();
        var perDayTask = PerDayAsync();
        await Task.WhenAll(summaryTask, perDayTask);
        return new DashboardMetrics(from, to, await summaryTask, await perDayTask) { LeadTimeEnvironment = leadEnvironment };

        async Task<MetricsSummary> SummaryAsync()
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            // Plain aggregates: each deployment carries its own figures (generated columns, and restored_at kept by
            // triggers; migration 20261129000010), and each commit its first shipment (deploy_commit_leads, kept by
            // triggers; 20261206003000), so nothing is recomputed per row or searched across rows here.
            return (await db.Database.SqlQuery<MetricsSummary>($"""
                WITH rel AS MATERIALIZED (
                    SELECT CASE r.status WHEN 'DEPLOYED' THEN 'succeeded' ELSE 'rolled_back' END AS status, r.closed_at,
                           CASE WHEN r.status = 'ROLLED_BACK' THEN (SELECT min(n.deployed_at) FROM releases n WHERE n.deployed_at > r.closed_at) END AS restored_at
                    FROM releases r
                    WHERE r.status IN ('DEPLOYED', 'ROLLED_BACK') AND r.deployed_at >= {from} AND r.deployed_at < {to}
                      AND ({environment}::text IS NULL OR {environment}::text = 'production')
                      AND ({service}::text IS NULL OR {service}::text = {content})
                      AND NOT EXISTS (SELECT FROM deployments x WHERE x.release_id = r.id)
                ), dep AS (
                    SELECT count(*) AS total,
                           count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
                           count(*) FILTER (WHERE status = 'failed') AS failed,
                           count(*) FILTER (WHERE status = 'rolled_back') AS rolled_back,
                           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
                           count(*) FILTER (WHERE status IN ('queued', 'awaiting_approval', 'approved', 'in_progress')) AS open,
                           count(*) FILTER (WHERE status = 'succeeded' AND id IN (SELECT c.deployment_id FROM deploy_incident_causes c)) AS caused_incidents,
                           -- Both percentiles from one sort: PostgreSQL computes identical aggregate calls once.
                           (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_s))[1] AS duration_p50,
                           (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_s))[2] AS duration_p95
                    FROM deployments
                    WHERE created_at >= {from} AND created_at < {to}
                      AND ({environment}::text IS NULL OR environment = {environment})
                      AND ({service}::text IS NULL OR service = {service})
                ), samples AS (
                    -- Lead-time samples by histogram bucket (migration 20261206004000): the whole UTC days of the range
                    -- from deploy_lead_histogram, the leads of partial days at its ends and deployments without commits
                    -- bucketed here.
                    SELECT bucket, sum(n)::bigint AS n, coalesce(sum(n) FILTER (WHERE per_commit), 0)::bigint AS commits
                    FROM (SELECT h.bucket, h.n, true AS per_commit FROM deploy_lead_histogram h
                          WHERE h.environment = {leadEnvironment} AND h.service = {service ?? LeadHistogram.AllServices}
                            AND h.day >= {fullFromDay} AND h.day < {fullToDay}
                          UNION ALL
                          SELECT deploy_lead_bucket(l.lead_time_s), 1, true FROM deploy_commit_leads l
                          WHERE l.environment = {leadEnvironment}
                            AND (l.deployed_created_at >= {from} AND l.deployed_created_at < {fullFrom}
                                 OR l.deployed_created_at >= {fullTo} AND l.deployed_created_at < {to})
                            AND ({service}::text IS NULL OR l.service = {service})
                          UNION ALL
                          SELECT deploy_lead_bucket(d.lead_time_s), 1, false FROM deployments d
                          WHERE d.environment = {leadEnvironment} AND d.created_at >= {from} AND d.created_at < {to}
                            AND ({service}::text IS NULL OR d.service = {service})
                            AND NOT d.has_commits AND d.lead_time_s IS NOT NULL) x
                    GROUP BY bucket
                ), cumulative AS (
                    -- upto: the samples in this bucket and those below; order statistic k (from 0) lies in the first
                    -- bucket whose upto exceeds k.
                    SELECT bucket, n, sum(n) OVER (ORDER BY bucket) AS upto FROM samples WHERE n > 0
                ), lead AS (
                    SELECT coalesce(sum(n), 0)::bigint AS n, coalesce(sum(commits), 0)::bigint AS commits,
                           coalesce(sum(n) FILTER (WHERE bucket < {LeadHistogram.HourBucket}), 0)::bigint AS hour,
                           coalesce(sum(n) FILTER (WHERE bucket >= {LeadHistogram.HourBucket} AND bucket < {LeadHistogram.DayBucket}), 0)::bigint AS day,
                           coalesce(sum(n) FILTER (WHERE bucket >= {LeadHistogram.DayBucket} AND bucket < {LeadHistogram.WeekBucket}), 0)::bigint AS week,
                           coalesce(sum(n) FILTER (WHERE bucket >= {LeadHistogram.WeekBucket} AND bucket < {LeadHistogram.MonthBucket}), 0)::bigint AS month,
                           coalesce(sum(n) FILTER (WHERE bucket >= {LeadHistogram.MonthBucket}), 0)::bigint AS longer
                    FROM samples
                ), lead_p AS (
                    -- percentile_cont's rule on estimated order statistics: rank p·(N − 1), interpolated between the
                    -- estimates (bucket middles) of the order statistics either side of it.
                    SELECT array_agg(CASE WHEN t.total = 0 THEN NULL
                                          ELSE lo.v + (t.rank - floor(t.rank)) * (hi.v - lo.v) END ORDER BY t.p) AS p
                    FROM (SELECT p, (SELECT sum(n) FROM samples) AS total,
                                 p * ((SELECT sum(n) FROM samples) - 1) AS rank
                          FROM unnest(ARRAY[0.5, 0.9, 0.95]::float8[]) AS p) t
                    LEFT JOIN LATERAL (SELECT deploy_lead_bucket_mid(c.bucket) AS v FROM cumulative c
                                       WHERE c.upto > floor(t.rank) ORDER BY c.bucket LIMIT 1) lo ON true
                    LEFT JOIN LATERAL (SELECT deploy_lead_bucket_mid(c.bucket) AS v FROM cumulative c
                                       WHERE c.upto > ceil(t.rank) ORDER BY c.bucket LIMIT 1) hi ON true
                ), inc AS (
                    SELECT count(*) AS incidents, count(*) FILTER (WHERE resolved_at IS NULL) AS open_incidents
                    FROM deploy_incidents
                    WHERE started_at >= {from} AND started_at < {to}
                      AND ({environment}::text IS NULL OR environment = {environment})
                      AND ({service}::text IS NULL OR service = {service})
                ), restore AS (
                    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, count(*) AS n
                    FROM (SELECT date_part('epoch', d.restored_at - d.failed_at) AS s FROM deployments d
                          WHERE d.created_at >= {from} AND d.created_at < {to}
                            AND ({environment}::text IS NULL OR d.environment = {environment})
                            AND ({service}::text IS NULL OR d.service = {service})
                            AND d.status IN ('failed', 'rolled_back') AND d.restored_at IS NOT NULL
                            AND d.id NOT IN (SELECT c.deployment_id FROM deploy_incident_causes c)
                          UNION ALL
                          SELECT i.restore_s FROM deploy_incidents i
                          WHERE i.started_at >= {from} AND i.started_at < {to}
                            AND ({environment}::text IS NULL OR i.environment = {environment})
                            AND ({service}::text IS NULL OR i.service = {service})
                            AND i.restore_s IS NOT NULL
                          UNION ALL
                          SELECT date_part('epoch', rel.restored_at - rel.closed_at) FROM rel WHERE rel.restored_at IS NOT NULL) x
                ), relc AS (
                    SELECT count(*) FILTER (WHERE status = 'succeeded') AS deployed, count(*) FILTER (WHERE status = 'rolled_back') AS rolled_back FROM rel
                )
                SELECT dep.total + relc.deployed + relc.rolled_back AS "total", dep.succeeded + relc.deployed AS "succeeded",
                       dep.failed AS "failed", dep.rolled_back + relc.rolled_back AS "rolled_back", dep.cancelled AS "cancelled", dep.open AS "open",
                       lead_p.p[1] AS "lead_time_p50", dep.duration_p50 AS "duration_p50", dep.duration_p95 AS "duration_p95",
                       restore.p50 AS "restore_p50", restore.n AS "restores",
                       lead_p.p[2] AS "lead_time_p90", lead_p.p[3] AS "lead_time_p95", lead.n AS "lead_time_samples", lead.commits AS "lead_time_commits",
                       lead.hour AS "lead_under_hour", lead.day AS "lead_under_day", lead.week AS "lead_under_week", lead.month AS "lead_under_month",
                       lead.longer AS "lead_longer", dep.caused_incidents AS "caused_incidents", inc.incidents AS "incidents",
                       inc.open_incidents AS "open_incidents", relc.deployed AS "release_deploys", relc.rolled_back AS "release_rollbacks"
                FROM dep, lead, lead_p, inc, restore, relc
                """).ToListAsync(ct)).Single();
        }

        async Task<List<DayStatusCount>> PerDayAsync()
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.Database.SqlQuery<DayStatusCount>($"""
                SELECT day::timestamp AS "day", status AS "status", count(*) AS "count"
                FROM (SELECT created_day AS day, status FROM deployments
                      WHERE created_at >= {from} AND created_at < {to}
                        AND ({environment}::text IS NULL OR environment = {environment})
                        AND ({service}::text IS NULL OR service = {service})
                      UNION ALL
                      SELECT (r.deployed_at AT TIME ZONE 'UTC')::date, CASE r.status WHEN 'DEPLOYED' THEN 'succeeded' ELSE 'rolled_back' END
                      FROM releases r
                      WHERE r.status IN ('DEPLOYED', 'ROLLED_BACK') AND r.deployed_at >= {from} AND r.deployed_at < {to}
                        AND ({environment}::text IS NULL OR {environment}::text = 'production')
                        AND ({service}::text IS NULL OR {service}::text = {content})
                        AND NOT EXISTS (SELECT FROM deployments x WHERE x.release_id = r.id)) x
                GROUP BY day, status ORDER BY 1, 2
                """).ToListAsync(ct);
        }
    }
}

/// <summary>
/// The lead-time histogram's buckets (migration 20261206004000_LeadTimeHistogram, <c>deploy_lead_bucket</c>): bucket 0
/// holds lead times under a second; the segments [1 s, 1 min), [1 min, 1 h), [1 h, 1 d), [1 d, 1 w), [1 w, 30 d) are
/// cut into buckets of equal ratio at most 1.05, and 30 days on into ratios of 1.05. A percentile estimated from the
/// buckets lies within <see cref="RelativeError"/> of percentile_cont's exact value (for values of a second or more).
/// </summary>
public static class LeadHistogram
{
    /// <summary>The service of the rows that count all services of an environment.</summary>
    public const string AllServices = "*";

    public const int HourBucket = 169, DayBucket = 235, WeekBucket = 275, MonthBucket = 305;

    /// <summary>sqrt(1.05) − 1: a bucket's geometric middle is at most this far (relatively) from any value in it.</summary>
    public static readonly double RelativeError = Math.Sqrt(1.05) - 1;

    /// <summary>
    /// The whole UTC days inside [from, to) as [fullFrom, fullTo); when there is none, an empty span at
    /// <paramref name="to"/> (the whole range is then read from the leads themselves).
    /// </summary>
    public static (DateTimeOffset FullFrom, DateTimeOffset FullTo) WholeDays(DateTimeOffset from, DateTimeOffset to)
    {
        var start = from.UtcDateTime.Date;
        if (start < from.UtcDateTime) start = start.AddDays(1);
        var end = to.UtcDateTime.Date;
        return end > start ? (new DateTimeOffset(start, TimeSpan.Zero), new DateTimeOffset(end, TimeSpan.Zero)) : (to.ToUniversalTime(), to.ToUniversalTime());
    }
}

public enum DoraLevel { None, Low, Medium, High, Elite }

/// <summary>
/// Performance levels by the thresholds of the 2023 Accelerate State of DevOps report (DORA), made contiguous:
/// frequency Elite ≥ 1 a day, High ≥ 1 a week, Medium ≥ 1 a month; lead time Elite &lt; 1 day, High ≤ 1 week, Medium ≤ 1 month;
/// change failure rate Elite ≤ 5 %, High ≤ 10 %, Medium ≤ 15 %; time to restore Elite &lt; 1 hour, High &lt; 1 day, Medium ≤ 1 week.
/// Anything worse is Low; no data is None.
/// </summary>
public static class DoraLevels
{
    public static DoraLevel Frequency(double? perDay) => perDay switch
    {
        null => DoraLevel.None,
        >= 1 => DoraLevel.Elite,
        >= 1.0 / 7 => DoraLevel.High,
        >= 1.0 / 30 => DoraLevel.Medium,
        _ => DoraLevel.Low,
    };

    public static DoraLevel LeadTime(TimeSpan? t) => t switch
    {
        null => DoraLevel.None,
        { TotalDays: < 1 } => DoraLevel.Elite,
        { TotalDays: <= 7 } => DoraLevel.High,
        { TotalDays: <= 30 } => DoraLevel.Medium,
        _ => DoraLevel.Low,
    };

    public static DoraLevel ChangeFailureRate(double? rate) => rate switch
    {
        null => DoraLevel.None,
        <= 0.05 => DoraLevel.Elite,
        <= 0.10 => DoraLevel.High,
        <= 0.15 => DoraLevel.Medium,
        _ => DoraLevel.Low,
    };

    public static DoraLevel TimeToRestore(TimeSpan? t) => t switch
    {
        null => DoraLevel.None,
        { TotalHours: < 1 } => DoraLevel.Elite,
        { TotalDays: < 1 } => DoraLevel.High,
        { TotalDays: <= 7 } => DoraLevel.Medium,
        _ => DoraLevel.Low,
    };
}
