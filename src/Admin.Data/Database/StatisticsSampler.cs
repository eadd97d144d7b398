using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Database;

/// <summary>What one sampler run of one target did.</summary>
public sealed record SampleResult(string Target, DateTimeOffset TakenAt, int Statements, int Deltas, int Tables, double DurationMs, string? Error);

/// <summary>
/// Stores what changed in a target's statistics since the previous sample: per-statement deltas of
/// pg_stat_statements (calls, time, rows, blocks; a counter that went down means the statistics were reset, so the
/// whole current figure is the delta) and, at most every <c>tableInterval</c>, each table's size and tuple counts.
/// The target is read with its monitoring connection; the history is written to the console's database in one
/// transaction (binary COPY into a temporary table, then set-based delta and upsert statements), so a run costs a few
/// round trips whatever the number of statements.
/// </summary>
public sealed class StatisticsSampler(NpgsqlDataSource console, string instance)
{
    private const string ReadStatements = """
        SELECT queryid, min(query), sum(calls)::bigint, sum(total_exec_time), sum(rows)::bigint,
               sum(shared_blks_hit)::bigint, sum(shared_blks_read)::bigint
          FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND queryid IS NOT NULL
         GROUP BY queryid
        """;

    public async Task<SampleResult> SampleAsync(MonitoringTarget target, DateTimeOffset takenAt, TimeSpan tableInterval, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        int statements = 0, deltas = 0, tables = 0;
        string? error = null;
        try
        {
            var current = await ReadStatementsAsync(target.DataSource, ct);
            var tablesDue = await DueForTablesAsync(target.Name, takenAt, tableInterval, ct);
            var tableStats = tablesDue ? await TableStats.LoadAsync(target.DataSource, ct) : null;
            var indexScans = tablesDue ? await ReadIndexScansAsync(target.DataSource, ct) : null;

            await using var connection = await console.OpenConnectionAsync(ct);
            await using var tx = await connection.BeginTransactionAsync(ct);
            if (current is not null)
            {
                statements = current.Count;
                deltas = await StoreStatementsAsync(connection, target.Name, takenAt, current, ct);
            }
            await RollUpAsync(connection, target.Name, takenAt, ct);
            if (tableStats is not null)
                tables = await StoreTablesAsync(connection, target.Name, takenAt, tableStats, ct);
            if (indexScans is not null)
                await StoreIndexesAsync(connection, target.Name, takenAt, indexScans, ct);
            await tx.CommitAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            error = e.Message;
        }
        if (error is null && target.Name == MonitoringTarget.ConsoleTargetName) await CapturePlansAsync(target.Name, ct);
        var result = new SampleResult(target.Name, takenAt, statements, deltas, tables, clock.Elapsed.TotalMilliseconds, error);
        await RecordRunAsync(result, ct);
        return result;
    }

    /// <summary>
    /// Plans auto_explain logged since the last run (PlanCapture). A server without auto_explain, jsonlog or the reading
    /// function captures nothing and the statement page says why; that never fails the sample.
    /// </summary>
    private async Task CapturePlansAsync(string target, CancellationToken ct)
    {
        try
        {
            await new PlanCapture(console).CaptureAsync(target, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Rolls up the target's statement deltas into every level (RollupLevel.All) whose slots ended by <paramref name="now"/>.</summary>
    public async Task RollUpAsync(string target, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await console.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await RollUpAsync(connection, target, now, ct);
        await tx.CommitAsync(ct);
    }

    // Each level is rolled up from the one below once its slots have ended (10 minutes from the deltas, hours from the
    // 10-minute slots, 6 hours from the hours, days from the 6-hour blocks, RollupLevel.All): each row is written once
    // (no row of the current slot updated every minute), and monitoring_rollup_marks says up to where. A target's first
    // roll-up starts at the slot of its oldest delta. Idempotent (rows already there are kept), and a run after a gap
    // catches up every slot that ended meanwhile.
    private const string Origin = "timestamptz '2000-01-01 00:00+00'";

    private static readonly string RollUpSql = BuildRollUp();

    private static string BuildRollUp()
    {
        var levels = RollupLevel.All;
        var sql = new System.Text.StringBuilder($"""
            INSERT INTO monitoring_rollup_marks (target, {string.Join(", ", levels.Select(l => l.Mark))})
            SELECT @target, {string.Join(", ", levels.Select(l => $"date_bin('{l.Interval}', t, {Origin})"))}
              FROM (SELECT date_bin('{levels[0].Interval}', coalesce(min(taken_at), @slot), {Origin}) AS t
                      FROM monitoring_statement_deltas WHERE target = @target) x
             WHERE NOT EXISTS (SELECT 1 FROM monitoring_rollup_marks WHERE target = @target)
            ON CONFLICT (target) DO NOTHING;

            """);
        for (var k = 0; k < levels.Count; k++)
        {
            var level = levels[k];
            var (source, column) = k == 0 ? ("monitoring_statement_deltas", "taken_at") : (levels[k - 1].Table, levels[k - 1].Column);
            // Up to where the level below is complete: the current slot's start for the first, the level below's mark on
            // this level's boundaries for the others.
            // The first level takes at most CatchUpHours of deltas per round (RollUpAsync repeats rounds until caught up),
            // so a target back after days without a roll-up is caught up in bounded statements, not one that times out.
            var limit = k == 0
                ? $"least(@slot, m.{level.Mark} + interval '{CatchUpHours} hours')"
                : $"date_bin('{level.Interval}', m.{levels[k - 1].Mark}, {Origin})";
            sql.Append($"""
                INSERT INTO {level.Table} (target, {level.Column}, queryid, calls, total_ms, rows, blks_hit, blks_read)
                SELECT @target, date_bin('{level.Interval}', s.{column}, {Origin}), s.queryid,
                       sum(s.calls), sum(s.total_ms), sum(s.rows), sum(s.blks_hit), sum(s.blks_read)
                  FROM monitoring_rollup_marks m
                  JOIN {source} s ON s.target = m.target AND s.{column} >= m.{level.Mark} AND s.{column} < {limit}
                 WHERE m.target = @target AND m.{level.Mark} < {limit}
                 GROUP BY 2, 3
                ON CONFLICT (target, {level.Column}, queryid) DO NOTHING;
                UPDATE monitoring_rollup_marks m SET {level.Mark} = {limit} WHERE m.target = @target AND m.{level.Mark} < {limit};

                """);
        }
        // Whether another round is due (the first level's mark is still behind the current slot).
        sql.Append($"SELECT {levels[0].Mark} < @slot FROM monitoring_rollup_marks WHERE target = @target;");
        return sql.ToString();
    }

    /// <summary>The most deltas one round rolls up, in hours (a multiple of every level's slot below a day).</summary>
    private const int CatchUpHours = 6;

    private static async Task RollUpAsync(NpgsqlConnection connection, string target, DateTimeOffset now, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(RollUpSql, connection);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("slot", TimeWindow.Floor(now, RollupLevel.All[0].Unit));
        while (await command.ExecuteScalarAsync(ct) is true)
        {
        }
    }

    /// <summary>Deletes history older than the retention; returns the number of rows removed.</summary>
    public async Task<long> PruneAsync(DateTimeOffset olderThan, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            WITH d AS (DELETE FROM monitoring_statement_deltas WHERE taken_at < @cutoff RETURNING 1),
                 t AS (DELETE FROM monitoring_table_samples WHERE taken_at < @cutoff RETURNING 1),
                 i AS (DELETE FROM monitoring_index_samples WHERE taken_at < @cutoff RETURNING 1),
                 r AS (DELETE FROM monitoring_sampler_runs WHERE taken_at < @cutoff RETURNING 1),
                 s AS (DELETE FROM monitoring_statements WHERE last_seen < @cutoff RETURNING 1),
                 -- A rollup goes with the last of its deltas: an hour or a day that ends before the cutoff.
                 e AS (DELETE FROM monitoring_statement_tens WHERE slot < @cutoff - interval '10 minutes' RETURNING 1),
                 h AS (DELETE FROM monitoring_statement_hours WHERE hour < @cutoff - interval '1 hour' RETURNING 1),
                 q AS (DELETE FROM monitoring_statement_quarters WHERE quarter < @cutoff - interval '6 hours' RETURNING 1),
                 -- (the marks stay: everything before them stays rolled up or deleted)
                 y AS (DELETE FROM monitoring_statement_days WHERE day < @cutoff - interval '1 day' RETURNING 1),
                 p AS (DELETE FROM monitoring_captured_plans WHERE logged_at < @cutoff RETURNING 1)
            SELECT (SELECT count(*) FROM d) + (SELECT count(*) FROM t) + (SELECT count(*) FROM i) + (SELECT count(*) FROM r)
                 + (SELECT count(*) FROM s) + (SELECT count(*) FROM e) + (SELECT count(*) FROM h) + (SELECT count(*) FROM q)
                 + (SELECT count(*) FROM y) + (SELECT count(*) FROM p)
            """);
        command.Parameters.AddWithValue("cutoff", olderThan);
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private sealed record Cumulative(long QueryId, string Query, long Calls, double TotalMs, long Rows, long BlocksHit, long BlocksRead);

    /// <summary>The target's statements, or null when it has no pg_stat_statements (tables are still sampled).</summary>
    private static async Task<List<Cumulative>?> ReadStatementsAsync(NpgsqlDataSource target, CancellationToken ct)
    {
        await using var connection = await target.OpenConnectionAsync(ct);
        await using (var check = new NpgsqlCommand("SELECT to_regclass('pg_stat_statements') IS NOT NULL", connection))
            if (!(bool)(await check.ExecuteScalarAsync(ct))!) return null;
        await using var command = new NpgsqlCommand(ReadStatements, connection);
        try
        {
            await using var r = await command.ExecuteReaderAsync(ct);
            var rows = new List<Cumulative>();
            while (await r.ReadAsync(ct))
                rows.Add(new Cumulative(r.GetInt64(0), r.GetString(1), r.GetInt64(2), r.GetDouble(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6)));
            return rows;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectNotInPrerequisiteState)
        {
            return null; // extension created but not preloaded
        }
    }

    private async Task<bool> DueForTablesAsync(string target, DateTimeOffset takenAt, TimeSpan interval, CancellationToken ct)
    {
        await using var command = console.CreateCommand(
            "SELECT NOT EXISTS (SELECT 1 FROM monitoring_table_samples WHERE target = @target AND taken_at > @since)");
        command.Parameters.AddWithValue("target", target);
        // A little slack so a run a second early does not skip a whole interval.
        command.Parameters.AddWithValue("since", takenAt - interval + TimeSpan.FromSeconds(5));
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    private static async Task<int> StoreStatementsAsync(NpgsqlConnection connection, string target, DateTimeOffset takenAt, List<Cumulative> current, CancellationToken ct)
    {
        await using (var create = new NpgsqlCommand("""
            CREATE TEMP TABLE sample_statements (queryid bigint PRIMARY KEY, query text, calls bigint, total_ms float8,
                rows bigint, blks_hit bigint, blks_read bigint) ON COMMIT DROP
            """, connection))
            await create.ExecuteNonQueryAsync(ct);
        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY sample_statements (queryid, query, calls, total_ms, rows, blks_hit, blks_read) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var s in current)
            {
                await import.StartRowAsync(ct);
                await import.WriteAsync(s.QueryId, NpgsqlDbType.Bigint, ct);
                await import.WriteAsync(s.Query, NpgsqlDbType.Text, ct);
                await import.WriteAsync(s.Calls, NpgsqlDbType.Bigint, ct);
                await import.WriteAsync(s.TotalMs, NpgsqlDbType.Double, ct);
                await import.WriteAsync(s.Rows, NpgsqlDbType.Bigint, ct);
                await import.WriteAsync(s.BlocksHit, NpgsqlDbType.Bigint, ct);
                await import.WriteAsync(s.BlocksRead, NpgsqlDbType.Bigint, ct);
            }
            await import.CompleteAsync(ct);
        }
        // A first sight of a statement has no previous figure: it only becomes the baseline (its calls happened at
        // some unknown time before). A counter below the previous one means a reset: everything since is the delta.
        await using var command = new NpgsqlCommand("""
            WITH d AS (
                INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
                SELECT @target, c.queryid, @taken_at,
                       CASE WHEN c.calls < p.calls THEN c.calls ELSE c.calls - p.calls END,
                       CASE WHEN c.calls < p.calls THEN c.total_ms ELSE greatest(c.total_ms - p.total_ms, 0) END,
                       CASE WHEN c.calls < p.calls THEN c.rows ELSE greatest(c.rows - p.rows, 0) END,
                       CASE WHEN c.calls < p.calls THEN c.blks_hit ELSE greatest(c.blks_hit - p.blks_hit, 0) END,
                       CASE WHEN c.calls < p.calls THEN c.blks_read ELSE greatest(c.blks_read - p.blks_read, 0) END
                  FROM sample_statements c
                  JOIN monitoring_statements p ON p.target = @target AND p.queryid = c.queryid
                 WHERE c.calls <> p.calls AND c.calls > 0
                ON CONFLICT (target, queryid, taken_at) DO NOTHING
                RETURNING 1)
            SELECT count(*)::int FROM d;
            INSERT INTO monitoring_statements AS m (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
            SELECT @target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, @taken_at, @taken_at FROM sample_statements
            ON CONFLICT (target, queryid) DO UPDATE
               SET calls = excluded.calls, total_ms = excluded.total_ms, rows = excluded.rows, blks_hit = excluded.blks_hit,
                   blks_read = excluded.blks_read, last_seen = excluded.last_seen,
                   query = CASE WHEN m.query = excluded.query THEN m.query ELSE excluded.query END
             WHERE m.calls IS DISTINCT FROM excluded.calls OR m.last_seen < excluded.last_seen - interval '1 hour';
            """, connection);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("taken_at", takenAt);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    // A running total of a counter that survives a reset: the previous total plus what the counter gained, or plus the
    // whole counter after a reset; 0 at the first sample (or the first since the counter is recorded). A reset is
    // <paramref name="reset"/>: by default this counter went down; counters reset together (one statistics entry) pass
    // "any of them went down", so a counter that had climbed past its old figure again is not taken for a gain.
    private static string RunningTotal(string counter, string previous, string? reset = null) => $"""
        CASE WHEN {previous}.{counter}_total IS NULL THEN 0
             WHEN {reset ?? $"u.{counter} < {previous}.{counter}"} THEN {previous}.{counter}_total + u.{counter}
             ELSE {previous}.{counter}_total + u.{counter} - {previous}.{counter} END
        """;

    /// <summary>"Any of these counters went down since the previous sample" (a counter not recorded then counts as not).</summary>
    private static string AnyWentDown(string previous, params string[] counters) =>
        "(" + string.Join(" OR ", counters.Select(c => $"coalesce(u.{c} < {previous}.{c}, false)")) + ")";

    private sealed record IndexScans(string Schema, string Table, string Index, long Scans, long TuplesRead, long TuplesFetched);

    private static async Task<List<IndexScans>> ReadIndexScansAsync(NpgsqlDataSource target, CancellationToken ct)
    {
        await using var command = target.CreateCommand("""
            SELECT schemaname::text, relname::text, indexrelname::text, coalesce(idx_scan, 0), coalesce(idx_tup_read, 0), coalesce(idx_tup_fetch, 0)
              FROM pg_stat_user_indexes
            """);
        await using var r = await command.ExecuteReaderAsync(ct);
        var rows = new List<IndexScans>();
        while (await r.ReadAsync(ct))
            rows.Add(new IndexScans(r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5)));
        return rows;
    }

    // An index's three counters are one statistics entry, reset together.
    private static readonly string IndexReset = AnyWentDown("p", "idx_scan", "idx_tup_read", "idx_tup_fetch");

    // A table's sequential scans and row counts are one entry (its idx_scan is the sum of its indexes' own, reset apart).
    private static readonly string TableReset = AnyWentDown("p", "seq_scan", "n_tup_ins", "n_tup_upd", "n_tup_del");

    private static async Task StoreIndexesAsync(NpgsqlConnection connection, string target, DateTimeOffset takenAt, List<IndexScans> indexes, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO monitoring_index_samples (target, schema_name, table_name, index_name, taken_at, idx_scan, idx_scan_total,
                                                  idx_tup_read, idx_tup_fetch, idx_tup_read_total, idx_tup_fetch_total)
            SELECT @target, u.s, u.t, u.i, @taken_at, u.idx_scan, {RunningTotal("idx_scan", "p", IndexReset)},
                   u.idx_tup_read, u.idx_tup_fetch, {RunningTotal("idx_tup_read", "p", IndexReset)}, {RunningTotal("idx_tup_fetch", "p", IndexReset)}
              FROM unnest(@schemas, @tables, @indexes, @scans, @read, @fetched) AS u(s, t, i, idx_scan, idx_tup_read, idx_tup_fetch)
              LEFT JOIN LATERAL (SELECT idx_scan, idx_scan_total, idx_tup_read, idx_tup_fetch, idx_tup_read_total, idx_tup_fetch_total
                                   FROM monitoring_index_samples
                                  WHERE target = @target AND schema_name = u.s AND index_name = u.i AND taken_at < @taken_at
                                  ORDER BY taken_at DESC LIMIT 1) p ON true
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("taken_at", takenAt);
        command.Parameters.AddWithValue("schemas", indexes.Select(i => i.Schema).ToArray());
        command.Parameters.AddWithValue("tables", indexes.Select(i => i.Table).ToArray());
        command.Parameters.AddWithValue("indexes", indexes.Select(i => i.Index).ToArray());
        command.Parameters.AddWithValue("scans", indexes.Select(i => i.Scans).ToArray());
        command.Parameters.AddWithValue("read", indexes.Select(i => i.TuplesRead).ToArray());
        command.Parameters.AddWithValue("fetched", indexes.Select(i => i.TuplesFetched).ToArray());
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<int> StoreTablesAsync(NpgsqlConnection connection, string target, DateTimeOffset takenAt, IReadOnlyList<TableStat> tables, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand($"""
            INSERT INTO monitoring_table_samples (target, schema_name, table_name, taken_at, total_bytes, live_tuples, dead_tuples,
                                                  seq_scan, idx_scan, seq_scan_total, idx_scan_total,
                                                  n_tup_ins, n_tup_upd, n_tup_del, n_tup_ins_total, n_tup_upd_total, n_tup_del_total)
            SELECT @target, u.s, u.t, @taken_at, u.b, u.l, u.d, u.seq_scan, u.idx_scan,
                   {RunningTotal("seq_scan", "p", TableReset)}, {RunningTotal("idx_scan", "p")},
                   u.n_tup_ins, u.n_tup_upd, u.n_tup_del,
                   {RunningTotal("n_tup_ins", "p", TableReset)}, {RunningTotal("n_tup_upd", "p", TableReset)}, {RunningTotal("n_tup_del", "p", TableReset)}
              FROM unnest(@schemas, @names, @bytes, @live, @dead, @seq, @idx, @ins, @upd, @del)
                   AS u(s, t, b, l, d, seq_scan, idx_scan, n_tup_ins, n_tup_upd, n_tup_del)
              LEFT JOIN LATERAL (SELECT seq_scan, idx_scan, seq_scan_total, idx_scan_total, n_tup_ins, n_tup_upd, n_tup_del,
                                        n_tup_ins_total, n_tup_upd_total, n_tup_del_total
                                   FROM monitoring_table_samples
                                  WHERE target = @target AND schema_name = u.s AND table_name = u.t AND taken_at < @taken_at
                                  ORDER BY taken_at DESC LIMIT 1) p ON true
            ON CONFLICT DO NOTHING
            """, connection);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("taken_at", takenAt);
        command.Parameters.AddWithValue("schemas", tables.Select(t => t.Schema).ToArray());
        command.Parameters.AddWithValue("names", tables.Select(t => t.Name).ToArray());
        command.Parameters.AddWithValue("bytes", tables.Select(t => t.TotalBytes).ToArray());
        command.Parameters.AddWithValue("live", tables.Select(t => t.LiveTuples).ToArray());
        command.Parameters.AddWithValue("dead", tables.Select(t => t.DeadTuples).ToArray());
        command.Parameters.AddWithValue("seq", tables.Select(t => t.SeqScans).ToArray());
        command.Parameters.AddWithValue("idx", tables.Select(t => t.IndexScans ?? 0).ToArray());
        command.Parameters.AddWithValue("ins", tables.Select(t => t.Inserts).ToArray());
        command.Parameters.AddWithValue("upd", tables.Select(t => t.Updates).ToArray());
        command.Parameters.AddWithValue("del", tables.Select(t => t.Deletes).ToArray());
        return await command.ExecuteNonQueryAsync(ct);
    }

    private async Task RecordRunAsync(SampleResult result, CancellationToken ct)
    {
        try
        {
            await using var command = console.CreateCommand("""
                INSERT INTO monitoring_sampler_runs (target, taken_at, instance, duration_ms, statements, deltas, tables, error)
                VALUES (@target, @taken_at, @instance, @duration, @statements, @deltas, @tables, @error);
                SELECT live_notify('database', @target, 'sampled', NULL);
                """);
            command.Parameters.AddWithValue("target", result.Target);
            command.Parameters.AddWithValue("taken_at", result.TakenAt);
            command.Parameters.AddWithValue("instance", instance);
            command.Parameters.AddWithValue("duration", result.DurationMs);
            command.Parameters.AddWithValue("statements", result.Statements);
            command.Parameters.AddWithValue("deltas", result.Deltas);
            command.Parameters.AddWithValue("tables", result.Tables);
            command.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)result.Error ?? DBNull.Value });
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (NpgsqlException) when (result.Error is not null)
        {
            // The console's own database is the one failing: the caller logs the sample's error.
        }
    }
}
