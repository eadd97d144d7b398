using Npgsql;

namespace Admin.Data.Database;

/// <summary>One user index with its usage figures and flags.</summary>
public sealed record IndexInfo(
    string Schema, string Table, string Name, long Scans, long TuplesRead, long TuplesFetched, long SizeBytes,
    double? HitRate, string Definition, bool IsUnique, bool IsPrimary, bool IsValid, bool Unused, string? DuplicateOf)
{
    public bool Duplicate => DuplicateOf is not null;
}

/// <summary>Per table: how it is read (index vs sequential scans) and whether it looks like it lacks an index.</summary>
public sealed record TableScanInfo(string Schema, string Table, long Rows, long SeqScans, long IndexScans, double? IndexScanShare, bool MissingIndexHint);

public sealed record IndexReport(IReadOnlyList<IndexInfo> Indexes, IReadOnlyList<TableScanInfo> Tables, DateTimeOffset? StatsReset);

/// <summary>
/// Every user index of a target (pg_stat_user_indexes, pg_statio_user_indexes, pg_index) with flags: unused
/// (non-unique, fewer than <see cref="UnusedScanThreshold"/> scans since the statistics reset), duplicate-of/covered-by
/// (another valid index on the same table whose leading columns are this one's columns, same predicate), invalid; and
/// per table the share of index scans with a missing-index hint. One round trip.
/// </summary>
public sealed class IndexStats
{
    public const long UnusedScanThreshold = 1;
    public const long MissingIndexMinRows = 10_000;

    private const string Sql = """
        SELECT s.schemaname, s.relname, s.indexrelname, s.idx_scan, s.idx_tup_read, s.idx_tup_fetch,
               ic.relpages::bigint * current_setting('block_size')::int, -- no lock, unlike pg_relation_size()
               (100.0 * io.idx_blks_hit / nullif(io.idx_blks_hit + io.idx_blks_read, 0))::float8,
               pg_get_indexdef(s.indexrelid), i.indisunique, i.indisprimary, i.indisvalid,
               (SELECT format('%I', o.relname)
                  FROM pg_index oi JOIN pg_class o ON o.oid = oi.indexrelid
                 WHERE oi.indrelid = i.indrelid AND oi.indexrelid <> i.indexrelid AND oi.indisvalid
                   AND i.indexprs IS NULL AND oi.indexprs IS NULL
                   AND coalesce(pg_get_expr(oi.indpred, oi.indrelid), '') = coalesce(pg_get_expr(i.indpred, i.indrelid), '')
                   AND oi.indnkeyatts >= i.indnkeyatts
                   AND (oi.indkey::int2[])[0:i.indnkeyatts - 1] = (i.indkey::int2[])[0:i.indnkeyatts - 1]
                   AND (oi.indclass::oid[])[0:i.indnkeyatts - 1] = (i.indclass::oid[])[0:i.indnkeyatts - 1]
                   -- an identical twin: only the later one is the duplicate
                   AND (oi.indnkeyatts > i.indnkeyatts OR oi.indisunique OR oi.indexrelid < i.indexrelid)
                 ORDER BY oi.indnkeyatts, oi.indexrelid LIMIT 1) AS duplicate_of
          FROM pg_stat_user_indexes s
          JOIN pg_index i ON i.indexrelid = s.indexrelid
          JOIN pg_statio_user_indexes io ON io.indexrelid = s.indexrelid
          JOIN pg_class ic ON ic.oid = s.indexrelid
         ORDER BY s.schemaname, s.relname, s.indexrelname;
        SELECT schemaname, relname, n_live_tup, coalesce(seq_scan, 0), coalesce(idx_scan, 0)
          FROM pg_stat_user_tables ORDER BY schemaname, relname;
        SELECT stats_reset FROM pg_stat_database WHERE datname = current_database();
        """;

    /// <summary>The indexes of a monitored target (its monitoring connection).</summary>
    public Task<IndexReport> LoadAsync(MonitoringTarget target, CancellationToken ct = default) => LoadAsync(target.DataSource, ct: ct);

    public async Task<IndexReport> LoadAsync(NpgsqlDataSource dataSource, long unusedScanThreshold = UnusedScanThreshold, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var indexes = new List<IndexInfo>();
        while (await reader.ReadAsync(ct))
        {
            var unique = reader.GetBoolean(9);
            var scans = reader.GetInt64(3);
            indexes.Add(new IndexInfo(reader.GetString(0), reader.GetString(1), reader.GetString(2), scans,
                reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetDouble(7),
                reader.GetString(8), unique, reader.GetBoolean(10), reader.GetBoolean(11),
                Unused: !unique && scans < unusedScanThreshold,
                DuplicateOf: unique || reader.IsDBNull(12) ? null : reader.GetString(12)));
        }
        await reader.NextResultAsync(ct);
        var tables = new List<TableScanInfo>();
        while (await reader.ReadAsync(ct))
        {
            long rows = reader.GetInt64(2), seq = reader.GetInt64(3), idx = reader.GetInt64(4);
            tables.Add(new TableScanInfo(reader.GetString(0), reader.GetString(1), rows, seq, idx,
                seq + idx == 0 ? null : 100.0 * idx / (seq + idx), rows > MissingIndexMinRows && seq > idx));
        }
        await reader.NextResultAsync(ct);
        DateTimeOffset? reset = null;
        if (await reader.ReadAsync(ct) && !reader.IsDBNull(0))
            reset = new DateTimeOffset(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(0), DateTimeKind.Utc));
        return new IndexReport(indexes, tables, reset);
    }
}
