using Admin.Data;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Features.Database;

public sealed record ServerFacts(
    string Version, DateTimeOffset StartedAt, long DatabaseBytes, int MaxConnections,
    long Active, long Idle, long IdleInTransaction, long Other, bool HasPgStatStatements, double? CacheHitRatio);

/// <summary>One-query snapshot of the server the console runs on (the Database area's landing figures).</summary>
public sealed class DatabaseOverview(IDbContextFactory<AdminDbContext> dbFactory)
{
    public async Task<ServerFacts> LoadAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQueryRaw<ServerFacts>("""
            SELECT current_setting('server_version') AS "Version",
                   pg_postmaster_start_time() AS "StartedAt",
                   pg_database_size(current_database()) AS "DatabaseBytes",
                   current_setting('max_connections')::int AS "MaxConnections",
                   count(*) FILTER (WHERE a.state = 'active') AS "Active",
                   count(*) FILTER (WHERE a.state = 'idle') AS "Idle",
                   count(*) FILTER (WHERE a.state LIKE 'idle in transaction%') AS "IdleInTransaction",
                   count(*) FILTER (WHERE a.state IS NULL OR a.state NOT IN ('active', 'idle') AND a.state NOT LIKE 'idle in transaction%') AS "Other",
                   EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS "HasPgStatStatements",
                   (SELECT round(100.0 * blks_hit / nullif(blks_hit + blks_read, 0), 2)::float8
                      FROM pg_stat_database WHERE datname = current_database()) AS "CacheHitRatio"
            FROM pg_stat_activity a
            WHERE a.backend_type = 'client backend'
            """).SingleAsync(ct);
    }
}
