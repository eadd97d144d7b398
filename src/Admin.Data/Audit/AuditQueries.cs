using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Audit;

public sealed record HourlyCount(DateTimeOffset Hour, long Succeeded, long Failed, long Other);

/// <summary>The home page's audit chart (the viewer reads through <see cref="AuditSearch"/>).</summary>
public sealed class AuditQueries(IDbContextFactory<AdminDbContext> dbFactory)
{
    /// <summary>Events per hour for the last <paramref name="hours"/> hours, zero-filled, in one query.</summary>
    public async Task<IReadOnlyList<HourlyCount>> PerHourAsync(int hours, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Filter to the window first (an index range scan, partitions pruned), then bucket; the series fills empty hours.
        var to = DateTimeOffset.UtcNow;
        var from = new DateTimeOffset(to.Year, to.Month, to.Day, to.Hour, 0, 0, TimeSpan.Zero).AddHours(1 - hours);
        return await db.Database.SqlQuery<HourlyCount>($"""
            WITH buckets AS (
                SELECT date_trunc('hour', occurred_at, 'UTC') AS hour,
                       count(*) FILTER (WHERE action = {AuditActions.LoginSucceeded}) AS succeeded,
                       count(*) FILTER (WHERE action IN ({AuditActions.LoginFailed}, {AuditActions.LockedOut})) AS failed,
                       count(*) FILTER (WHERE action NOT IN ({AuditActions.LoginSucceeded}, {AuditActions.LoginFailed}, {AuditActions.LockedOut})) AS other
                FROM audit_events
                WHERE occurred_at >= {from}
                GROUP BY 1
            )
            SELECT h.hour AS "hour",
                   coalesce(b.succeeded, 0) AS "succeeded",
                   coalesce(b.failed, 0) AS "failed",
                   coalesce(b.other, 0) AS "other"
            FROM generate_series({from}, {from.AddHours(hours - 1)}, interval '1 hour') AS h(hour)
            LEFT JOIN buckets b ON b.hour = h.hour
            ORDER BY h.hour
            """).ToListAsync(ct);
    }
}

/// <summary>The audit trail's upkeep: monthly partitions ahead of time (the partition maintainer in Web runs it).</summary>
public sealed class AuditMaintenance(IDbContextFactory<AdminDbContext> dbFactory)
{
    /// <summary>Creates the monthly partitions up to <paramref name="monthsAhead"/> months ahead; how many were new. Takes an advisory lock.</summary>
    public async Task<int> EnsurePartitionsAsync(int monthsAhead = 3, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<int>($"SELECT audit_ensure_partitions({monthsAhead}) AS \"Value\"").SingleAsync(ct);
    }
}
