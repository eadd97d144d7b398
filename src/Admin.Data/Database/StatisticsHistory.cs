using Npgsql;

namespace Admin.Data.Database;

/// <summary>A time window of history and the bucket width its charts use (about 60–170 points each).</summary>
public sealed record HistoryRange(string Key, string Label, TimeSpan Span, TimeSpan Bucket)
{
    public static readonly HistoryRange Hour = new("1h", "Last hour", TimeSpan.FromHours(1), TimeSpan.FromMinutes(1));
    public static readonly HistoryRange Day = new("24h", "Last 24 hours", TimeSpan.FromHours(24), TimeSpan.FromMinutes(15));
    public static readonly HistoryRange Week = new("7d", "Last 7 days", TimeSpan.FromDays(7), TimeSpan.FromHours(1));
    public static readonly IReadOnlyList<HistoryRange> All = [Hour, Day, Week];

    public static HistoryRange Parse(string? key) => All.FirstOrDefault(r => r.Key == key) ?? Day;
}

/// <summary>One bucket of a statement's history: calls and time spent in it, and the mean per call.</summary>
public sealed record StatementPoint(DateTimeOffset At, long Calls, double TotalMs, long Rows)
{
    public double MeanMs => Calls == 0 ? 0 : TotalMs / Calls;
}

/// <summary>A table's size and tuple counts at one sample.</summary>
public sealed record TablePoint(DateTimeOffset At, long TotalBytes, long LiveTuples, long DeadTuples);

/// <summary>How much a table grew between the first and the latest sample of a window.</summary>
public sealed record TableGrowth(string Schema, string Table, long FirstBytes, long LastBytes, DateTimeOffset Since)
{
    public long GrowthBytes => LastBytes - FirstBytes;
}

/// <summary>The sampler's last run for a target (shown so a DBA knows how fresh the history is, and which instance samples).</summary>
public sealed record SamplerRun(DateTimeOffset TakenAt, string Instance, double DurationMs, int Statements, int Deltas, int Tables, string? Error);

/// <summary>Reads the sampler's history from the console's database (one query each, bucketed in SQL).</summary>
public sealed class StatisticsHistory(NpgsqlDataSource console)
{
    public async Task<IReadOnlyList<StatementPoint>> StatementAsync(string target, long queryId, HistoryRange range, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            SELECT date_bin(@bucket, taken_at, timestamptz '2000-01-01') AS at, sum(calls)::bigint, sum(total_ms), sum(rows)::bigint
              FROM monitoring_statement_deltas
             WHERE target = @target AND queryid = @queryid AND taken_at > @since
             GROUP BY 1 ORDER BY 1
            """);
        command.Parameters.AddWithValue("bucket", range.Bucket);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("queryid", queryId);
        command.Parameters.AddWithValue("since", now - range.Span);
        await using var r = await command.ExecuteReaderAsync(ct);
        var points = new List<StatementPoint>();
        while (await r.ReadAsync(ct))
            points.Add(new StatementPoint(r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1), r.GetDouble(2), r.GetInt64(3)));
        return points;
    }

    /// <summary>The statement's normalised text as last sampled (it may have left pg_stat_statements since).</summary>
    public async Task<string?> StatementTextAsync(string target, long queryId, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("SELECT query FROM monitoring_statements WHERE target = @target AND queryid = @queryid");
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("queryid", queryId);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Sampled texts of the given statements (what the slow-queries list shows without reading them all again).</summary>
    public async Task<IReadOnlyDictionary<long, string>> StatementTextsAsync(string target, IReadOnlyCollection<long> queryIds, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("SELECT queryid, query FROM monitoring_statements WHERE target = @target AND queryid = ANY(@ids)");
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("ids", queryIds.ToArray());
        await using var r = await command.ExecuteReaderAsync(ct);
        var texts = new Dictionary<long, string>();
        while (await r.ReadAsync(ct)) texts[r.GetInt64(0)] = r.GetString(1);
        return texts;
    }

    public async Task<IReadOnlyList<TablePoint>> TableAsync(string target, string schema, string table, HistoryRange range, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            SELECT taken_at, total_bytes, live_tuples, dead_tuples FROM monitoring_table_samples
             WHERE target = @target AND schema_name = @schema AND table_name = @table AND taken_at > @since
             ORDER BY taken_at
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("schema", schema);
        command.Parameters.AddWithValue("table", table);
        command.Parameters.AddWithValue("since", now - range.Span);
        await using var r = await command.ExecuteReaderAsync(ct);
        var points = new List<TablePoint>();
        while (await r.ReadAsync(ct))
            points.Add(new TablePoint(r.GetFieldValue<DateTimeOffset>(0), r.GetInt64(1), r.GetInt64(2), r.GetInt64(3)));
        return points;
    }

    /// <summary>Per table, its size at the first and at the latest sample since <paramref name="since"/>.</summary>
    public async Task<IReadOnlyDictionary<string, TableGrowth>> GrowthAsync(string target, DateTimeOffset since, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            SELECT f.schema_name, f.table_name, f.total_bytes, l.total_bytes, f.taken_at
              FROM (SELECT DISTINCT ON (schema_name, table_name) schema_name, table_name, total_bytes, taken_at
                      FROM monitoring_table_samples WHERE target = @target AND taken_at > @since
                     ORDER BY schema_name, table_name, taken_at) f
              JOIN (SELECT DISTINCT ON (schema_name, table_name) schema_name, table_name, total_bytes, taken_at
                      FROM monitoring_table_samples WHERE target = @target AND taken_at > @since
                     ORDER BY schema_name, table_name, taken_at DESC) l USING (schema_name, table_name)
             WHERE l.taken_at > f.taken_at
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("since", since);
        await using var r = await command.ExecuteReaderAsync(ct);
        var growth = new Dictionary<string, TableGrowth>();
        while (await r.ReadAsync(ct))
        {
            var g = new TableGrowth(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetFieldValue<DateTimeOffset>(4));
            growth[$"{g.Schema}.{g.Table}"] = g;
        }
        return growth;
    }

    public async Task<SamplerRun?> LastRunAsync(string target, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            SELECT taken_at, instance, duration_ms, statements, deltas, tables, error FROM monitoring_sampler_runs
             WHERE target = @target ORDER BY taken_at DESC LIMIT 1
            """);
        command.Parameters.AddWithValue("target", target);
        await using var r = await command.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct)
            ? new SamplerRun(r.GetFieldValue<DateTimeOffset>(0), r.GetString(1), r.GetDouble(2), r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6))
            : null;
    }
}
