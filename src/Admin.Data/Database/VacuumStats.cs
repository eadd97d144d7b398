using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// Estimated bloat of a table or a B-tree index from its statistics (pg_class.relpages/reltuples and pg_stats' average
/// widths and null fractions, as PgHero and check_postgres estimate it): the pages it would need packed to its
/// fillfactor, against the pages it has. <see cref="StatisticsAt"/> is the table's last ANALYZE: the estimate is only as
/// fresh as that. <see cref="Unreliable"/>: some columns have no statistics (never analyzed, no SELECT on them, or a
/// type the estimate cannot size), so the figure is a guess at best.
/// </summary>
public sealed record BloatEstimate(
    string Schema, string Table, string? Index, long RealBytes, long WastedBytes, double WastedPercent, int Fillfactor,
    bool Unreliable, DateTimeOffset? StatisticsAt)
{
    public string QualifiedTable => $"{Schema}.{Table}";
    public string Name => Index is null ? QualifiedTable : $"{Schema}.{Index}";
}

/// <summary>One row of pg_stat_progress_vacuum with its session: a (auto)vacuum running now.</summary>
public sealed record VacuumProgress(
    int Pid, string? Database, string Table, bool IsAutovacuum, string Phase, long HeapBlocksTotal, long HeapBlocksScanned,
    long HeapBlocksVacuumed, long IndexVacuumCount, long MaxDeadTuples, long DeadTuples, TimeSpan? RunningFor)
{
    public double? ScannedPercent => HeapBlocksTotal == 0 ? null : 100.0 * HeapBlocksScanned / HeapBlocksTotal;
}

/// <summary>
/// A table with more dead tuples than its autovacuum threshold (autovacuum_vacuum_threshold + scale_factor × reltuples,
/// the table's own reloptions first): vacuum has not caught up with it.
/// </summary>
public sealed record LaggingTable(
    string Schema, string Name, long DeadTuples, long LiveTuples, long Threshold, bool OwnSettings, bool AutovacuumEnabled,
    DateTimeOffset? LastVacuum, DateTimeOffset? LastAutovacuum, int? VacuumingPid)
{
    public string QualifiedName => $"{Schema}.{Name}";
    public DateTimeOffset? LastVacuumAny => LastVacuum is null ? LastAutovacuum : LastAutovacuum is null || LastVacuum > LastAutovacuum ? LastVacuum : LastAutovacuum;
}

public enum HorizonHolderKind { Session, PreparedTransaction, ReplicationSlot, StandbyFeedback }

/// <summary>
/// Something that keeps the xmin horizon back: vacuum may not remove rows deleted after its xmin. <see cref="AgeXids"/>
/// is the age of that xmin in transactions; <see cref="Since"/> when it started, where PostgreSQL records it.
/// </summary>
public sealed record HorizonHolder(
    HorizonHolderKind Kind, string Name, int? Pid, string? User, string? Database, string? Application, string? State,
    long AgeXids, DateTimeOffset? Since, string Detail, bool Active);

/// <summary>A database's transaction id age: how close it is to a forced anti-wraparound vacuum and to 2^31.</summary>
public sealed record DatabaseXidAge(string Database, long AgeXids, long MultixactAge);

/// <summary>A table (or materialized view, or TOAST table shown as its table) of the target's database by relfrozenxid age.</summary>
public sealed record FrozenAge(string Schema, string Name, bool Toast, long AgeXids, long FreezeMaxAge, long Bytes);

/// <summary>A constraint added NOT VALID and never validated: new rows are checked, old ones never were.</summary>
public sealed record NotValidConstraint(string Schema, string Table, string Name, string Type, string Definition, bool OnDomain)
{
    /// <summary>The statement that checks the existing rows (SHARE UPDATE EXCLUSIVE on the table: reads and writes go on).</summary>
    public string ValidateSql => OnDomain
        ? $"ALTER DOMAIN {Quote(Schema)}.{Quote(Table)} VALIDATE CONSTRAINT {Quote(Name)};"
        : $"ALTER TABLE {Quote(Schema)}.{Quote(Table)} VALIDATE CONSTRAINT {Quote(Name)};";

    private static string Quote(string identifier) =>
        identifier.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '_') && identifier.Length > 0 && !char.IsDigit(identifier[0])
            ? identifier
            : "\"" + identifier.Replace("\"", "\"\"") + "\"";
}

/// <summary>What the Vacuum page shows of a target, read in one round trip.</summary>
public sealed record VacuumReport(
    DateTimeOffset TakenAt,
    string Database,
    long FreezeMaxAge,
    int AutovacuumMaxWorkers,
    bool AutovacuumOn,
    IReadOnlyList<BloatEstimate> TableBloat,
    IReadOnlyList<BloatEstimate> IndexBloat,
    int TablesWithoutStatistics,
    IReadOnlyList<VacuumProgress> Running,
    IReadOnlyList<LaggingTable> Lagging,
    IReadOnlyList<HorizonHolder> Holders,
    IReadOnlyList<DatabaseXidAge> Databases,
    IReadOnlyList<FrozenAge> OldestTables,
    IReadOnlyList<NotValidConstraint> NotValid)
{
    /// <summary>2^31: past it the transaction ids wrap around; PostgreSQL stops assigning new ones shortly before.</summary>
    public const long WraparoundLimit = 2_147_483_648L;

    /// <summary>The oldest holder: the one that decides the horizon.</summary>
    public HorizonHolder? Horizon => Holders.Count == 0 ? null : Holders[0];
}

/// <summary>
/// The Vacuum page's reads of a monitoring target (pg_monitor suffices, except that pg_stats shows only the columns the
/// role may SELECT: tables it may not read count as "without statistics"). Bloat figures are estimates from statistics
/// (no pgstattuple), refreshed by ANALYZE.
/// </summary>
public static class VacuumStats
{
    /// <summary>Estimates shown: the largest by wasted bytes.</summary>
    public const int BloatLimit = 50;

    public const int OldestTablesLimit = 10;

    private const string SettingsSql = """
        SELECT clock_timestamp(), current_database()::text, current_setting('autovacuum_freeze_max_age')::bigint,
               current_setting('autovacuum_max_workers')::int, current_setting('autovacuum')::bool
        """;

    // Both estimates in one statement over one read of pg_stats (the costly part: it checks the role's privilege on every
    // column). Tables: ioguix's estimate, a tuple's size from the columns' average width and null fraction, aligned, plus
    // the header; the pages the live tuples need at the fillfactor against relpages (heap and TOAST). B-tree indexes:
    // ioguix's estimate (PgHero's), index tuple size from the indexed columns' statistics, 90 % fillfactor by default,
    // one meta page. The last row ('none') counts the tables of which no column has statistics the role can see (never
    // analyzed, or not readable by it): they are left out rather than guessed.
    private const string BloatSql = """
        WITH st AS MATERIALIZED (
            SELECT schemaname::text AS schemaname, tablename::text AS tablename, attname::text AS attname, null_frac, avg_width
            FROM pg_stats
            WHERE NOT inherited AND schemaname NOT IN ('pg_catalog', 'information_schema')
        ), t AS (
            SELECT tbl.oid, ns.nspname::text AS schema, tbl.relname::text AS name, tbl.reltuples::float8 AS reltuples,
                   tbl.relpages::bigint + coalesce(toast.relpages, 0)::bigint AS pages,
                   coalesce(toast.reltuples, 0)::float8 AS toasttuples,
                   coalesce(substring(array_to_string(tbl.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 100) AS fillfactor,
                   current_setting('block_size')::numeric AS bs,
                   23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(*)) / 8 ELSE 0 END AS hdr,
                   sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0))::numeric AS data,
                   count(s.attname) <> count(*) OR bool_or(att.atttypid = 'pg_catalog.name'::regtype) AS unreliable
            FROM pg_attribute att
            JOIN pg_class tbl ON tbl.oid = att.attrelid AND tbl.relkind IN ('r', 'm')
            JOIN pg_namespace ns ON ns.oid = tbl.relnamespace
            LEFT JOIN st s ON s.schemaname = ns.nspname::text AND s.tablename = tbl.relname::text AND s.attname = att.attname::text
            LEFT JOIN pg_class toast ON toast.oid = tbl.reltoastrelid
            WHERE att.attnum > 0 AND NOT att.attisdropped AND tbl.relpages > 0
              AND ns.nspname NOT IN ('pg_catalog', 'information_schema') AND ns.nspname NOT LIKE 'pg_toast%'
              AND NOT pg_is_other_temp_schema(ns.oid)
            GROUP BY tbl.oid, ns.nspname, tbl.relname, tbl.reltuples, tbl.relpages, toast.relpages, toast.reltuples, tbl.reloptions
            HAVING count(s.attname) > 0 -- none visible: counted as without statistics, not guessed
        ), sized AS (
            SELECT *, 4 + hdr + data + 16
                      - CASE WHEN hdr % 8 = 0 THEN 8 ELSE hdr % 8 END
                      - CASE WHEN ceil(data)::int % 8 = 0 THEN 8 ELSE ceil(data)::int % 8 END AS tuple_size
            FROM t
        ), test AS (
            SELECT *, coalesce(ceil(greatest(reltuples, 0) / nullif((bs - 24) * fillfactor / (tuple_size * 100), 0)), 0) + ceil(toasttuples / 4) AS est_pages
            FROM sized
        ), idx AS (
            SELECT ci.oid AS idxoid, ci.relname::text AS idxname, ci.reltuples::float8 AS reltuples, ci.relpages::bigint AS relpages,
                   i.indrelid AS tbloid,
                   coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 90) AS fillfactor,
                   string_to_array(textin(int2vectorout(i.indkey)), ' ')::int[] AS indkey,
                   generate_series(1, i.indnatts) AS attpos
            FROM pg_index i
            JOIN pg_class ci ON ci.oid = i.indexrelid
            WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') AND ci.relpages > 0
        ), cols AS MATERIALIZED (
            SELECT ct.relnamespace, ct.relname::text AS tblname, idx.*,
                   coalesce(a1.attname, a2.attname)::text AS attname, coalesce(a1.atttypid, a2.atttypid) AS atttypid,
                   CASE WHEN a1.attnum IS NULL THEN idx.idxname ELSE ct.relname::text END AS attrelname
            FROM idx
            JOIN pg_class ct ON ct.oid = idx.tbloid
            LEFT JOIN pg_attribute a1 ON idx.indkey[idx.attpos] <> 0 AND a1.attrelid = idx.tbloid AND a1.attnum = idx.indkey[idx.attpos]
            LEFT JOIN pg_attribute a2 ON idx.indkey[idx.attpos] = 0 AND a2.attrelid = idx.idxoid AND a2.attnum = idx.attpos
        ), stats AS (
            SELECT n.nspname::text AS schema, c.tblname, c.idxname, c.idxoid, c.tbloid, c.reltuples, c.relpages, c.fillfactor,
                   current_setting('block_size')::numeric AS bs,
                   CASE WHEN max(coalesce(s.null_frac, 0)) = 0 THEN 8 ELSE 8 + ((32 + 8 - 1) / 8) END AS hdr,
                   sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024))::numeric AS data,
                   count(s.attname) <> count(*) OR bool_or(c.atttypid = 'pg_catalog.name'::regtype) AS unreliable
            FROM cols c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN st s ON s.schemaname = n.nspname::text AND s.tablename = c.attrelname AND s.attname = c.attname
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
              AND NOT pg_is_other_temp_schema(n.oid)
            GROUP BY n.nspname, c.tblname, c.idxname, c.idxoid, c.tbloid, c.reltuples, c.relpages, c.fillfactor
            HAVING count(s.attname) > 0
        ), iest AS (
            SELECT *, 1 + coalesce(ceil(greatest(reltuples, 0) / nullif(floor((bs - 16 - 24) * fillfactor / (100 * (4 + width))), 0)), 0) AS est_pages
            FROM (SELECT *, hdr + 8 - CASE WHEN hdr % 8 = 0 THEN 8 ELSE hdr % 8 END
                             + data + 8 - CASE WHEN data = 0 THEN 0 WHEN data::int % 8 = 0 THEN 8 ELSE data::int % 8 END AS width
                  FROM stats) w
        ), tables AS (
            SELECT e.schema, e.name, NULL::text, (e.bs * e.pages)::bigint,
                   (greatest(e.pages - e.est_pages, 0) * e.bs)::bigint,
                   CASE WHEN e.pages > e.est_pages THEN 100 * (e.pages - e.est_pages)::float8 / e.pages ELSE 0 END,
                   e.fillfactor, e.unreliable OR e.reltuples < 0,
                   -- the functions, not pg_stat_all_tables: that view also sums index scans over pg_index
                   greatest(pg_stat_get_last_analyze_time(e.oid), pg_stat_get_last_autoanalyze_time(e.oid))
            FROM test e
            ORDER BY 5 DESC, 1, 2
            LIMIT @limit
        ), indexes AS (
            SELECT e.schema, e.tblname, e.idxname, (e.bs * e.relpages)::bigint,
                   (greatest(e.relpages - e.est_pages, 0) * e.bs)::bigint,
                   CASE WHEN e.relpages > e.est_pages THEN 100 * (e.relpages - e.est_pages)::float8 / e.relpages ELSE 0 END,
                   e.fillfactor, e.unreliable OR e.reltuples < 0,
                   greatest(pg_stat_get_last_analyze_time(e.tbloid), pg_stat_get_last_autoanalyze_time(e.tbloid))
            FROM iest e
            ORDER BY 5 DESC, 1, 3
            LIMIT @limit
        )
        SELECT 'table', * FROM tables
        UNION ALL
        SELECT 'index', * FROM indexes
        UNION ALL
        SELECT 'none', NULL, NULL, NULL, count(*), 0, 0, 0, false, NULL
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND c.relpages > 0
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND NOT pg_is_other_temp_schema(n.oid)
          AND NOT EXISTS (SELECT 1 FROM st WHERE st.schemaname = n.nspname::text AND st.tablename = c.relname::text)
        """;

    private const string ProgressSql = """
        SELECT p.pid, p.datname::text,
               coalesce((SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p.relid),
                        'relation ' || p.relid::text),
               a.backend_type = 'autovacuum worker', p.phase,
               p.heap_blks_total, p.heap_blks_scanned, p.heap_blks_vacuumed, p.index_vacuum_count, p.max_dead_tuples, p.num_dead_tuples,
               clock_timestamp() - coalesce(a.xact_start, a.query_start)
        FROM pg_stat_progress_vacuum p
        LEFT JOIN pg_stat_activity a ON a.pid = p.pid
        ORDER BY p.pid
        """;

    // Dead tuples above the table's threshold; its reloptions come first.
    private const string LaggingSql = """
        SELECT s.schemaname::text, s.relname::text, s.n_dead_tup, s.n_live_tup,
               (coalesce(o.threshold, current_setting('autovacuum_vacuum_threshold')::int)
                + coalesce(o.scale, current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(c.reltuples, 0))::bigint AS threshold,
               o.threshold IS NOT NULL OR o.scale IS NOT NULL,
               coalesce(o.enabled, true),
               s.last_vacuum, s.last_autovacuum,
               (SELECT p.pid FROM pg_stat_progress_vacuum p WHERE p.relid = s.relid LIMIT 1)
        FROM pg_stat_user_tables s
        JOIN pg_class c ON c.oid = s.relid
        CROSS JOIN LATERAL (
            SELECT substring(array_to_string(c.reloptions, ' ') FROM 'autovacuum_vacuum_threshold=([0-9]+)')::int AS threshold,
                   substring(array_to_string(c.reloptions, ' ') FROM 'autovacuum_vacuum_scale_factor=([0-9.eE+-]+)')::float8 AS scale,
                   substring(array_to_string(c.reloptions, ' ') FROM 'autovacuum_enabled=([a-z]+)')::bool AS enabled) o
        WHERE c.relkind IN ('r', 'm')
          AND s.n_dead_tup > (coalesce(o.threshold, current_setting('autovacuum_vacuum_threshold')::int)
                              + coalesce(o.scale, current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(c.reltuples, 0))
        ORDER BY s.n_dead_tup DESC, 1, 2
        LIMIT 100
        """;

    // Everything that holds the xmin horizon back, oldest first: sessions with a snapshot or a transaction id, prepared
    // transactions, replication slots (xmin and catalog_xmin) and standbys' hot_standby_feedback.
    private const string HoldersSql = """
        SELECT * FROM (
            SELECT 'Session' AS kind, a.pid::text AS name, a.pid, a.usename::text, a.datname::text, a.application_name, a.state,
                   greatest(age(a.backend_xmin), age(a.backend_xid))::bigint AS age, a.xact_start AS since,
                   left(coalesce(a.query, ''), 300) AS detail, a.state = 'active' AS active
            FROM pg_stat_activity a
            WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AND a.pid <> pg_backend_pid()
              AND a.backend_type NOT IN ('walsender', 'autovacuum worker')
            UNION ALL
            SELECT 'PreparedTransaction', p.gid, NULL, p.owner::text, p.database::text, NULL, NULL,
                   age(p.transaction)::bigint, p.prepared, 'transaction ' || p.transaction::text, false
            FROM pg_prepared_xacts p
            UNION ALL
            SELECT 'ReplicationSlot', r.slot_name::text, r.active_pid, NULL, r.database::text, r.plugin::text, r.slot_type,
                   greatest(age(r.xmin), age(r.catalog_xmin))::bigint, NULL,
                   concat_ws(' · ', 'xmin ' || r.xmin::text, 'catalog_xmin ' || r.catalog_xmin::text), r.active
            FROM pg_replication_slots r
            WHERE r.xmin IS NOT NULL OR r.catalog_xmin IS NOT NULL
            UNION ALL
            SELECT 'StandbyFeedback', coalesce(nullif(r.application_name, ''), r.pid::text), r.pid, r.usename::text, NULL,
                   r.application_name, r.state, age(r.backend_xmin)::bigint, r.backend_start,
                   concat_ws(' · ', 'client ' || host(r.client_addr), 'xmin ' || r.backend_xmin::text), true
            FROM pg_stat_replication r
            WHERE r.backend_xmin IS NOT NULL
        ) h
        ORDER BY age DESC, kind, name
        LIMIT 100
        """;

    private const string DatabasesSql = """
        SELECT datname::text, age(datfrozenxid)::bigint, mxid_age(datminmxid)::bigint
        FROM pg_database WHERE datallowconn OR age(datfrozenxid) > 0
        ORDER BY 2 DESC, 1
        """;

    // TOAST tables are named by their table; the table's own autovacuum_freeze_max_age (it can only be lower) applies.
    private const string OldestSql = """
        SELECT n.nspname::text, coalesce(owner.relname, c.relname)::text, owner.oid IS NOT NULL, age(c.relfrozenxid)::bigint,
               least(current_setting('autovacuum_freeze_max_age')::bigint,
                     coalesce(substring(array_to_string(coalesce(owner.reloptions, c.reloptions), ' ') FROM 'autovacuum_freeze_max_age=([0-9]+)')::bigint,
                              current_setting('autovacuum_freeze_max_age')::bigint)),
               c.relpages::bigint * current_setting('block_size')::int
        FROM pg_class c
        LEFT JOIN pg_class owner ON c.relkind = 't' AND owner.reltoastrelid = c.oid
        JOIN pg_namespace n ON n.oid = coalesce(owner.relnamespace, c.relnamespace)
        WHERE c.relkind IN ('r', 'm', 't') AND c.relfrozenxid <> '0'::xid AND NOT pg_is_other_temp_schema(n.oid)
        ORDER BY age(c.relfrozenxid) DESC, 1, 2
        LIMIT @oldest
        """;

    private const string NotValidSql = """
        SELECT n.nspname::text, coalesce(t.relname, d.typname)::text, c.conname::text,
               CASE c.contype WHEN 'c' THEN 'CHECK' WHEN 'f' THEN 'FOREIGN KEY' WHEN 'n' THEN 'NOT NULL' ELSE c.contype::text END,
               pg_get_constraintdef(c.oid), c.contypid <> 0
        FROM pg_constraint c
        LEFT JOIN pg_class t ON t.oid = c.conrelid
        LEFT JOIN pg_type d ON d.oid = c.contypid
        JOIN pg_namespace n ON n.oid = coalesce(t.relnamespace, d.typnamespace)
        WHERE NOT c.convalidated AND NOT pg_is_other_temp_schema(n.oid)
        ORDER BY 1, 2, 3
        """;

    public static async Task<VacuumReport> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(SettingsSql),
                new NpgsqlBatchCommand(BloatSql) { Parameters = { new("limit", BloatLimit) } },
                new NpgsqlBatchCommand(ProgressSql),
                new NpgsqlBatchCommand(LaggingSql),
                new NpgsqlBatchCommand(HoldersSql),
                new NpgsqlBatchCommand(DatabasesSql),
                new NpgsqlBatchCommand(OldestSql) { Parameters = { new("oldest", OldestTablesLimit) } },
                new NpgsqlBatchCommand(NotValidSql),
            },
        };
        await using var r = await batch.ExecuteReaderAsync(ct);

        await r.ReadAsync(ct);
        var takenAt = r.GetFieldValue<DateTimeOffset>(0);
        var database = r.GetString(1);
        var freezeMaxAge = r.GetInt64(2);
        var maxWorkers = r.GetInt32(3);
        var autovacuumOn = r.GetBoolean(4);

        await r.NextResultAsync(ct);
        var tableBloat = new List<BloatEstimate>();
        var indexBloat = new List<BloatEstimate>();
        var withoutStatistics = 0;
        while (await r.ReadAsync(ct))
        {
            var kind = r.GetString(0);
            if (kind == "none")
            {
                withoutStatistics = (int)r.GetInt64(4);
                continue;
            }
            (kind == "table" ? tableBloat : indexBloat).Add(new BloatEstimate(r.GetString(1), r.GetString(2), Text(r, 3), r.GetInt64(4),
                r.GetInt64(5), r.GetDouble(6), r.GetInt32(7), r.GetBoolean(8), Time(r, 9)));
        }

        await r.NextResultAsync(ct);
        var running = new List<VacuumProgress>();
        while (await r.ReadAsync(ct))
            running.Add(new VacuumProgress(r.GetInt32(0), Text(r, 1), r.GetString(2), !r.IsDBNull(3) && r.GetBoolean(3), r.GetString(4),
                r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10),
                r.IsDBNull(11) ? null : r.GetTimeSpan(11)));

        await r.NextResultAsync(ct);
        var lagging = new List<LaggingTable>();
        while (await r.ReadAsync(ct))
            lagging.Add(new LaggingTable(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetBoolean(5),
                r.GetBoolean(6), Time(r, 7), Time(r, 8), r.IsDBNull(9) ? null : r.GetInt32(9)));

        await r.NextResultAsync(ct);
        var holders = new List<HorizonHolder>();
        while (await r.ReadAsync(ct))
            holders.Add(new HorizonHolder(Enum.Parse<HorizonHolderKind>(r.GetString(0)), r.GetString(1), r.IsDBNull(2) ? null : r.GetInt32(2),
                Text(r, 3), Text(r, 4), Text(r, 5), Text(r, 6), r.IsDBNull(7) ? 0 : r.GetInt64(7), Time(r, 8), r.GetString(9), r.GetBoolean(10)));

        await r.NextResultAsync(ct);
        var databases = new List<DatabaseXidAge>();
        while (await r.ReadAsync(ct)) databases.Add(new DatabaseXidAge(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));

        await r.NextResultAsync(ct);
        var oldest = new List<FrozenAge>();
        while (await r.ReadAsync(ct))
            oldest.Add(new FrozenAge(r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));

        await r.NextResultAsync(ct);
        var notValid = new List<NotValidConstraint>();
        while (await r.ReadAsync(ct))
            notValid.Add(new NotValidConstraint(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBoolean(5)));

        return new VacuumReport(takenAt, database, freezeMaxAge, maxWorkers, autovacuumOn, tableBloat, indexBloat, withoutStatistics,
            running, lagging, holders, databases, oldest, notValid);
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
