using Admin.Data.Infrastructure;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>How the slow-queries list is ordered; each is a column of pg_stat_statements summed per query (the numbers are the SQL's).</summary>
public enum StatementSort { TotalTime = 0, MeanTime = 1, Calls = 2, Rows = 3, Io = 4 }

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

    // The order is a parameter, not text spliced into the statement: every order is then one and the same statement in
    // pg_stat_statements, whose text the sampler has after its next run, so switching the order costs no text scan.
    private const string OrderBy = """
        CASE @sort WHEN 1 THEN mean_ms END DESC NULLS LAST, CASE @sort WHEN 2 THEN calls END DESC NULLS LAST,
        CASE @sort WHEN 3 THEN rows END DESC NULLS LAST, CASE @sort WHEN 4 THEN blks_read + temp_written END DESC NULLS LAST,
        CASE @sort WHEN 4 THEN io_ms END DESC NULLS LAST, total_ms DESC NULLS LAST
        """;

    /// <summary>Statement texts already known by query id (the sampler keeps them), so the panel need not read them all.</summary>
    public delegate Task<IReadOnlyDictionary<long, string>> KnownTexts(IReadOnlyCollection<long> queryIds, CancellationToken ct);

    public static async Task<StatementReport> LoadAsync(
        NpgsqlDataSource dataSource, StatementSort sort = StatementSort.TotalTime, int top = 50, string? search = null,
        long? queryId = null, KnownTexts? knownTexts = null, CancellationToken ct = default)
    {
        top = Math.Clamp(top, 1, MaxTop);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await EnsureAvailableAsync(connection, ct);
        // Summed per queryid: the same statement run by two roles is one line for a DBA. pg_stat_statements copies every
        // entry of the server (all databases) each time it is read, and reading the statement texts is most of that
        // (they live in a file the function reads whole), so it is read once per load: without texts for the ranking
        // (showtext = false), with them only for a text search, whose matching texts come from that same scan. The
        // totals (all statements of this database) come from the same scan, so shares add up to 100 %.
        var searching = !string.IsNullOrWhiteSpace(search);
        var sql = $"""
            WITH s AS (
                SELECT queryid, array_agg(userid) AS users,
                       sum(calls)::bigint AS calls, sum(total_exec_time) AS total_ms,
                       sum(total_exec_time) / nullif(sum(calls), 0) AS mean_ms, max(max_exec_time) AS max_ms,
                       sum(rows)::bigint AS rows, sum(shared_blks_hit)::bigint AS blks_hit,
                       sum(shared_blks_read)::bigint AS blks_read, sum(temp_blks_written)::bigint AS temp_written,
                       sum(blk_read_time + blk_write_time) AS io_ms,
                       {(searching ? "min(query) FILTER (WHERE query ILIKE '%' || @search || '%')" : "NULL::text")} AS query
                  FROM pg_stat_statements({(searching ? "true" : "false")})
                 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
                 GROUP BY queryid)
            SELECT r.queryid, (SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname) FROM pg_roles g WHERE g.oid = ANY(r.users)),
                   r.calls, r.total_ms, coalesce(r.mean_ms, 0), r.max_ms, r.rows, r.blks_hit, r.blks_read, r.temp_written, r.io_ms, r.query,
                   totals.n, totals.total_ms, totals.calls,
                   i.stats_reset, i.dealloc, current_setting('track_io_timing') = 'on', current_setting('pg_stat_statements.max')::int
              FROM (SELECT count(*)::int AS n, coalesce(sum(total_ms), 0) AS total_ms, coalesce(sum(calls), 0)::bigint AS calls FROM s) totals
             CROSS JOIN pg_stat_statements_info i
              LEFT JOIN LATERAL (
                    SELECT * FROM s
                     WHERE (@queryid IS NULL OR queryid = @queryid) {(searching ? "AND query IS NOT NULL" : "")}
                     ORDER BY {OrderBy}, queryid LIMIT @top) r ON true
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter("search", NpgsqlTypes.NpgsqlDbType.Text) { Value = searching ? LikePattern.Escape(search!.Trim()) : DBNull.Value });
        command.Parameters.AddWithValue("top", top);
        command.Parameters.AddWithValue("sort", (int)sort);
        command.Parameters.Add(new NpgsqlParameter("queryid", NpgsqlTypes.NpgsqlDbType.Bigint) { Value = (object?)queryId ?? DBNull.Value });
        try
        {
            var ranked = new List<(long Id, string Roles, long Calls, double Total, double Mean, double Max, long Rows, long Hit, long Read, long Temp, double Io, string? Text)>();
            StatementReport? report = null;
            await using (var r = await command.ExecuteReaderAsync(ct))
            {
                // At least one row (the totals); statement columns are null when nothing matches.
                while (await r.ReadAsync(ct))
                {
                    report ??= new StatementReport([], r.GetInt32(12), r.GetDouble(13), r.GetInt64(14),
                        r.IsDBNull(15) ? null : r.GetFieldValue<DateTimeOffset>(15), r.GetInt64(16), r.GetBoolean(17), r.GetInt32(18));
                    if (r.IsDBNull(0)) continue;
                    ranked.Add((r.GetInt64(0), r.IsDBNull(1) ? "" : r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4),
                        r.GetDouble(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetDouble(10), r.IsDBNull(11) ? null : r.GetString(11)));
                }
            }
            var totalMs = report!.TotalMs;
            var texts = ranked.All(x => x.Text is not null)
                ? ranked.ToDictionary(x => x.Id, x => x.Text!)
                : await TextsAsync(connection, ranked.Select(x => x.Id).ToList(), knownTexts, ct);
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

}
