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

    /// <summary>Statement texts already known by query id (the sampler keeps them), so the panel need not read them all.</summary>
    public delegate Task<IReadOnlyDictionary<long, string>> KnownTexts(IReadOnlyCollection<long> queryIds, CancellationToken ct);

    public static async Task<StatementReport> LoadAsync(
        NpgsqlDataSource dataSource, StatementSort sort = StatementSort.TotalTime, int top = 50, string? search = null,
        long? queryId = null, KnownTexts? knownTexts = null, CancellationToken ct = default)
    {
        top = Math.Clamp(top, 1, MaxTop);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await EnsureAvailableAsync(connection, ct);
        // Summed per queryid: the same statement run by two roles is one line for a DBA. Reading the statement texts
        // is most of pg_stat_statements' cost (they live in a file the function reads whole), so the ranking reads
        // the view without them (showtext = false); a text search has to read them, in the one scan it needs.
        var source = string.IsNullOrWhiteSpace(search)
            ? "pg_stat_statements(false)"
            : @"(SELECT * FROM pg_stat_statements(true) WHERE query ILIKE '%' || @search || '%') AS matching";
        var sql = $"""
            WITH s AS (
                SELECT queryid, array_agg(DISTINCT userid) AS users,
                       sum(calls)::bigint AS calls, sum(total_exec_time) AS total_ms,
                       sum(total_exec_time) / nullif(sum(calls), 0) AS mean_ms, max(max_exec_time) AS max_ms,
                       sum(rows)::bigint AS rows, sum(shared_blks_hit)::bigint AS blks_hit,
                       sum(shared_blks_read)::bigint AS blks_read, sum(temp_blks_written)::bigint AS temp_written,
                       sum(blk_read_time + blk_write_time) AS io_ms
                  FROM {source}
                 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
                   AND (@queryid IS NULL OR queryid = @queryid)
                 GROUP BY queryid)
            SELECT queryid, (SELECT string_agg(r.rolname, ', ' ORDER BY r.rolname) FROM pg_roles r WHERE r.oid = ANY(s.users)),
                   calls, total_ms, coalesce(mean_ms, 0), max_ms, rows, blks_hit, blks_read, temp_written, io_ms
              FROM s ORDER BY {OrderBy(sort)}, queryid LIMIT @top;
            SELECT count(DISTINCT queryid)::int, coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0)::bigint
              FROM pg_stat_statements(false) WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database());
            SELECT stats_reset, dealloc, current_setting('track_io_timing') = 'on', current_setting('pg_stat_statements.max')::int
              FROM pg_stat_statements_info;
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter("search", NpgsqlTypes.NpgsqlDbType.Text) { Value = string.IsNullOrWhiteSpace(search) ? DBNull.Value : Escape(search.Trim()) });
        command.Parameters.AddWithValue("top", top);
        command.Parameters.Add(new NpgsqlParameter("queryid", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)queryId ?? DBNull.Value });
        try
        {
            var ranked = new List<(long Id, string Roles, long Calls, double Total, double Mean, double Max, long Rows, long Hit, long Read, long Temp, double Io)>();
            double totalMs;
            StatementReport report;
            await using (var r = await command.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                    ranked.Add((r.GetInt64(0), r.IsDBNull(1) ? "" : r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4),
                        r.GetDouble(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetDouble(10)));
                await r.NextResultAsync(ct);
                await r.ReadAsync(ct);
                var (count, total, calls) = (r.GetInt32(0), r.GetDouble(1), r.GetInt64(2));
                totalMs = total;
                await r.NextResultAsync(ct);
                await r.ReadAsync(ct);
                report = new StatementReport([], count, total, calls,
                    r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1), r.GetBoolean(2), r.GetInt32(3));
            }
            var texts = await TextsAsync(connection, ranked.Select(x => x.Id).ToList(), knownTexts, ct);
            return report with
            {
                Statements = ranked.Select(x => new StatementStat(x.Id, texts.GetValueOrDefault(x.Id, "(text no longer available)"), x.Roles,
                    x.Calls, x.Total, x.Mean, x.Max, x.Rows, x.Hit, x.Read, x.Temp, x.Io, totalMs > 0 ? 100 * x.Total / totalMs : 0)).ToList(),
            };
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            throw new StatementsUnavailableException(NotPreloaded, e);
        }
    }

    /// <summary>The texts of the ranked statements: the known ones first, one text scan only for the rest.</summary>
    private static async Task<IReadOnlyDictionary<long, string>> TextsAsync(NpgsqlConnection connection, List<long> ids, KnownTexts? known, CancellationToken ct)
    {
        var texts = new Dictionary<long, string>();
        if (ids.Count == 0) return texts;
        if (known is not null)
            foreach (var (id, text) in await known(ids, ct)) texts[id] = text;
        var missing = ids.Where(id => !texts.ContainsKey(id)).ToArray();
        if (missing.Length == 0) return texts;
        await using var command = new NpgsqlCommand("""
            SELECT DISTINCT ON (queryid) queryid, query FROM pg_stat_statements(true)
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid = ANY(@ids)
             ORDER BY queryid
            """, connection);
        command.Parameters.AddWithValue("ids", missing);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) texts[r.GetInt64(0)] = r.IsDBNull(1) ? "" : r.GetString(1);
        return texts;
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
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            throw new StatementsUnavailableException(NotPreloaded, e);
        }
    }

    private static async Task EnsureAvailableAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass('pg_stat_statements') IS NOT NULL", connection);
        if (!(bool)(await check.ExecuteScalarAsync(ct))!) throw new StatementsUnavailableException(MissingExtension);
    }

    private static string Escape(string s) => s.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_");
}
