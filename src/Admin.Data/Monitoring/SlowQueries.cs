using Npgsql;

namespace Admin.Data.Monitoring;

/// <summary>How the slow-queries list is ordered; each is a column of pg_stat_statements summed per query.</summary>
public enum StatementSort { TotalTime, MeanTime, Calls, Rows, Io }

/// <summary>One normalised statement of pg_stat_statements, summed over the roles that ran it.</summary>
public sealed record StatementStat(
    long QueryId, string Query, string Roles, long Calls, double TotalMs, double MeanMs, double MaxMs, long Rows,
    long BlocksHit, long BlocksRead, long TempBlocksWritten, double IoMs, double ShareOfTotal)
{
    /// <summary>Shared-buffer hit rate of the blocks this statement touched (0–100), or null when it touched none.</summary>
    public double? HitRate => BlocksHit + BlocksRead == 0 ? null : 100.0 * BlocksHit / (BlocksHit + BlocksRead);
}

/// <summary>The top statements of a target, with what the list needs around it.</summary>
public sealed record StatementReport(
    IReadOnlyList<StatementStat> Statements, int TotalStatements, double TotalMs, long TotalCalls,
    DateTimeOffset? StatsReset, long Deallocations, bool TrackIoTiming, int MaxTracked);

/// <summary>Why the slow-queries panel cannot show data, in words a DBA can act on.</summary>
public sealed class StatementsUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// pg_stat_statements of the target's current database (one round trip). Readable with pg_monitor
/// (pg_read_all_stats shows every role's query text); a target without the extension gets a clear explanation.
/// </summary>
public static class SlowQueries
{
    public const int MaxTop = 500;

    public const string MissingExtension =
        "pg_stat_statements is not installed in this database. As a superuser: add pg_stat_statements to " +
        "shared_preload_libraries in postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in this database.";

    public const string NotPreloaded =
        "The pg_stat_statements extension exists but the library is not loaded: add pg_stat_statements to " +
        "shared_preload_libraries in postgresql.conf and restart PostgreSQL.";

    private static string OrderBy(StatementSort sort) => sort switch
    {
        StatementSort.MeanTime => "mean_ms DESC",
        StatementSort.Calls => "calls DESC",
        StatementSort.Rows => "rows DESC",
        StatementSort.Io => "blks_read + temp_written DESC, io_ms DESC",
        _ => "total_ms DESC",
    };

    public static async Task<StatementReport> LoadAsync(
        NpgsqlDataSource dataSource, StatementSort sort = StatementSort.TotalTime, int top = 50, string? search = null,
        long? queryId = null, CancellationToken ct = default)
    {
        top = Math.Clamp(top, 1, MaxTop);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await EnsureAvailableAsync(connection, ct);
        // Summed per queryid: the same statement run by two roles is one line for a DBA. The window totals give each
        // line its share and the list's footer without a second scan.
        var sql = $"""
            WITH s AS (
                SELECT queryid, min(query) AS query, string_agg(DISTINCT r.rolname, ', ') AS roles,
                       sum(calls)::bigint AS calls, sum(total_exec_time) AS total_ms,
                       sum(total_exec_time) / nullif(sum(calls), 0) AS mean_ms, max(max_exec_time) AS max_ms,
                       sum(s.rows)::bigint AS rows, sum(shared_blks_hit)::bigint AS blks_hit,
                       sum(shared_blks_read)::bigint AS blks_read, sum(temp_blks_written)::bigint AS temp_written,
                       sum(blk_read_time + blk_write_time) AS io_ms
                  FROM pg_stat_statements s
                  LEFT JOIN pg_roles r ON r.oid = s.userid
                 WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND s.queryid IS NOT NULL
                 GROUP BY queryid),
            all_s AS (SELECT count(*)::int AS n, coalesce(sum(total_ms), 0) AS total_ms, coalesce(sum(calls), 0)::bigint AS calls FROM s)
            SELECT s.queryid, s.query, coalesce(s.roles, ''), s.calls, s.total_ms, coalesce(s.mean_ms, 0), s.max_ms, s.rows,
                   s.blks_hit, s.blks_read, s.temp_written, s.io_ms,
                   CASE WHEN a.total_ms > 0 THEN 100 * s.total_ms / a.total_ms ELSE 0 END
              FROM s, all_s a
             WHERE (@search IS NULL OR s.query ILIKE '%' || @search || '%') AND (@queryid IS NULL OR s.queryid = @queryid)
             ORDER BY {OrderBy(sort)}, s.queryid
             LIMIT @top;
            SELECT n, total_ms, calls FROM (
                SELECT count(DISTINCT queryid)::int AS n, coalesce(sum(total_exec_time), 0) AS total_ms, coalesce(sum(calls), 0)::bigint AS calls
                  FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())) t;
            SELECT stats_reset, dealloc, current_setting('track_io_timing') = 'on', current_setting('pg_stat_statements.max')::int
              FROM pg_stat_statements_info;
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter("search", NpgsqlTypes.NpgsqlDbType.Text) { Value = string.IsNullOrWhiteSpace(search) ? DBNull.Value : Escape(search.Trim()) });
        command.Parameters.AddWithValue("top", top);
        command.Parameters.Add(new NpgsqlParameter("queryid", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)queryId ?? DBNull.Value });
        try
        {
            await using var r = await command.ExecuteReaderAsync(ct);
            var rows = new List<StatementStat>();
            while (await r.ReadAsync(ct))
                rows.Add(new StatementStat(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetDouble(4),
                    r.GetDouble(5), r.GetDouble(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10),
                    r.GetDouble(11), r.GetDouble(12)));
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            var (count, totalMs, totalCalls) = (r.GetInt32(0), r.GetDouble(1), r.GetInt64(2));
            await r.NextResultAsync(ct);
            await r.ReadAsync(ct);
            return new StatementReport(rows, count, totalMs, totalCalls,
                r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1), r.GetBoolean(2), r.GetInt32(3));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            throw new StatementsUnavailableException(NotPreloaded, e);
        }
    }

    /// <summary>Forgets the statistics of the target's current database only (other databases on the server keep theirs).</summary>
    public static async Task ResetAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await EnsureAvailableAsync(connection, ct);
        await using var command = new NpgsqlCommand(
            "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)", connection);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new StatementsUnavailableException(
                "The monitoring role may not reset statistics. As a superuser, in this database: " +
                "GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO <monitoring role>;", e);
        }
    }

    private static async Task EnsureAvailableAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass('pg_stat_statements') IS NOT NULL", connection);
        if (!(bool)(await check.ExecuteScalarAsync(ct))!) throw new StatementsUnavailableException(MissingExtension);
    }

    private static string Escape(string s) => s.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
