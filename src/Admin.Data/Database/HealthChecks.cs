using System.Globalization;
using Npgsql;

namespace Admin.Data.Database;

public enum CheckStatus { Pass, Warn, Fail }

/// <summary>One health check: its verdict, the figure it was based on, the threshold, why it matters and how to fix it.</summary>
public sealed record HealthCheck(
    string Key, string Title, CheckStatus Status, string Figure, string Threshold, string Why, string Fix,
    IReadOnlyList<string> Items)
{
    public string StatusText => Status.ToString().ToUpperInvariant();
}

/// <summary>
/// The Overview's health checks for one monitoring target, in two round trips: one row of server-wide figures and one
/// list of offending objects (invalid, unused and duplicate indexes, tables, sequences, materialized views).
/// Needs only pg_monitor.
/// </summary>
public sealed class HealthChecks
{
    public const long UnusedIndexMinBytes = 1L << 20;
    public static readonly TimeSpan LongQuery = TimeSpan.FromMinutes(5);

    /// <summary>An xmin horizon held longer than this by a session or a prepared transaction is a WARN (an hour: FAIL).</summary>
    public TimeSpan HorizonWarn { get; init; } = DefaultHorizonWarn;

    public static readonly TimeSpan DefaultHorizonWarn = TimeSpan.FromMinutes(10);

    /// <summary>Never-analyzed tables count only above this many rows: autovacuum leaves tiny tables alone by design.</summary>
    public const long NeverAnalyzedMinRows = 1000;

    private const string FiguresSql = """
        SELECT (SELECT 100.0 * sum(blks_hit) / nullif(sum(blks_hit) + sum(blks_read), 0)
                  FROM pg_stat_database WHERE datname = current_database())::float8 AS cache_hit,
               (SELECT 100.0 * sum(idx_blks_hit) / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0)
                  FROM pg_statio_user_indexes)::float8 AS index_hit,
               (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
               current_setting('max_connections')::int AS max_connections,
               (SELECT count(*) FROM pg_stat_activity
                 WHERE state LIKE 'idle in transaction%' AND now() - state_change > interval '5 minutes') AS idle_in_tx,
               (SELECT coalesce(max(extract(epoch FROM now() - state_change)), 0) FROM pg_stat_activity
                 WHERE state LIKE 'idle in transaction%')::float8 AS idle_in_tx_max_seconds,
               (SELECT count(*) FROM pg_stat_activity
                 WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                   AND now() - query_start > interval '5 minutes') AS long_queries,
               (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0) AS blocked,
               (SELECT max(age(datfrozenxid)) FROM pg_database)::bigint AS xid_age,
               current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age,
               (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()) AS stats_reset,
               greatest((SELECT max(extract(epoch FROM now() - a.xact_start)) FROM pg_stat_activity a
                          WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AND a.pid <> pg_backend_pid()
                            AND a.backend_type NOT IN ('walsender', 'autovacuum worker')),
                        (SELECT max(extract(epoch FROM now() - p.prepared)) FROM pg_prepared_xacts p), 0)::float8 AS horizon_seconds
        """;

    // kind, name, detail
    private const string ItemsSql = """
        SELECT 'invalid', format('%I.%I', n.nspname, c.relname), format('on %s', i.indrelid::regclass)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE NOT i.indisvalid
        UNION ALL
        SELECT 'unused', format('%I.%I', s.schemaname, s.indexrelname),
               format('%s on %s, 0 scans', pg_size_pretty(ic.relpages::bigint * current_setting('block_size')::int), s.relid::regclass)
          FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid JOIN pg_class ic ON ic.oid = s.indexrelid
         WHERE s.idx_scan = 0 AND NOT i.indisunique AND i.indisvalid
           -- relpages, not pg_relation_size(): that would wait behind an ACCESS EXCLUSIVE lock on the table
           AND ic.relpages::bigint * current_setting('block_size')::int > @unused_min
        UNION ALL
        SELECT 'duplicate', format('%s', b.indexrelid::regclass), format('same as %s on %s', a.indexrelid::regclass, a.indrelid::regclass)
          FROM pg_index a JOIN pg_index b
            ON a.indrelid = b.indrelid AND a.indexrelid < b.indexrelid
           AND a.indkey::text = b.indkey::text AND a.indclass::text = b.indclass::text
           AND coalesce(pg_get_expr(a.indexprs, a.indrelid), '') = coalesce(pg_get_expr(b.indexprs, b.indrelid), '')
           AND coalesce(pg_get_expr(a.indpred, a.indrelid), '') = coalesce(pg_get_expr(b.indpred, b.indrelid), '')
          JOIN pg_class t ON t.oid = a.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE a.indisvalid AND b.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
        UNION ALL
        SELECT CASE WHEN n_dead_tup > 1000 AND n_dead_tup > 0.2 * (n_live_tup + n_dead_tup) THEN 'vacuum' ELSE 'analyze' END,
               format('%I.%I', schemaname, relname),
               format('%s live, %s dead tuples, last analyzed %s', n_live_tup, n_dead_tup,
                      coalesce(greatest(last_analyze, last_autoanalyze)::text, 'never'))
          FROM pg_stat_user_tables
         WHERE (n_dead_tup > 1000 AND n_dead_tup > 0.2 * (n_live_tup + n_dead_tup))
            OR (last_analyze IS NULL AND last_autoanalyze IS NULL AND n_live_tup > @analyze_min_rows)
        UNION ALL
        SELECT CASE WHEN q.readable THEN 'sequence' ELSE 'sequence-unreadable' END, format('%I.%I', n.nspname, c.relname),
               CASE WHEN q.readable
                    THEN format('%s %% used (%s of %s)', round(100.0 * (q.last_value - s.seqmin) / nullif(s.seqmax - s.seqmin, 0), 1), q.last_value, s.seqmax)
                    ELSE 'not readable by the monitoring role' END
          FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          -- pg_monitor does not cover sequences: one the role may not read is reported, not silently passed.
          CROSS JOIN LATERAL (SELECT has_sequence_privilege(c.oid, 'SELECT,USAGE') AS readable,
                                     CASE WHEN has_sequence_privilege(c.oid, 'SELECT,USAGE') THEN pg_sequence_last_value(c.oid) END AS last_value) q
         WHERE NOT pg_is_other_temp_schema(n.oid)
           AND (NOT q.readable
                OR q.last_value IS NOT NULL AND s.seqincrement > 0
                   AND (q.last_value - s.seqmin)::numeric > 0.75 * (s.seqmax - s.seqmin)::numeric)
        UNION ALL
        -- What holds the xmin horizon back for longer than @horizon_warn (the Vacuum page lists every holder).
        SELECT 'horizon', 'session ' || a.pid,
               format('%s in %s, %s for %s', coalesce(a.usename::text, '?'), coalesce(a.datname::text, '?'), a.state, date_trunc('second', now() - a.xact_start))
          FROM pg_stat_activity a
         WHERE (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL) AND a.pid <> pg_backend_pid()
           AND a.backend_type NOT IN ('walsender', 'autovacuum worker') AND now() - a.xact_start > @horizon_warn
        UNION ALL
        SELECT 'horizon', format('prepared transaction %L', p.gid),
               format('%s in %s, prepared %s ago', p.owner, p.database, date_trunc('second', now() - p.prepared))
          FROM pg_prepared_xacts p WHERE now() - p.prepared > @horizon_warn
        UNION ALL
        SELECT 'horizon', 'replication slot ' || r.slot_name, 'inactive, holds ' || concat_ws(' and ', 'xmin ' || r.xmin, 'catalog_xmin ' || r.catalog_xmin)
          FROM pg_replication_slots r WHERE NOT r.active AND (r.xmin IS NOT NULL OR r.catalog_xmin IS NOT NULL)
        UNION ALL
        -- pg_class by oid, not a name cast to regclass: that needs USAGE on the view's schema, which pg_monitor lacks.
        SELECT 'matview', format('%I.%I', n.nspname, c.relname), 'no unique index'
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'm'
           AND NOT EXISTS (SELECT 1 FROM pg_index i
                            WHERE i.indrelid = c.oid
                              AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL)
        """;

    /// <summary>Every check's key and title (what alert rules can watch), from the checks themselves.</summary>
    public static IReadOnlyList<(string Key, string Title)> Catalog { get; } =
        [.. Build(new Figures(null, null, 0, 1, 0, 0, 0, 0, 0, 1, null), []).Select(c => (c.Key, c.Title))];

    /// <summary>The checks of a monitored target (its monitoring connection).</summary>
    public Task<HealthReport> RunAsync(MonitoringTarget target, CancellationToken ct = default) => RunAsync(target.DataSource, ct);

    public async Task<HealthReport> RunAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new NpgsqlBatchCommand(FiguresSql), new NpgsqlBatchCommand(ItemsSql) { Parameters = { new("unused_min", UnusedIndexMinBytes), new("analyze_min_rows", NeverAnalyzedMinRows), new("horizon_warn", HorizonWarn) } } },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var f = new Figures(
            reader.IsDBNull(0) ? null : reader.GetDouble(0),
            reader.IsDBNull(1) ? null : reader.GetDouble(1),
            reader.GetInt64(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetDouble(5), reader.GetInt64(6), reader.GetInt64(7),
            reader.GetInt64(8), reader.GetInt64(9),
            reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTime>(10), reader.GetDouble(11), HorizonWarn);
        await reader.NextResultAsync(ct);
        var items = new List<(string Kind, string Name, string Detail)>();
        while (await reader.ReadAsync(ct)) items.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return new HealthReport(Build(f, items), f.StatsReset is { } r ? new DateTimeOffset(DateTime.SpecifyKind(r, DateTimeKind.Utc)) : null)
        {
            Figures = FiguresOf(f),
        };
    }

    /// <summary>The server-wide figures by name, as alert rules compare them (a ratio with no reads yet is absent).</summary>
    private static Dictionary<string, double> FiguresOf(Figures f)
    {
        var figures = new Dictionary<string, double>
        {
            ["connections"] = f.Connections,
            ["connections_pct"] = 100.0 * f.Connections / Math.Max(1, f.MaxConnections),
            ["idle_in_transaction"] = f.IdleInTx,
            ["idle_in_transaction_max_seconds"] = f.IdleInTxMaxSeconds,
            ["long_queries"] = f.LongQueries,
            ["blocked_sessions"] = f.Blocked,
            ["xid_age"] = f.XidAge,
            ["xid_age_pct"] = 100.0 * f.XidAge / 2_147_483_648.0,
        };
        if (f.CacheHit is { } cache) figures["cache_hit_pct"] = cache;
        if (f.IndexHit is { } index) figures["index_hit_pct"] = index;
        return figures;
    }

    private sealed record Figures(double? CacheHit, double? IndexHit, long Connections, int MaxConnections, long IdleInTx,
        double IdleInTxMaxSeconds, long LongQueries, long Blocked, long XidAge, long FreezeMaxAge, DateTime? StatsReset, double HorizonSeconds = 0, TimeSpan? HorizonWarn = null);

    private static string Pct(double? v) => v is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "no reads yet";

    private static CheckStatus Below(double? v, double warn, double fail) =>
        v is not { } x ? CheckStatus.Pass : x < fail ? CheckStatus.Fail : x < warn ? CheckStatus.Warn : CheckStatus.Pass;

    private static List<HealthCheck> Build(Figures f, List<(string Kind, string Name, string Detail)> items)
    {
        List<string> Of(string kind) => items.Where(i => i.Kind == kind).Select(i => $"{i.Name}: {i.Detail}").ToList();
        var connPct = 100.0 * f.Connections / Math.Max(1, f.MaxConnections);
        var wrapPct = 100.0 * f.XidAge / 2_147_483_648.0;
        var resetText = f.StatsReset is { } r ? $"statistics since {r:yyyy-MM-dd HH:mm} UTC" : "statistics never reset";
        var invalid = Of("invalid"); var unused = Of("unused"); var dup = Of("duplicate");
        var vacuum = Of("vacuum").Concat(Of("analyze")).ToList(); var seq = Of("sequence"); var mv = Of("matview");
        var unreadableSeq = items.Count(i => i.Kind == "sequence-unreadable");
        var horizon = Of("horizon");
        var horizonWarn = f.HorizonWarn ?? DefaultHorizonWarn;
        return
        [
            new("cache-hit", "Cache hit ratio", Below(f.CacheHit, 99, 95), Pct(f.CacheHit), "WARN < 99 %, FAIL < 95 %",
                "Share of table and index block reads served from shared buffers. Below 99 % most queries wait on disk.",
                "Raise shared_buffers (about 25 % of RAM) or add memory; look for queries reading whole large tables.", []),
            new("index-hit", "Index hit rate", Below(f.IndexHit, 99, 95), Pct(f.IndexHit), "WARN < 99 %, FAIL < 95 %",
                "Share of index block reads served from memory. Indexes that do not fit in memory make every lookup slow.",
                "Drop unused and duplicate indexes to shrink the working set; raise shared_buffers.", []),
            new("connections", "Connections", connPct >= 80 ? CheckStatus.Fail : connPct >= 70 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{f.Connections} / {f.MaxConnections} ({connPct:0} %)", "WARN ≥ 70 %, FAIL ≥ 80 % of max_connections",
                "When max_connections is reached new sessions are refused and the application fails.",
                "Use a connection pool (PgBouncer) or smaller application pools; find idle sessions in Activity.", []),
            new("idle-in-transaction", "Idle in transaction", f.IdleInTx > 0 ? (f.IdleInTxMaxSeconds > 3600 ? CheckStatus.Fail : CheckStatus.Warn) : CheckStatus.Pass,
                $"{f.IdleInTx} over 5 min", "WARN: any over 5 minutes, FAIL: over 1 hour",
                "An open transaction holds its locks and stops vacuum from removing dead rows.",
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE state = 'idle in transaction' AND now() - state_change > interval '5 minutes';\n-- and set idle_in_transaction_session_timeout", []),
            new("long-queries", "Queries over 5 minutes", f.LongQueries > 0 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{f.LongQueries}", "WARN: any query running over 5 minutes",
                "Long queries hold locks and snapshots, block DDL and deployments, and keep vacuum from cleaning up.",
                "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE state = 'active' AND now() - query_start > interval '5 minutes';", []),
            new("blocked", "Blocked queries", f.Blocked > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                $"{f.Blocked}", "FAIL: any session waiting on another's lock (pg_blocking_pids)",
                "A blocked session waits for another to commit; behind a lock queue everything touching the table stalls.",
                "SELECT pid, pg_blocking_pids(pid), query FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0;\n-- then end the blocker: SELECT pg_terminate_backend(<pid>);", []),
            new("invalid-indexes", "Invalid indexes", invalid.Count > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                $"{invalid.Count}", "FAIL: any index with indisvalid = false",
                "An invalid index (a failed CREATE INDEX CONCURRENTLY) is never used for reads but still slows every write.",
                "DROP INDEX CONCURRENTLY <name>; then create it again (REINDEX INDEX CONCURRENTLY <name> also works).", invalid),
            new("unused-indexes", "Unused indexes over 1 MB", unused.Count > 0 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{unused.Count}", $"WARN: non-unique, 0 scans, > 1 MB ({resetText})",
                "Every index costs disk, memory and time on each write; one that is never read only costs.",
                "DROP INDEX CONCURRENTLY <name>; (check replicas, which keep their own statistics, first)", unused),
            new("duplicate-indexes", "Duplicate indexes", dup.Count > 0 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{dup.Count}", "WARN: two valid indexes on the same columns, expressions and predicate",
                "A duplicate index doubles the write and memory cost and never helps a read.",
                "DROP INDEX CONCURRENTLY <the duplicate>;", dup),
            new("vacuum-analyze", "Tables needing vacuum or analyze", vacuum.Count > 0 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{vacuum.Count}", "WARN: dead tuples > 20 % and > 1000, or never analyzed with > 1000 rows",
                "Dead rows bloat tables and indexes; tables without statistics get bad query plans.",
                "VACUUM (ANALYZE) <table>; and tune autovacuum_vacuum_scale_factor for busy tables.", vacuum),
            new("sequences", "Sequences near exhaustion", seq.Count > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                unreadableSeq > 0 ? $"{seq.Count} ({unreadableSeq} not checked)" : $"{seq.Count}",
                "FAIL: over 75 % of the sequence's range used" + (unreadableSeq > 0 ? $"; {unreadableSeq} sequence(s) the monitoring role may not read are not checked" : ""),
                "When a sequence runs out, every insert into its table fails.",
                "ALTER SEQUENCE <name> AS bigint MAXVALUE 9223372036854775807; and ALTER the column to bigint." +
                (unreadableSeq > 0 ? "\n-- to check every sequence (pg_monitor does not cover them): GRANT SELECT ON ALL SEQUENCES IN SCHEMA <schema> TO <monitoring role>;" : ""),
                seq),
            new("wraparound", "Transaction id wraparound", f.XidAge > f.FreezeMaxAge * 2 || wrapPct > 50 ? CheckStatus.Fail : f.XidAge > f.FreezeMaxAge ? CheckStatus.Warn : CheckStatus.Pass,
                $"{f.XidAge:N0} ({wrapPct:0.0} % of 2^31)", $"WARN > autovacuum_freeze_max_age ({f.FreezeMaxAge:N0}), FAIL > 50 % of 2^31",
                "At 2^31 transaction ids PostgreSQL stops accepting writes to protect data; autovacuum must freeze old rows first.",
                "VACUUM (FREEZE, VERBOSE) on the oldest tables; find what blocks autovacuum (long transactions, prepared transactions, replication slots).", []),
            new("xmin-horizon", "xmin horizon held back", horizon.Count == 0 ? CheckStatus.Pass : f.HorizonSeconds > 3600 ? CheckStatus.Fail : CheckStatus.Warn,
                $"{horizon.Count}", $"WARN: a session or prepared transaction holding it over {horizonWarn.TotalMinutes:0.#} min, or an inactive slot holding xmin; FAIL: over 1 hour",
                "Vacuum may not remove any row deleted after the oldest snapshot still open: tables and indexes bloat, and freezing (wraparound) waits.",
                "Database → Vacuum lists each holder and what to do: terminate the session (Activity), COMMIT/ROLLBACK PREPARED, or drop the unused slot:\nSELECT pg_drop_replication_slot('<slot>');", horizon),
            new("matviews", "Materialized views without unique index", mv.Count > 0 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{mv.Count}", "WARN: any materialized view without a unique index",
                "REFRESH MATERIALIZED VIEW CONCURRENTLY needs a unique index; without it a refresh locks out every reader.",
                "CREATE UNIQUE INDEX CONCURRENTLY ON <view> (<key columns>);", mv),
        ];
    }
}

public sealed record HealthReport(IReadOnlyList<HealthCheck> Checks, DateTimeOffset? StatsReset)
{
    /// <summary>The figures behind the checks by name (see <see cref="AlertMetrics"/>).</summary>
    public IReadOnlyDictionary<string, double> Figures { get; init; } = new Dictionary<string, double>();

    public HealthCheck this[string key] => Checks.Single(c => c.Key == key);
}
