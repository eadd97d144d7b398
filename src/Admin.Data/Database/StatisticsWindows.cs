using Admin.Data.Infrastructure;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Database;

/// <summary>A time window of the sampled history: samples taken at or after <see cref="From"/> and before <see cref="To"/>.</summary>
public sealed record TimeWindow(DateTimeOffset From, DateTimeOffset To)
{
    public TimeSpan Length => To - From;

    /// <summary>
    /// Where a window reads each part from: for each rollup level of <see cref="RollupLevel.All"/> (finest first) the
    /// span [Start, End) it covers, nested (each level's span inside the finer one's, on its own unit's boundaries). A
    /// level reads its span minus the next coarser one's (two ranges, one at each edge), the coarsest its whole span,
    /// the deltas the window minus the finest level's span. A level exists only before its mark in
    /// <paramref name="until"/> (one per level); a level with nothing to read collapses to an empty span at the finer
    /// level's end, and so do the coarser ones.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> Levels(IReadOnlyList<DateTimeOffset> until)
    {
        var spans = new (DateTimeOffset Start, DateTimeOffset End)[RollupLevel.All.Count];
        var end = To;
        var collapsed = false;
        for (var k = 0; k < spans.Length; k++)
        {
            var unit = RollupLevel.All[k].Unit;
            var s = Ceil(From, unit);
            var e = Floor(Min(Min(To, until[k]), end), unit);
            if (collapsed || s >= e)
            {
                collapsed = true;
                spans[k] = (end, end);
                continue;
            }
            spans[k] = (s, e);
            end = e;
        }
        return spans;
    }

    public static DateTimeOffset FloorHour(DateTimeOffset t) => Floor(t, TimeSpan.FromHours(1));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal static DateTimeOffset Floor(DateTimeOffset t, TimeSpan unit)
    {
        var ticks = t.UtcTicks;
        return new DateTimeOffset(ticks - ticks % unit.Ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset Ceil(DateTimeOffset t, TimeSpan unit)
    {
        var floor = Floor(t, unit);
        return floor.UtcTicks == t.UtcTicks ? floor : floor + unit;
    }
}

/// <summary>
/// A level of the statement rollups: its table, time column, slot length and column of monitoring_rollup_marks (slots
/// before the mark are written). Each is written from the one before it (the first from the deltas) once a slot has
/// ended.
/// </summary>
public sealed record RollupLevel(string Table, string Column, TimeSpan Unit, string Interval, string Mark)
{
    public static readonly IReadOnlyList<RollupLevel> All =
    [
        new("monitoring_statement_tens", "slot", TimeSpan.FromMinutes(10), "10 minutes", "tens_until"),
        new("monitoring_statement_hours", "hour", TimeSpan.FromHours(1), "1 hour", "hours_until"),
        new("monitoring_statement_quarters", "quarter", TimeSpan.FromHours(6), "6 hours", "quarters_until"),
        new("monitoring_statement_days", "day", TimeSpan.FromDays(1), "1 day", "days_until"),
    ];
}

/// <summary>What the sampler has for a target: its first and last successful run, and how many runs fell in the window.</summary>
public sealed record SamplerCoverage(DateTimeOffset? First, DateTimeOffset? Last, int SamplesInWindow)
{
    /// <summary>The window starts before the first sample (nothing is known of the part before).</summary>
    public bool StartsBefore(TimeWindow w) => First is null || w.From < First;

    /// <summary>The window ends after the last sample (the sampler stopped, or the window reaches into the future).</summary>
    public bool EndsAfter(TimeWindow w, TimeSpan slack) => Last is null || w.To > Last + slack;
}

/// <summary>What one statement did in a window (sums of the sampled deltas).</summary>
public sealed record WindowStatement(long QueryId, string Query, long Calls, double TotalMs, long Rows, long BlocksHit, long BlocksRead, double ShareOfTotal)
{
    public double MeanMs => Calls == 0 ? 0 : TotalMs / Calls;

    public double? HitRate => BlocksHit + BlocksRead == 0 ? null : 100.0 * BlocksHit / (BlocksHit + BlocksRead);
}

public sealed record WindowReport(TimeWindow Window, IReadOnlyList<WindowStatement> Statements, int TotalStatements, double TotalMs, long TotalCalls, SamplerCoverage Coverage);

/// <summary>How a comparison is ordered: the change of mean time, of calls (per minute) or of total time, in ms or %.</summary>
public enum ChangeSort { Total = 0, Mean = 1, MeanPercent = 2, Calls = 3, CallsPercent = 4 }

public enum ChangeKind { Both, New, Gone }

/// <summary>
/// One statement in two windows. Calls and total time of the "before" window are scaled to the "after" window's length
/// for the change (the same figures when both windows are as long); mean time needs no scaling.
/// </summary>
public sealed record StatementChange(
    long QueryId, string Query, long BeforeCalls, double BeforeTotalMs, long AfterCalls, double AfterTotalMs, double Scale)
{
    public ChangeKind Kind => BeforeCalls == 0 ? ChangeKind.New : AfterCalls == 0 ? ChangeKind.Gone : ChangeKind.Both;
    public double BeforeMeanMs => BeforeCalls == 0 ? 0 : BeforeTotalMs / BeforeCalls;
    public double AfterMeanMs => AfterCalls == 0 ? 0 : AfterTotalMs / AfterCalls;
    public double MeanChangeMs => AfterMeanMs - BeforeMeanMs;
    public double? MeanChangePercent => Kind == ChangeKind.Both && BeforeMeanMs > 0 ? 100 * MeanChangeMs / BeforeMeanMs : null;
    public double CallsChange => AfterCalls - BeforeCalls * Scale;
    public double? CallsChangePercent => Kind == ChangeKind.Both ? 100 * CallsChange / (BeforeCalls * Scale) : null;
    public double TotalChangeMs => AfterTotalMs - BeforeTotalMs * Scale;
}

public sealed record ComparisonReport(
    TimeWindow Before, TimeWindow After, IReadOnlyList<StatementChange> Statements, int TotalStatements, int NewStatements,
    int GoneStatements, SamplerCoverage BeforeCoverage, SamplerCoverage AfterCoverage);

/// <summary>
/// A table over a window: size and rows at the sample before the window (or its first sample, when there is none
/// before) and at its last sample, and what the samples in the window counted: scans and rows inserted, updated and
/// deleted (null: not recorded for the table yet).
/// </summary>
public sealed record TableWindowStat(
    string Schema, string Table, long? FirstBytes, long? LastBytes, long? FirstRows, long? LastRows, long? SeqScans, long? IndexScans,
    long? Inserts = null, long? Updates = null, long? Deletes = null)
{
    public string QualifiedName => $"{Schema}.{Table}";
    public long? GrowthBytes => LastBytes - (FirstBytes ?? 0);
    public long? GrowthRows => LastRows - (FirstRows ?? 0);

    public long? Figure(TableFigure figure) => figure switch
    {
        TableFigure.Growth => GrowthBytes,
        TableFigure.SeqScans => SeqScans,
        TableFigure.IndexScans => IndexScans,
        TableFigure.Inserts => Inserts,
        TableFigure.Updates => Updates,
        _ => Deletes,
    };
}

/// <summary>
/// An index over a window: the scans and the tuples they read and fetched in the samples of the window (null: not
/// recorded for the index yet; <see cref="Dropped"/>: not in the window's last sample, <see cref="New"/>: not in the
/// sample before the window).
/// </summary>
public sealed record IndexWindowStat(string Schema, string Table, string Index, long? Scans, long? TuplesRead = null, long? TuplesFetched = null,
    bool New = false, bool Dropped = false)
{
    /// <summary>Sampled at the window's end and never scanned in it.</summary>
    public bool UnusedInWindow => !Dropped && Scans == 0;
}

public sealed record TableWindowReport(
    TimeWindow Window, DateTimeOffset? FirstSample, DateTimeOffset? LastSample, IReadOnlyList<TableWindowStat> Tables,
    IReadOnlyList<IndexWindowStat> Indexes, SamplerCoverage Coverage);

/// <summary>A figure of the tables' comparison.</summary>
public enum TableFigure { Growth = 0, SeqScans = 1, IndexScans = 2, Inserts = 3, Updates = 4, Deletes = 5 }

/// <summary>
/// One table in two windows (either may be missing: the table was not sampled in it). The "before" figures are scaled
/// to the "after" window's length for the change, as for statements.
/// </summary>
public sealed record TableChange(string Schema, string Table, TableWindowStat? Before, TableWindowStat? After, double Scale)
{
    public string QualifiedName => $"{Schema}.{Table}";

    /// <summary>
    /// After minus the scaled before; a table missing from one window counts 0 there (new or gone), a figure not
    /// measured in a window where the table was sampled gives no change.
    /// </summary>
    public double? Change(TableFigure figure)
    {
        double? before = Before is null ? 0 : Before.Figure(figure);
        double? after = After is null ? 0 : After.Figure(figure);
        return Before is null && After is null ? null : after - before * Scale;
    }

    /// <summary>The change in % of the scaled "before" figure; null when that is 0 or unknown.</summary>
    public double? ChangePercent(TableFigure figure) =>
        Before?.Figure(figure) is { } b && b != 0 && After?.Figure(figure) is { } a ? 100 * (a - b * Scale) / Math.Abs(b * Scale) : null;
}

public sealed record TableComparisonReport(TableWindowReport Before, TableWindowReport After, IReadOnlyList<TableChange> Tables);

/// <summary>
/// The sampled history over any window: the statements' figures summed from the deltas (whole days and hours from the
/// rollups the sampler writes once they have ended, the rest from the deltas), two windows side by side, and the
/// tables' growth, scans and row changes and the indexes' use over a window, alone or against another (running totals
/// that survive a reset, read at the sample before the window and at its last).
/// </summary>
public sealed class StatisticsWindows(NpgsqlDataSource console)
{
    public const int MaxTop = 500;

    private const string Columns = "queryid, calls, total_ms, rows, blks_hit, blks_read";

    /// <summary>
    /// The statement rows of a window from every level (<see cref="TimeWindow.Levels"/>), with parameters named after
    /// <paramref name="p"/>: @{p}from and @{p}to, and each level's span @{p}s{k} to @{p}e{k}.
    /// </summary>
    private static string WindowRows(string p)
    {
        string Range(string table, string column, string from, string to) =>
            $"SELECT {Columns} FROM {table} WHERE target = @target AND {column} >= @{p}{from} AND {column} < @{p}{to}";
        var parts = new List<string>
        {
            Range("monitoring_statement_deltas", "taken_at", "from", "s0"),
            Range("monitoring_statement_deltas", "taken_at", "e0", "to"),
        };
        var levels = RollupLevel.All;
        for (var k = 0; k < levels.Count; k++)
        {
            if (k == levels.Count - 1)
            {
                parts.Add(Range(levels[k].Table, levels[k].Column, $"s{k}", $"e{k}"));
                continue;
            }
            parts.Add(Range(levels[k].Table, levels[k].Column, $"s{k}", $"s{k + 1}"));
            parts.Add(Range(levels[k].Table, levels[k].Column, $"e{k + 1}", $"e{k}"));
        }
        return string.Join("\nUNION ALL\n", parts);
    }

    // Counts are summed as float8: sum(bigint) accumulates in numeric/int128, whose partial states make a parallel
    // aggregate of ~80,000 rows a third slower; float8 is exact up to 2^53, far beyond any count here.
    private static string Summed(string p) => $"""
        SELECT queryid, sum(calls::float8)::bigint AS calls, sum(total_ms) AS total_ms, sum(rows::float8)::bigint AS rows,
               sum(blks_hit::float8)::bigint AS blks_hit, sum(blks_read::float8)::bigint AS blks_read
          FROM ({WindowRows(p)}) x GROUP BY queryid
        """;

    private static void AddWindow(NpgsqlParameterCollection parameters, string p, TimeWindow w, IReadOnlyList<DateTimeOffset> marks)
    {
        var spans = w.Levels(marks);
        parameters.AddWithValue(p + "from", w.From);
        parameters.AddWithValue(p + "to", w.To);
        for (var k = 0; k < spans.Count; k++)
        {
            parameters.AddWithValue($"{p}s{k}", spans[k].Start);
            parameters.AddWithValue($"{p}e{k}", spans[k].End);
        }
    }

    private static void AddSearch(NpgsqlParameterCollection parameters, string? search) =>
        parameters.Add(new NpgsqlParameter("search", NpgsqlDbType.Text)
        {
            Value = string.IsNullOrWhiteSpace(search) ? DBNull.Value : LikePattern.Escape(search.Trim()),
        });

    private const string SearchFilter = """
        (@search::text IS NULL OR EXISTS (SELECT 1 FROM monitoring_statements m
                                      WHERE m.target = @target AND m.queryid = w.queryid AND m.query ILIKE '%' || @search || '%'))
        """;

    private const string StatementOrder = """
        CASE @sort WHEN 1 THEN total_ms / nullif(calls, 0) END DESC NULLS LAST, CASE @sort WHEN 2 THEN calls END DESC NULLS LAST,
        CASE @sort WHEN 3 THEN rows END DESC NULLS LAST, CASE @sort WHEN 4 THEN blks_read END DESC NULLS LAST, total_ms DESC NULLS LAST
        """;

    /// <summary>The top statements of a window, ordered like the live list (I/O: blocks read).</summary>
    public async Task<WindowReport> StatementsAsync(string target, TimeWindow window, StatementSort sort = StatementSort.TotalTime, int top = 50,
        string? search = null, CancellationToken ct = default)
    {
        await using var command = new SerialRead(console, $"""
            WITH w AS ({Summed("a")})
            SELECT r.queryid, r.calls, r.total_ms, r.rows, r.blks_hit, r.blks_read,
                   (SELECT query FROM monitoring_statements m WHERE m.target = @target AND m.queryid = r.queryid),
                   totals.n, totals.total_ms, totals.calls
              FROM (SELECT count(*)::int AS n, coalesce(sum(total_ms), 0) AS total_ms, coalesce(sum(calls), 0)::bigint AS calls FROM w) totals
              LEFT JOIN LATERAL (SELECT * FROM w WHERE {SearchFilter} ORDER BY {StatementOrder}, queryid LIMIT @top) r ON true
            """);
        command.Parameters.AddWithValue("target", target);
        AddWindow(command.Parameters, "a", window, await MarksAsync(target, ct));
        command.Parameters.AddWithValue("sort", (int)sort);
        command.Parameters.AddWithValue("top", Math.Clamp(top, 1, MaxTop));
        AddSearch(command.Parameters, search);
        var rows = new List<WindowStatement>();
        int total = 0;
        double totalMs = 0;
        long totalCalls = 0;
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                (total, totalMs, totalCalls) = (r.GetInt32(7), r.GetDouble(8), r.GetInt64(9));
                if (r.IsDBNull(0)) continue;
                var ms = r.GetDouble(2);
                rows.Add(new WindowStatement(r.GetInt64(0), r.IsDBNull(6) ? "(text no longer available)" : r.GetString(6), r.GetInt64(1), ms,
                    r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), totalMs > 0 ? 100 * ms / totalMs : 0));
            }
        return new WindowReport(window, rows, total, totalMs, totalCalls, await CoverageAsync(target, window, ct));
    }

    /// <summary>Each statement in either window with both windows' figures, ordered by the change (largest increase first unless ascending).</summary>
    public Task<ComparisonReport> CompareAsync(string target, TimeWindow before, TimeWindow after, ChangeSort sort = ChangeSort.Total,
        bool ascending = false, int top = 50, string? search = null, CancellationToken ct = default) =>
        CompareCoreAsync(target, before, after, sort, ascending, Math.Clamp(top, 1, MaxTop), search, texts: true, ct);

    /// <summary>
    /// Every statement in either window (no top), without texts (<see cref="StatementChange.Query"/> is empty): what
    /// the deploy regressions judge; they look up the texts of the few they keep.
    /// </summary>
    public Task<ComparisonReport> AllChangesAsync(string target, TimeWindow before, TimeWindow after, CancellationToken ct = default) =>
        CompareCoreAsync(target, before, after, ChangeSort.Total, false, int.MaxValue, null, texts: false, ct);

    private async Task<ComparisonReport> CompareCoreAsync(string target, TimeWindow before, TimeWindow after, ChangeSort sort,
        bool ascending, int top, string? search, bool texts, CancellationToken ct)
    {
        // Changes as in StatementChange: before's calls and time scaled to after's length; new and gone statements have no %.
        const string Change = """
            CASE @sort
                WHEN 1 THEN coalesce(a_ms / nullif(a_calls, 0), 0) - coalesce(b_ms / nullif(b_calls, 0), 0)
                WHEN 2 THEN CASE WHEN b_calls > 0 AND a_calls > 0 AND b_ms > 0 THEN (a_ms / a_calls) / (b_ms / b_calls) - 1 END
                WHEN 3 THEN a_calls - b_calls * @scale
                WHEN 4 THEN CASE WHEN b_calls > 0 AND a_calls > 0 THEN a_calls / (b_calls * @scale) - 1 END
                ELSE a_ms - b_ms * @scale END
            """;
        await using var command = new SerialRead(console, $"""
            WITH x AS (SELECT false AS after, queryid, calls, total_ms FROM ({WindowRows("b")}) b
                       UNION ALL
                       SELECT true, queryid, calls, total_ms FROM ({WindowRows("a")}) a),
            -- Both windows in one pass (one aggregate, no join of two).
            w AS (SELECT queryid, coalesce(sum(calls::float8) FILTER (WHERE NOT after), 0)::bigint AS b_calls,
                         coalesce(sum(total_ms) FILTER (WHERE NOT after), 0) AS b_ms,
                         coalesce(sum(calls::float8) FILTER (WHERE after), 0)::bigint AS a_calls,
                         coalesce(sum(total_ms) FILTER (WHERE after), 0) AS a_ms
                    FROM x GROUP BY queryid),
            c AS (SELECT w.*, ({Change})::float8 AS change FROM w WHERE {SearchFilter}),
            top AS (SELECT queryid, b_calls, b_ms, a_calls, a_ms, change,
                           count(*) OVER ()::int AS n, (count(*) FILTER (WHERE b_calls = 0) OVER ())::int AS added,
                           (count(*) FILTER (WHERE a_calls = 0) OVER ())::int AS gone
                      FROM c
                     ORDER BY CASE WHEN @asc THEN change END ASC NULLS LAST, CASE WHEN NOT @asc THEN change END DESC NULLS LAST, queryid
                     LIMIT @top)
            -- The texts of the top rows only (a lookup in the select list above would run for every statement).
            SELECT queryid, b_calls, b_ms, a_calls, a_ms,
                   CASE WHEN @texts THEN (SELECT query FROM monitoring_statements m WHERE m.target = @target AND m.queryid = top.queryid) END,
                   n, added, gone
              FROM top
             ORDER BY CASE WHEN @asc THEN change END ASC NULLS LAST, CASE WHEN NOT @asc THEN change END DESC NULLS LAST, queryid
            """);
        var scale = before.Length.TotalMinutes > 0 ? after.Length.TotalMinutes / before.Length.TotalMinutes : 1;
        command.Parameters.AddWithValue("target", target);
        var marks = await MarksAsync(target, ct);
        AddWindow(command.Parameters, "b", before, marks);
        AddWindow(command.Parameters, "a", after, marks);
        command.Parameters.AddWithValue("sort", (int)sort);
        command.Parameters.AddWithValue("asc", ascending);
        command.Parameters.AddWithValue("scale", scale);
        command.Parameters.AddWithValue("top", top);
        command.Parameters.AddWithValue("texts", texts);
        AddSearch(command.Parameters, search);
        var rows = new List<StatementChange>();
        int total = 0, added = 0, gone = 0;
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                rows.Add(new StatementChange(r.GetInt64(0), !texts ? "" : r.IsDBNull(5) ? "(text no longer available)" : r.GetString(5),
                    r.GetInt64(1), r.GetDouble(2), r.GetInt64(3), r.GetDouble(4), scale));
                (total, added, gone) = (r.GetInt32(6), r.GetInt32(7), r.GetInt32(8));
            }
        return new ComparisonReport(before, after, rows, total, added, gone,
            await CoverageAsync(target, before, ct), await CoverageAsync(target, after, ct));
    }

    // A window of the table or index samples (written once per table interval, all rows of a run with one taken_at):
    // its last sample (lt) and the baseline before it (bt: the last sample before the window, or its first sample when
    // there is none before), each a backward probe of (target, taken_at). A counter over the window is the running total
    // at lt minus that at bt, which is the sum of the reset-aware deltas of the samples in the window (the same samples a
    // statement window sums); a row missing at bt (new) or without totals there (sampled before the counter was) starts
    // at 0, which is its first total. Nothing when the window has no sample.
    private const string SampleBounds = """
        WITH lt AS (SELECT max(taken_at) AS t FROM {0} WHERE target = @target AND taken_at >= @from AND taken_at < @to),
             bt AS (SELECT coalesce((SELECT max(taken_at) FROM {0} WHERE target = @target AND taken_at < @from),
                                    (SELECT min(taken_at) FROM {0} WHERE target = @target AND taken_at >= @from AND taken_at < @to)) AS t
                      FROM lt WHERE lt.t IS NOT NULL),
             f AS (SELECT s.* FROM {0} s JOIN bt ON s.taken_at = bt.t WHERE s.target = @target),
             l AS (SELECT s.* FROM {0} s JOIN lt ON s.taken_at = lt.t WHERE s.target = @target)
        """;

    // Null when the baseline is the last sample itself (one sample in the window and none before): nothing was measured.
    private static string Over(string counter) => $"CASE WHEN (SELECT t FROM bt) < (SELECT t FROM lt) THEN l.{counter}_total - coalesce(f.{counter}_total, 0) END";

    private static readonly string TablesSql = string.Format(SampleBounds, "monitoring_table_samples") + $"""
        SELECT (SELECT t FROM bt), (SELECT t FROM lt), schema_name, table_name, f.total_bytes, l.total_bytes,
               f.live_tuples, l.live_tuples, {Over("seq_scan")}, {Over("idx_scan")}, {Over("n_tup_ins")}, {Over("n_tup_upd")}, {Over("n_tup_del")}
          FROM f FULL JOIN l USING (schema_name, table_name)
         ORDER BY schema_name, table_name
        """;

    private static readonly string IndexesSql = string.Format(SampleBounds, "monitoring_index_samples") + $"""
        SELECT schema_name, coalesce(l.table_name, f.table_name), index_name, {Over("idx_scan")}, {Over("idx_tup_read")}, {Over("idx_tup_fetch")},
               f.target IS NULL AND (SELECT t FROM bt) < @from, l.target IS NULL, (SELECT t FROM bt), (SELECT t FROM lt)
          FROM f FULL JOIN l USING (schema_name, index_name)
         ORDER BY 1, 2, 3
        """;

    /// <summary>
    /// Every table and index sampled in the window: growth between the sample before it (or its first) and its last, and
    /// scans and row changes summed over its samples (running totals, so two probes whatever the window's length).
    /// </summary>
    public async Task<TableWindowReport> TablesAsync(string target, TimeWindow window, CancellationToken ct = default) =>
        await WindowSamplesAsync(target, window, tables: true, indexes: true, ct);

    /// <summary>Every index sampled in the window with its scans and tuples read and fetched in it (<see cref="TablesAsync"/>'s indexes).</summary>
    public async Task<TableWindowReport> IndexesAsync(string target, TimeWindow window, CancellationToken ct = default) =>
        await WindowSamplesAsync(target, window, tables: false, indexes: true, ct);

    /// <summary>
    /// Every table sampled in either window with both windows' figures (<see cref="TablesAsync"/>), ordered by the change
    /// of <paramref name="figure"/>, largest increase first unless <paramref name="ascending"/>; tables without the figure last.
    /// </summary>
    public async Task<TableComparisonReport> CompareTablesAsync(string target, TimeWindow before, TimeWindow after, TableFigure figure = TableFigure.Growth,
        bool ascending = false, CancellationToken ct = default)
    {
        var b = await WindowSamplesAsync(target, before, tables: true, indexes: false, ct);
        var a = await WindowSamplesAsync(target, after, tables: true, indexes: false, ct);
        var scale = before.Length.TotalMinutes > 0 ? after.Length.TotalMinutes / before.Length.TotalMinutes : 1;
        var byName = b.Tables.ToDictionary(t => t.QualifiedName, StringComparer.Ordinal);
        var inAfter = a.Tables.Select(t => t.QualifiedName).ToHashSet(StringComparer.Ordinal);
        var rows = a.Tables.Select(t => new TableChange(t.Schema, t.Table, byName.GetValueOrDefault(t.QualifiedName), t, scale))
            .Concat(b.Tables.Where(t => !inAfter.Contains(t.QualifiedName)).Select(t => new TableChange(t.Schema, t.Table, t, null, scale)))
            .ToList();
        var known = rows.Where(r => r.Change(figure) is not null);
        var ordered = (ascending ? known.OrderBy(r => r.Change(figure)) : known.OrderByDescending(r => r.Change(figure)))
            .ThenBy(r => r.QualifiedName, StringComparer.Ordinal)
            .Concat(rows.Where(r => r.Change(figure) is null).OrderBy(r => r.QualifiedName, StringComparer.Ordinal));
        return new TableComparisonReport(b, a, ordered.ToList());
    }

    private async Task<TableWindowReport> WindowSamplesAsync(string target, TimeWindow window, bool tables, bool indexes, CancellationToken ct)
    {
        await using var batch = console.CreateBatch();
        if (tables) batch.BatchCommands.Add(new NpgsqlBatchCommand(TablesSql));
        if (indexes) batch.BatchCommands.Add(new NpgsqlBatchCommand(IndexesSql));
        foreach (NpgsqlBatchCommand c in batch.BatchCommands)
        {
            c.Parameters.AddWithValue("target", target);
            c.Parameters.AddWithValue("from", window.From);
            c.Parameters.AddWithValue("to", window.To);
        }
        var tableRows = new List<TableWindowStat>();
        var indexRows = new List<IndexWindowStat>();
        DateTimeOffset? first = null, last = null;
        await using (var r = await batch.ExecuteReaderAsync(ct))
        {
            if (tables)
            {
                while (await r.ReadAsync(ct))
                {
                    first = Time(r, 0);
                    last = Time(r, 1);
                    tableRows.Add(new TableWindowStat(r.GetString(2), r.GetString(3), Long(r, 4), Long(r, 5), Long(r, 6), Long(r, 7), Long(r, 8), Long(r, 9),
                        Long(r, 10), Long(r, 11), Long(r, 12)));
                }
                await r.NextResultAsync(ct);
            }
            if (indexes)
                while (await r.ReadAsync(ct))
                {
                    indexRows.Add(new IndexWindowStat(r.GetString(0), r.GetString(1), r.GetString(2), Long(r, 3), Long(r, 4), Long(r, 5),
                        New: r.GetBoolean(6), Dropped: r.GetBoolean(7)));
                    if (!tables) (first, last) = (Time(r, 8), Time(r, 9));
                }
        }
        return new TableWindowReport(window, first, last, tableRows, indexRows, await CoverageAsync(target, window, ct));
    }

    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);

    /// <summary>Up to where each level of the target is rolled up (nothing yet: the deltas are read for everything).</summary>
    private async Task<IReadOnlyList<DateTimeOffset>> MarksAsync(string target, CancellationToken ct)
    {
        await using var command = console.CreateCommand(
            $"SELECT {string.Join(", ", RollupLevel.All.Select(l => l.Mark))} FROM monitoring_rollup_marks WHERE target = @target");
        command.Parameters.AddWithValue("target", target);
        await using var r = await command.ExecuteReaderAsync(ct);
        var marks = new DateTimeOffset[RollupLevel.All.Count];
        var found = await r.ReadAsync(ct);
        for (var k = 0; k < marks.Length; k++) marks[k] = found ? r.GetFieldValue<DateTimeOffset>(k) : DateTimeOffset.MinValue;
        return marks;
    }

    /// <summary>The target's first and last successful sampler run, and the runs in the window.</summary>
    public async Task<SamplerCoverage> CoverageAsync(string target, TimeWindow window, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand("""
            SELECT (SELECT min(taken_at) FROM monitoring_sampler_runs WHERE target = @target AND error IS NULL),
                   (SELECT max(taken_at) FROM monitoring_sampler_runs WHERE target = @target AND error IS NULL),
                   (SELECT count(*)::int FROM monitoring_sampler_runs
                     WHERE target = @target AND error IS NULL AND taken_at >= @from AND taken_at < @to)
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("from", window.From);
        command.Parameters.AddWithValue("to", window.To);
        await using var r = await command.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new SamplerCoverage(r.IsDBNull(0) ? null : r.GetFieldValue<DateTimeOffset>(0),
            r.IsDBNull(1) ? null : r.GetFieldValue<DateTimeOffset>(1), r.GetInt32(2));
    }

    /// <summary>
    /// A statement read with a serial plan: the window reads aggregate tens of thousands of index-only rows, where two
    /// parallel workers cost more than they bring (measured 53 ms serial against 66–98 ms parallel for 7 days on the
    /// bench data at load 18; docs/database.md). The setting is local to the batch's one transaction.
    /// </summary>
    private sealed class SerialRead : IAsyncDisposable
    {
        private readonly NpgsqlBatch _batch;

        public SerialRead(NpgsqlDataSource source, string sql)
        {
            _batch = source.CreateBatch();
            _batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT set_config('max_parallel_workers_per_gather', '0', true)"));
            _batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
        }

        public NpgsqlParameterCollection Parameters => _batch.BatchCommands[1].Parameters;

        public async Task<NpgsqlDataReader> ExecuteReaderAsync(CancellationToken ct)
        {
            var reader = await _batch.ExecuteReaderAsync(ct);
            await reader.NextResultAsync(ct);
            return reader;
        }

        public ValueTask DisposeAsync() => _batch.DisposeAsync();
    }

    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
}
