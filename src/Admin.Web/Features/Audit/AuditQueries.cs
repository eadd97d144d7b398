using Admin.Data;
using Admin.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Features.Audit;

public sealed record HourlyCount(DateTimeOffset Hour, long Succeeded, long Failed, long Other);

/// <summary>Read-side queries over audit_events used by the shell (home chart, recent events).</summary>
public sealed class AuditQueries(IDbContextFactory<AdminDbContext> dbFactory)
{
    /// <summary>Events per hour for the last <paramref name="hours"/> hours, zero-filled, in one query.</summary>
    public async Task<IReadOnlyList<HourlyCount>> PerHourAsync(int hours, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<HourlyCount>($"""
            SELECT h.hour AS "Hour",
                   count(e.id) FILTER (WHERE e.action = {AuditActions.LoginSucceeded}) AS "Succeeded",
                   count(e.id) FILTER (WHERE e.action IN ({AuditActions.LoginFailed}, {AuditActions.LockedOut})) AS "Failed",
                   count(e.id) FILTER (WHERE e.action NOT IN ({AuditActions.LoginSucceeded}, {AuditActions.LoginFailed}, {AuditActions.LockedOut})) AS "Other"
            FROM generate_series(date_trunc('hour', now()) - make_interval(hours => {hours - 1}), date_trunc('hour', now()), interval '1 hour') AS h(hour)
            LEFT JOIN audit_events e ON e.occurred_at >= h.hour AND e.occurred_at < h.hour + interval '1 hour'
            GROUP BY h.hour
            ORDER BY h.hour
            """).ToListAsync(ct);
    }

    /// <summary>The newest events, optionally only those whose action starts with a prefix (e.g. "auth.").</summary>
    public async Task<IReadOnlyList<AuditEvent>> RecentAsync(int limit, string? actionPrefix = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.AuditEvents.AsNoTracking();
        if (!string.IsNullOrEmpty(actionPrefix)) query = query.Where(e => e.Action.StartsWith(actionPrefix));
        return await query.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(limit).ToListAsync(ct);
    }
}
