using Admin.Data.Database;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Indexes page's state: a target's index report, and the filter, text search and sort that come from the
/// address (?show=unused&amp;q=…&amp;sort=size&amp;dir=desc), so a link to "unused indexes of target X, largest first"
/// can be shared and survives a reload. With ?window=… (<see cref="WindowAddress"/>) each index's scans and tuples
/// read and fetched in that window of the sampled history instead of since the reset, unused meaning unused in it.
/// </summary>
public sealed class IndexesState(IndexStats stats, BrowserClock clock, TimeProvider time, StatisticsWindows? windows = null)
{
    public static readonly (string Key, string Title, string Tip)[] NumberColumns =
    [
        ("scans", "Scans", "Index scans since the statistics reset"),
        ("read", "Tuples read", "Index entries returned by scans of this index"),
        ("fetched", "Fetched", "Live table rows fetched through this index"),
        ("size", "Size", "Size on disk"),
        ("hit", "Hit rate", "Share of this index's block reads served from shared buffers"),
    ];

    public static readonly string[] SortKeys = ["table", "index", .. NumberColumns.Select(c => c.Key)];

    public static readonly (string Key, string Title)[] Filters = [("all", "All"), ("unused", "Unused"), ("duplicate", "Duplicate"), ("invalid", "Invalid")];

    public IndexReport? Report { get; private set; }
    public string? Error { get; private set; }
    public DateTimeOffset? Updated { get; private set; }
    public string Filter { get; private set; } = "all";
    public string? Search { get; private set; }
    public string Sort { get; private set; } = "table";
    public bool Descending { get; private set; }
    public string? LoadedTarget { get; private set; }
    public bool Loading => Report is null && Error is null && (Window is null || WindowReport is null);

    /// <summary>The address's window value (null: since the statistics reset).</summary>
    public string? WindowKey { get; private set; }
    public TimeWindow? Window { get; private set; }
    public string? AddressProblem { get; private set; }
    public TableWindowReport? WindowReport { get; private set; }

    public void ApplyWindow(string? window, TimeZoneInfo zone)
    {
        WindowKey = string.IsNullOrWhiteSpace(window) || window == WindowAddress.Live ? null : window;
        (Window, AddressProblem) = WindowAddress.Parse(WindowKey, time.GetUtcNow(), zone);
        if (Window is null) WindowReport = null;
    }

    /// <summary>Takes the address's parameters; unknown values fall back to "all", "table", ascending.</summary>
    public void Apply(string? show, string? search, string? sort, string? dir)
    {
        Filter = show is "unused" or "duplicate" or "invalid" ? show : "all";
        Search = string.IsNullOrWhiteSpace(search) ? null : search.Trim();
        Sort = SortKeys.Contains(sort) ? sort! : "table";
        Descending = dir == "desc";
    }

    public async Task LoadAsync(MonitoringTarget target, CancellationToken ct = default)
    {
        if (LoadedTarget != target.Name) Report = null;
        LoadedTarget = target.Name;
        if (LoadedTarget != target.Name || Window is null) WindowReport = null;
        try
        {
            Report = await stats.LoadAsync(target, ct);
            Error = null;
            Updated = time.GetUtcNow();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = DatabaseOverview.Unreachable(target.Name, e);
        }
        // The window is read from the console's samples: shown even when the target cannot be reached now.
        if (Window is { } w && windows is not null)
            WindowReport = await windows.IndexesAsync(target.Name, w, ct);
    }

    /// <summary>An index over the window with what the target says of it now (null: not there now, or not readable).</summary>
    public sealed record WindowRow(IndexWindowStat Stat, IndexInfo? Live)
    {
        /// <summary>Not scanned in the window; unique indexes (constraints) are never called unused.</summary>
        public bool Unused => Stat.UnusedInWindow && Live is not { IsUnique: true };
    }

    /// <summary>The window's indexes the filter and search let through, in the chosen order (size and definition: now).</summary>
    public IReadOnlyList<WindowRow> WindowRows => WindowRowsFor(Filter, Search);

    /// <summary>How many of the window's indexes a filter lets through.</summary>
    public int WindowCount(string filter) => WindowRowsFor(filter, null).Count;

    private List<WindowRow> WindowRowsFor(string filter, string? q)
    {
        if (WindowReport is null) return [];
        var live = (Report?.Indexes ?? []).ToDictionary(i => (i.Schema, i.Name));
        var rows = WindowReport.Indexes.Select(i => new WindowRow(i, live.GetValueOrDefault((i.Schema, i.Index))))
            .Where(r => filter switch
            {
                "unused" => r.Unused,
                "duplicate" => r.Live?.Duplicate == true,
                "invalid" => r.Live is { IsValid: false },
                _ => true,
            })
            .Where(r => string.IsNullOrEmpty(q) || $"{r.Stat.Schema}.{r.Stat.Table}".Contains(q, StringComparison.OrdinalIgnoreCase)
                || r.Stat.Index.Contains(q, StringComparison.OrdinalIgnoreCase) || (r.Live?.Definition.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false));
        Func<WindowRow, object?> key = Sort switch
        {
            "index" => r => r.Stat.Index,
            "scans" => r => r.Stat.Scans ?? -1,
            "read" => r => r.Stat.TuplesRead ?? -1,
            "fetched" => r => r.Stat.TuplesFetched ?? -1,
            "size" => r => r.Live?.SizeBytes ?? -1,
            _ => r => $"{r.Stat.Schema}.{r.Stat.Table}",
        };
        var ordered = Descending ? rows.OrderByDescending(key) : rows.OrderBy(key);
        return ordered.ThenBy(r => r.Stat.Schema, StringComparer.Ordinal).ThenBy(r => r.Stat.Table, StringComparer.Ordinal)
            .ThenBy(r => r.Stat.Index, StringComparer.Ordinal).ToList();
    }

    /// <summary>The columns of the window view: its figures, then the size now.</summary>
    public static readonly (string Key, string Title, string Tip)[] WindowColumns =
    [
        ("scans", "Scans", "Index scans in the window"),
        ("read", "Tuples read", "Index entries returned by scans of this index in the window"),
        ("fetched", "Fetched", "Live table rows fetched through this index in the window"),
        ("size", "Size now", "Size on disk now"),
    ];

    public static string WindowNumber(string key, WindowRow r) => key switch
    {
        "scans" => r.Stat.Scans?.ToString("N0") ?? "—",
        "read" => r.Stat.TuplesRead?.ToString("N0") ?? "—",
        "fetched" => r.Stat.TuplesFetched?.ToString("N0") ?? "—",
        _ => r.Live is { } l ? DatabaseOverview.FormatBytes(l.SizeBytes) : "—",
    };

    public int Count(string filter) => (Report?.Indexes ?? []).Count(Matches(filter));

    private static Func<IndexInfo, bool> Matches(string filter) => filter switch
    {
        "unused" => i => i.Unused,
        "duplicate" => i => i.Duplicate,
        "invalid" => i => !i.IsValid,
        _ => _ => true,
    };

    /// <summary>The indexes the filter and search let through, in the chosen order (ties by schema, table, name).</summary>
    public IReadOnlyList<IndexInfo> Rows
    {
        get
        {
            var q = Search;
            var rows = (Report?.Indexes ?? []).Where(Matches(Filter))
                .Where(i => string.IsNullOrEmpty(q) || $"{i.Schema}.{i.Table}".Contains(q, StringComparison.OrdinalIgnoreCase)
                    || i.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || i.Definition.Contains(q, StringComparison.OrdinalIgnoreCase));
            Func<IndexInfo, object?> key = Sort switch
            {
                "index" => i => i.Name,
                "scans" => i => i.Scans,
                "read" => i => i.TuplesRead,
                "fetched" => i => i.TuplesFetched,
                "size" => i => i.SizeBytes,
                "hit" => i => i.HitRate ?? -1,
                _ => i => $"{i.Schema}.{i.Table}",
            };
            var ordered = Descending ? rows.OrderByDescending(key) : rows.OrderBy(key);
            return ordered.ThenBy(i => i.Schema, StringComparer.Ordinal).ThenBy(i => i.Table, StringComparer.Ordinal).ThenBy(i => i.Name, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Tables with a missing-index hint first, then by sequential scans.</summary>
    public IReadOnlyList<TableScanInfo> Tables =>
        (Report?.Tables ?? []).OrderByDescending(t => t.MissingIndexHint).ThenByDescending(t => t.SeqScans).ToList();

    public string EmptyText => Filter switch
    {
        "unused" when Window is not null => "No unused index: every non-unique index sampled in this window was scanned in it.",
        "unused" => $"No unused index: every non-unique index was scanned since {ResetText}.",
        "duplicate" => "No index is a duplicate of, or covered by, another index.",
        "invalid" => "No invalid index.",
        _ => Search is not null ? $"No index matches “{Search}”." : Window is not null ? "No index was sampled in this window." : "This database has no user indexes.",
    };

    public string ResetText => Report?.StatsReset is { } reset ? clock.Format(reset) : "never reset";
    public string ResetShort => Report?.StatsReset is { } reset ? clock.FormatShort(reset) : "stats began";

    /// <summary>
    /// The address's sort parameters for a click on a column: the current column turns the direction round; numbers
    /// start largest first, names smallest first; the default (table, ascending) leaves the address clean.
    /// </summary>
    public IReadOnlyDictionary<string, object?> SortParameters(string key)
    {
        var desc = key == Sort ? !Descending : key is not ("table" or "index");
        return new Dictionary<string, object?> { ["sort"] = key == "table" && !desc ? null : key, ["dir"] = desc ? "desc" : null };
    }

    public static string Number(string key, IndexInfo i) => key switch
    {
        "scans" => i.Scans.ToString("N0"),
        "read" => i.TuplesRead.ToString("N0"),
        "fetched" => i.TuplesFetched.ToString("N0"),
        "size" => DatabaseOverview.FormatBytes(i.SizeBytes),
        _ => i.HitRate is { } h ? $"{h:0.#} %" : "—",
    };

    /// <summary>"USING btree (a, b) WHERE …": the name and table are in their own columns already.</summary>
    public static string ShortDefinition(string definition)
    {
        var at = definition.IndexOf(" USING ", StringComparison.Ordinal);
        return at < 0 ? definition : definition[(at + 1)..];
    }
}
