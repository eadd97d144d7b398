using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Tables page's state: a target's tables with their sizes and maintenance, their growth over 24 hours from the
/// sampled history, the name filter, and the size chart of the table picked in the address (?table=schema.name). With
/// ?window=… (<see cref="WindowAddress"/>) the tables' growth, scans and row changes over that window of the sampled
/// history, and with &amp;compare=… against a second window, ordered by the change of one figure (?change=seq&amp;dir=asc).
/// </summary>
public sealed class TablesState(DatabaseActivity activity, StatisticsHistory history, TimeProvider time, StatisticsWindows? windows = null,
    DeployRegressions? regressions = null)
{
    /// <summary>The address's window value (null: the live figures).</summary>
    public string? WindowKey { get; private set; }
    public TimeWindow? Window { get; private set; }
    public string? AddressProblem { get; private set; }
    public TableWindowReport? WindowReport { get; private set; }
    public string? CompareKey { get; private set; }
    /// <summary>The "before" window of a comparison (<see cref="Window"/> is the "after").</summary>
    public TimeWindow? Before { get; private set; }
    public TableComparisonReport? Comparison { get; private set; }
    public TableFigure Change { get; private set; }
    public bool Ascending { get; private set; }

    public static readonly (TableFigure Value, string Key, string Title, string Tip)[] Figures =
    [
        (TableFigure.Growth, "growth", "Growth", "Total size gained in the window"),
        (TableFigure.SeqScans, "seq", "Seq scans", "Sequential scans in the window"),
        (TableFigure.IndexScans, "idx", "Index scans", "Index scans in the window"),
        (TableFigure.Inserts, "ins", "Inserted", "Rows inserted in the window"),
        (TableFigure.Updates, "upd", "Updated", "Rows updated in the window"),
        (TableFigure.Deletes, "del", "Deleted", "Rows deleted in the window"),
    ];

    public static string ChangeKey(TableFigure f) => Figures.First(x => x.Value == f).Key;

    /// <summary>The comparison's tables whose name contains the filter, in the order of the change.</summary>
    public IReadOnlyList<TableChange> VisibleChanges
    {
        get
        {
            var f = Filter?.Trim();
            return Comparison is null ? [] : Comparison.Tables
                .Where(t => string.IsNullOrEmpty(f) || t.QualifiedName.Contains(f, StringComparison.OrdinalIgnoreCase)).ToList();
        }
    }

    /// <summary>The address parameters that order a comparison by <paramref name="key"/>: largest increase first, then the other way round.</summary>
    public IReadOnlyDictionary<string, object?> ChangeParameters(string key) => new Dictionary<string, object?>
    {
        ["change"] = key == "growth" ? null : key,
        ["dir"] = key == ChangeKey(Change) && !Ascending ? "asc" : null,
    };

    /// <summary>A figure's change as shown: bytes for growth, counts otherwise; "—" when not recorded.</summary>
    public static string FormatChange(TableFigure figure, double? change) => change switch
    {
        null => "—",
        { } c when figure == TableFigure.Growth => Signed((long)Math.Round(c)),
        { } c => SlowQueriesState.Signed(Math.Round(c)),
    };

    /// <summary>"12 → 40": a figure in both windows ("—": not sampled in that window or not recorded).</summary>
    public static string BeforeAfter(TableFigure figure, TableChange t)
    {
        string One(long? v) => v is not { } n ? "—" : figure == TableFigure.Growth ? Signed(n) : n.ToString("N0");
        return $"{One(t.Before?.Figure(figure))} → {One(t.After?.Figure(figure))}";
    }

    /// <summary>The window's tables whose name contains the filter, largest growth first.</summary>
    public IReadOnlyList<TableWindowStat> VisibleInWindow
    {
        get
        {
            var f = Filter?.Trim();
            return WindowReport is null ? [] : WindowReport.Tables
                .Where(t => string.IsNullOrEmpty(f) || t.QualifiedName.Contains(f, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(t => t.GrowthBytes ?? long.MinValue).ThenBy(t => t.QualifiedName, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>"a_pkey 120, a_b 0": each index of the table with its scans in the window.</summary>
    public string IndexScansText(TableWindowStat t) => WindowReport is null ? "" : string.Join(", ", WindowReport.Indexes
        .Where(i => i.Schema == t.Schema && i.Table == t.Table).Select(i => $"{i.Index} {(i.Scans is { } n ? n.ToString("N0") : "—")}"));

    /// <summary>
    /// Takes the address's window, comparison and change order (presets read in the browser's <paramref name="zone"/>
    /// at the current time); a value not understood falls back and says why.
    /// </summary>
    public void ApplyWindow(string? window, TimeZoneInfo zone, string? compare = null, string? change = null, string? dir = null)
    {
        WindowKey = string.IsNullOrWhiteSpace(window) || window == WindowAddress.Live ? null : window;
        CompareKey = string.IsNullOrWhiteSpace(compare) ? null : compare;
        Change = Figures.FirstOrDefault(f => f.Key == change).Value;
        Ascending = dir == "asc";
        (Window, Before, AddressProblem) = WindowAddress.ParseWithCompare(WindowKey, CompareKey, time.GetUtcNow(), zone);
        if (Window is null) WindowReport = null;
        if (Before is null) Comparison = null;
    }

    public IReadOnlyList<TableStat>? Tables { get; private set; }
    public string? Problem { get; private set; }
    public string? Filter { get; private set; }
    public string? LoadedTarget { get; private set; }
    public IReadOnlyDictionary<string, TableGrowth> Growth { get; private set; } = new Dictionary<string, TableGrowth>();
    public IReadOnlyList<TablePoint> Points { get; private set; } = [];
    public HistoryRange Range { get; private set; } = HistoryRange.Day;
    public object? ChartOptions { get; private set; }

    /// <summary>Deployments and release events within the chart's range (markers on it).</summary>
    public IReadOnlyList<DeployEvent> Markers { get; private set; } = [];
    public bool Loading => Tables is null && Problem is null;

    /// <summary>The tables whose schema-qualified name contains the filter.</summary>
    public IReadOnlyList<TableStat> Visible
    {
        get
        {
            var f = Filter?.Trim();
            return Tables is null ? [] : string.IsNullOrEmpty(f) ? Tables
                : Tables.Where(t => t.QualifiedName.Contains(f, StringComparison.OrdinalIgnoreCase)).ToList();
        }
    }

    public long TotalBytes => Tables?.Sum(t => t.TotalBytes) ?? 0;

    public void SetFilter(string? filter) => Filter = filter;

    public async Task LoadAsync(string? target, CancellationToken ct = default)
    {
        if (LoadedTarget != target) { Tables = null; Problem = null; }
        LoadedTarget = target;
        var read = await activity.LoadTablesAsync(target, ct);
        Problem = read.Problem;
        if (read.Value is not null) Tables = read.Value;
        Growth = await history.GrowthAsync(activity.Target(target).Name, time.GetUtcNow().AddHours(-24), ct);
        if (Window is { } w && windows is not null)
        {
            if (Before is { } before)
                Comparison = await windows.CompareTablesAsync(activity.Target(target).Name, before, w, Change, Ascending, ct);
            else
                WindowReport = await windows.TablesAsync(activity.Target(target).Name, w, ct);
        }
    }

    public async Task LoadChartAsync(string? target, string? selected, string? range, CancellationToken ct = default)
    {
        Range = HistoryRange.Parse(range);
        if (selected?.Split('.', 2) is not [var schema, var table]) { Points = []; ChartOptions = null; Markers = []; return; }
        var now = time.GetUtcNow();
        Points = await history.TableAsync(activity.Target(target).Name, schema, table, Range, now, ct);
        Markers = regressions is null ? [] : await regressions.MarkersAsync(new TimeWindow(now - Range.Span, now), ct: ct);
        ChartOptions = Chart(Points, Range, now, Markers);
    }

    /// <summary>Total size (in a unit that suits the table: a small table's sizes in MB would all read 0.0) and live rows.</summary>
    public static object Chart(IReadOnlyList<TablePoint> points, HistoryRange range, DateTimeOffset now, IReadOnlyList<DeployEvent>? markers = null)
    {
        var (unit, divisor) = points.Count == 0 ? ("kB", 1024.0) : points.Max(p => p.TotalBytes) switch
        {
            >= 1L << 30 => ("GB", (double)(1L << 30)),
            >= 1L << 20 => ("MB", (double)(1L << 20)),
            _ => ("kB", 1024.0),
        };
        return new
        {
            chart = new { type = "area", height = 260, toolbar = new { show = false }, animations = new { enabled = false }, zoom = new { enabled = false } },
            series = new object[]
            {
                new { name = $"Total size ({unit})", data = points.Select(p => new object[] { p.At.ToUnixTimeMilliseconds(), Math.Round(p.TotalBytes / divisor, 2) }) },
                new { name = "Live rows", data = points.Select(p => new object[] { p.At.ToUnixTimeMilliseconds(), p.LiveTuples }) },
            },
            yaxis = new object[]
            {
                new { title = new { text = unit }, min = 0, forceNiceScale = true, decimalsInFloat = 1 },
                new { opposite = true, title = new { text = "rows" }, min = 0, forceNiceScale = true, decimalsInFloat = 0 },
            },
            stroke = new { width = 2, curve = "stepline" },
            fill = new { opacity = 0.15 },
            xaxis = new { type = "datetime", min = now.Add(-range.Span).ToUnixTimeMilliseconds(), max = now.ToUnixTimeMilliseconds(), labels = new { datetimeUTC = false } },
            dataLabels = new { enabled = false },
            legend = new { position = "top" },
            tooltip = new { x = new { format = "dd MMM HH:mm" } },
            annotations = DeployMarkers.Annotations(markers),
        };
    }

    public static string Signed(long bytes) => bytes switch
    {
        0 => "±0",
        > 0 => "+" + FormatBytes(bytes),
        _ => "−" + FormatBytes(-bytes),
    };

    /// <summary>Amber from 10 %, red from 20 % dead rows (autovacuum's default trigger), once there are 50 of them.</summary>
    public static string DeadClass(TableStat t) => t.DeadRatio switch
    {
        >= 0.2 when t.DeadTuples >= 50 => "db-dead-bad",
        >= 0.1 when t.DeadTuples >= 50 => "db-dead-warn",
        _ => "",
    };

    public static string DeadTitle(TableStat t) => t.DeadRatio is { } r
        ? $"{r:P1} of the table's rows are dead (deleted or updated, not yet vacuumed)"
        : "no rows counted yet";

    /// <summary>The later of a manual and an automatic run, and whether it was the automatic one.</summary>
    public static (DateTimeOffset? At, bool Auto) Latest(DateTimeOffset? manual, DateTimeOffset? auto)
    {
        var latest = manual is null ? auto : auto is null ? manual : manual > auto ? manual : auto;
        return (latest, latest is not null && latest == auto);
    }

    public static string FormatBytes(long bytes) => bytes switch
    {
        0 => "0",
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.0} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MB",
        >= 1L << 10 => $"{bytes / 1024.0:0} kB",
        _ => $"{bytes} B",
    };
}
