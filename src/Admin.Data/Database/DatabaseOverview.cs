using Npgsql;

namespace Admin.Data.Database;

public sealed record ServerFacts(
    string Version, DateTimeOffset StartedAt, long DatabaseBytes, int MaxConnections,
    long Active, long Idle, long IdleInTransaction, long Other, bool HasPgStatStatements, double? CacheHitRatio,
    bool PgStatStatementsLoaded)
{
    /// <summary>Whether the slow-query panels can work: the extension exists in this database and its library is preloaded.</summary>
    public bool StatementsUsable => HasPgStatStatements && PgStatStatementsLoaded;
}

/// <summary>One-query snapshot of a monitored server (the Overview's top row).</summary>
public sealed class DatabaseOverview
{
    /// <summary>The facts of a monitored target (its monitoring connection).</summary>
    public Task<ServerFacts> LoadAsync(MonitoringTarget target, CancellationToken ct = default) => LoadAsync(target.DataSource, ct);

    public async Task<ServerFacts> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT current_setting('server_version'),
                   pg_postmaster_start_time(),
                   pg_database_size(current_database()),
                   current_setting('max_connections')::int,
                   count(*) FILTER (WHERE a.state = 'active'),
                   count(*) FILTER (WHERE a.state = 'idle'),
                   count(*) FILTER (WHERE a.state LIKE 'idle in transaction%'),
                   count(*) FILTER (WHERE a.state IS NULL OR a.state NOT IN ('active', 'idle') AND a.state NOT LIKE 'idle in transaction%'),
                   EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'),
                   (SELECT round(100.0 * blks_hit / nullif(blks_hit + blks_read, 0), 2)::float8
                      FROM pg_stat_database WHERE datname = current_database()),
                   current_setting('shared_preload_libraries') ~ '(^|[\s,])pg_stat_statements($|[\s,])'
            FROM pg_stat_activity a
            WHERE a.backend_type = 'client backend'
            """);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new ServerFacts(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), r.GetInt64(2), r.GetInt32(3),
            r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetBoolean(8), r.IsDBNull(9) ? null : r.GetDouble(9),
            r.GetBoolean(10));
    }

    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MB",
        _ => $"{bytes / 1024.0:0} kB",
    };

    /// <summary>What a page shows when a target cannot be reached: the reason, never a stack trace.</summary>
    public static string Unreachable(string target, Exception e) =>
        $"Target “{target}” cannot be reached or answered with an error: {(e is NpgsqlException { InnerException: { } inner } && e is not PostgresException ? inner.Message : e.Message)}";
}
