using Admin.Data.Database;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Indexes page's state: a target's index report, and the filter, text search and sort that come from the
/// address (?show=unused&amp;q=…&amp;sort=size&amp;dir=desc), so a link to "unused indexes of target X, largest first"
/// can be shared and survives a reload.
/// </summary>
public sealed class IndexesState(IndexStats stats, BrowserClock clock, TimeProvider time)
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
    public bool Loading => Report is null && Error is null;

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
    }

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
        "unused" => $"No unused index: every non-unique index was scanned since {ResetText}.",
        "duplicate" => "No index is a duplicate of, or covered by, another index.",
        "invalid" => "No invalid index.",
        _ => Search is null ? "This database has no user indexes." : $"No index matches “{Search}”.",
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
