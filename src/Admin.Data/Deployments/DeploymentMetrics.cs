using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

/// <summary>One row of aggregates over the filtered deployments (durations in seconds).</summary>
public sealed record MetricsSummary(
    long Total, long Succeeded, long Failed, long RolledBack, long Cancelled, long Open,
    double? LeadTimeP50, double? DurationP50, double? DurationP95, double? RestoreP50, long Restores);

public sealed record DayStatusCount(DateTime Day, string Status, long Count);

/// <summary>The dashboard: the four keys with their levels, success rate, durations, and deployments per day by status.</summary>
public sealed record DashboardMetrics(DateTimeOffset From, DateTimeOffset To, MetricsSummary Summary, IReadOnlyList<DayStatusCount> PerDay)
{
    public double Days => Math.Max(1.0 / 24, (To - From).TotalDays);

    /// <summary>Deployments that reached their environment (succeeded, including those rolled back later).</summary>
    public long Delivered => Summary.Succeeded + Summary.RolledBack;

    public double FrequencyPerDay => Delivered / Days;

    /// <summary>Failed or rolled back, of those that finished with an outcome (cancelled ones are not changes).</summary>
    public double? ChangeFailureRate => Delivered + Summary.Failed is var n && n == 0 ? null : (double)(Summary.Failed + Summary.RolledBack) / n;

    public double? SuccessRate => Delivered + Summary.Failed + Summary.Cancelled is var n && n == 0 ? null : (double)Delivered / n;

    public DoraLevel FrequencyLevel => DoraLevels.Frequency(Delivered == 0 ? null : FrequencyPerDay);
    public DoraLevel LeadTimeLevel => DoraLevels.LeadTime(Seconds(Summary.LeadTimeP50));
    public DoraLevel ChangeFailureLevel => DoraLevels.ChangeFailureRate(ChangeFailureRate);
    public DoraLevel RestoreLevel => DoraLevels.TimeToRestore(Seconds(Summary.RestoreP50));

    private static TimeSpan? Seconds(double? s) => s is { } v ? TimeSpan.FromSeconds(v) : null;
}

/// <summary>
/// The dashboard's figures from SQL aggregates: two queries on one connection, whatever the number of deployments,
/// never loading per-deployment history. Lead time is commit → success; time to restore is a failure (failed, or a
/// rollback) → the next success of the same service in the same environment (restored_at, kept by triggers when
/// that success is written, so it may lie after the range).
/// </summary>
public sealed class DeploymentMetrics(IDbContextFactory<AdminDbContext> dbFactory)
{
    public const int MaxDays = 366;

    public async Task<DashboardMetrics> LoadAsync(DateTimeOffset from, DateTimeOffset to, string? environment, string? service, CancellationToken ct = default)
    {
        if (to <= from) throw new DeploymentException("The end of the range must be after its start.", "to");
        if ((to - from).TotalDays > MaxDays) throw new DeploymentException($"Choose a range of at most {MaxDays} days.", "from");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        // One pass of plain aggregates: each deployment carries its own figures (generated columns, and restored_at
        // kept by triggers; migration 20261129000010), so nothing is recomputed per row or joined across rows here.
        var summary = (await db.Database.SqlQuery<MetricsSummary>($"""
            SELECT count(*) AS "total",
                   count(*) FILTER (WHERE status = 'succeeded') AS "succeeded",
                   count(*) FILTER (WHERE status = 'failed') AS "failed",
                   count(*) FILTER (WHERE status = 'rolled_back') AS "rolled_back",
                   count(*) FILTER (WHERE status = 'cancelled') AS "cancelled",
                   count(*) FILTER (WHERE status IN ('queued', 'awaiting_approval', 'approved', 'in_progress')) AS "open",
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY lead_time_s) AS "lead_time_p50",
                   -- Both percentiles from one sort: PostgreSQL computes identical aggregate calls once.
                   (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_s))[1] AS "duration_p50",
                   (percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration_s))[2] AS "duration_p95",
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY date_part('epoch', restored_at - failed_at)) AS "restore_p50",
                   count(restored_at) AS "restores"
            FROM deployments
            WHERE created_at >= {from} AND created_at < {to}
              AND ({environment}::text IS NULL OR environment = {environment})
              AND ({service}::text IS NULL OR service = {service})
            """).ToListAsync(ct)).Single();
        var perDay = await db.Database.SqlQuery<DayStatusCount>($"""
            SELECT created_day::timestamp AS "day", status AS "status", count(*) AS "count"
            FROM deployments
            WHERE created_at >= {from} AND created_at < {to}
              AND ({environment}::text IS NULL OR environment = {environment})
              AND ({service}::text IS NULL OR service = {service})
            GROUP BY created_day, status ORDER BY 1, 2
            """).ToListAsync(ct);
        return new DashboardMetrics(from, to, summary, perDay);
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
