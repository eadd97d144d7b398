using Npgsql;

namespace Admin.Data.Database;

/// <summary>One user table (or partition) with its space and maintenance statistics.</summary>
public sealed record TableStat(
    string Schema,
    string Name,
    string? PartitionOf,
    bool IsPartitioned,
    long TotalBytes,
    long TableBytes,
    long IndexBytes,
    long ToastBytes,
    long LiveTuples,
    long DeadTuples,
    DateTimeOffset? LastVacuum,
    DateTimeOffset? LastAutovacuum,
    DateTimeOffset? LastAnalyze,
    DateTimeOffset? LastAutoanalyze,
    long SeqScans,
    long? IndexScans,
    long Inserts = 0,
    long Updates = 0,
    long Deletes = 0)
{
    public string QualifiedName => $"{Schema}.{Name}";

    /// <summary>Dead tuples as a share of all tuples (0–1), or null while the table has none.</summary>
    public double? DeadRatio => LiveTuples + DeadTuples == 0 ? null : DeadTuples / (double)(LiveTuples + DeadTuples);

    public DateTimeOffset? LastVacuumAny => Max(LastVacuum, LastAutovacuum);
    public DateTimeOffset? LastAnalyzeAny => Max(LastAnalyze, LastAutoanalyze);

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}

/// <summary>Every user table of a monitoring target's database, largest first (pg_stat_user_tables; needs no grant).</summary>
public static class TableStats
{
    // Sizes cost a stat() of every file of the table, its TOAST table and its indexes, so each is read once: the heap is
    // the table size without TOAST, the total is table plus indexes (what pg_total_relation_size adds up). OFFSET 0 keeps
    // the sizes subquery from being flattened into the outer query, which would evaluate them again for ORDER BY.
    private const string Sql = """
        SELECT s.schemaname::text, s.relname::text,
               (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
                    JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = s.relid LIMIT 1),
               c.relkind = 'p',
               z.table_bytes + z.index_bytes AS total_bytes,
               z.table_bytes - z.toast_bytes,
               z.index_bytes,
               z.toast_bytes,
               s.n_live_tup, s.n_dead_tup,
               s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze,
               coalesce(s.seq_scan, 0), s.idx_scan, s.n_tup_ins, s.n_tup_upd, s.n_tup_del
        FROM pg_stat_user_tables s
        JOIN pg_class c ON c.oid = s.relid
        CROSS JOIN LATERAL (SELECT pg_table_size(s.relid) AS table_bytes, pg_indexes_size(s.relid) AS index_bytes,
                                   coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) AS toast_bytes
                            OFFSET 0) z
        ORDER BY total_bytes DESC, s.schemaname, s.relname
        """;

    public static async Task<IReadOnlyList<TableStat>> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(Sql);
        await using var r = await command.ExecuteReaderAsync(ct);
        var rows = new List<TableStat>();
        while (await r.ReadAsync(ct))
            rows.Add(new TableStat(
                r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetBoolean(3),
                r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9),
                Time(r, 10), Time(r, 11), Time(r, 12), Time(r, 13),
                r.GetInt64(14), r.IsDBNull(15) ? null : r.GetInt64(15), r.GetInt64(16), r.GetInt64(17), r.GetInt64(18)));
        return rows;
    }

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
