using System.Security.Claims;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The slow-query list's state: order, size and text filter from the address (?sort=mean&amp;top=100&amp;q=…), the
/// target's top statements (sorted and cut by pg_stat_statements' own query), and the reset of the statistics. With
/// ?window=… the list is of that window of the sampled history, and with ?compare=… two windows side by side, ordered
/// by the change (?change=mean&amp;dir=asc); see <see cref="WindowAddress"/>.
/// </summary>
public sealed class SlowQueriesState(DatabaseQueries queries, TimeProvider time)
{
    public static readonly (StatementSort Value, string Key, string Text)[] Sorts =
    [
        (StatementSort.TotalTime, "total", "Total time"), (StatementSort.MeanTime, "mean", "Mean time"),
        (StatementSort.Calls, "calls", "Calls"), (StatementSort.Rows, "rows", "Rows"), (StatementSort.Io, "io", "Disk reads"),
    ];

    public static readonly int[] TopOptions = [20, 50, 100, 200];

    public static readonly (ChangeSort Value, string Key, string Text)[] ChangeSorts =
    [
        (ChangeSort.Total, "total", "Total time change"), (ChangeSort.Mean, "mean", "Mean time change"),
        (ChangeSort.MeanPercent, "meanpct", "Mean time change %"), (ChangeSort.Calls, "calls", "Calls change"),
        (ChangeSort.CallsPercent, "callspct", "Calls change %"),
    ];

    /// <summary>The address's window value as given (null: live).</summary>
    public string? WindowKey { get; private set; }
    public string? CompareKey { get; private set; }
    /// <summary>The window shown, or null for the live figures since the last reset.</summary>
    public TimeWindow? Window { get; private set; }
    /// <summary>The "before" window of a comparison (<see cref="Window"/> is the "after").</summary>
    public TimeWindow? Before { get; private set; }
    public ChangeSort Change { get; private set; }
    public bool Ascending { get; private set; }
    /// <summary>An address value that was not understood, in words.</summary>
    public string? AddressProblem { get; private set; }
    public WindowReport? WindowReport { get; private set; }
    public ComparisonReport? Comparison { get; private set; }

    public StatementSort Sort { get; private set; }
    public int Top { get; private set; } = 50;
    public string? Search { get; private set; }
    public StatementReport? Report { get; private set; }
    public string? Problem { get; private set; }
    public DateTimeOffset? Updated { get; private set; }
    public bool Loading => Problem is null && (Window is null ? Report is null : Before is null ? WindowReport is null : Comparison is null);

    /// <summary>Takes the address's parameters; unknown values fall back to total time and 50.</summary>
    public void Apply(string? sort, int? top, string? search) => Apply(sort, top, search, null, null, null, null, TimeZoneInfo.Utc);

    /// <summary>
    /// Takes the address's parameters, the window and the comparison included (presets are read in the browser's
    /// <paramref name="zone"/> at the current time); a window or comparison not understood falls back and says why.
    /// </summary>
    public void Apply(string? sort, int? top, string? search, string? window, string? compare, string? change, string? dir, TimeZoneInfo zone)
    {
        Sort = Sorts.FirstOrDefault(s => s.Key == sort).Value;
        Top = top is { } t && TopOptions.Contains(t) ? t : 50;
        Search = string.IsNullOrWhiteSpace(search) ? null : search;
        Change = ChangeSorts.FirstOrDefault(s => s.Key == change).Value;
        Ascending = dir == "asc";
        WindowKey = string.IsNullOrWhiteSpace(window) || window == WindowAddress.Live ? null : window;
        CompareKey = string.IsNullOrWhiteSpace(compare) ? null : compare;
        (Window, Before, AddressProblem) = WindowAddress.ParseWithCompare(WindowKey, CompareKey, time.GetUtcNow(), zone);
    }

    public async Task LoadAsync(string target, CancellationToken ct = default)
    {
        if (Window is { } window)
        {
            if (Before is { } before)
                Comparison = await queries.CompareAsync(target, before, window, Change, Ascending, Top, Search, ct);
            else
                WindowReport = await queries.WindowAsync(target, window, Sort, Top, Search, ct);
            Problem = null;
            Updated = time.GetUtcNow();
            return;
        }
        var read = await queries.LoadAsync(target, Sort, Top, Search, ct);
        Problem = read.Problem;
        Report = read.Value ?? Report;
        if (read.Value is not null) Updated = time.GetUtcNow();
    }

    public Task<QueryActionResult> ResetAsync(string target, ClaimsPrincipal user) => queries.ResetAsync(target, user);

    public static string SortKey(StatementSort s) => Sorts.First(x => x.Value == s).Key;

    public static string SortText(StatementSort s) => Sorts.First(x => x.Value == s).Text;

    public static string ChangeKey(ChangeSort s) => ChangeSorts.First(x => x.Value == s).Key;

    /// <summary>The address parameters that order a comparison by <paramref name="key"/>: largest increase first, then the other way round.</summary>
    public IReadOnlyDictionary<string, object?> ChangeParameters(string key) => new Dictionary<string, object?>
    {
        ["change"] = key == "total" ? null : key,
        ["dir"] = key == ChangeKey(Change) && !Ascending ? "asc" : null,
    };

    /// <summary>"+12.3 ms", "−4 %": a signed change, or "new" / "gone" for a statement in one window only.</summary>
    public static string Signed(double value, string unit = "") =>
        (value > 0 ? "+" : value < 0 ? "−" : "±") + (unit == "ms" ? FormatMs(Math.Abs(value)) : $"{Math.Abs(value):#,0.#}{unit}");

    public static string ChangeClass(double? percent) => percent switch
    {
        >= 50 => "db-dead-bad",
        >= 10 => "db-dead-warn",
        _ => "",
    };

    /// <summary>The statement on one line, at most 220 characters.</summary>
    public static string Shorten(string query)
    {
        var flat = string.Join(' ', query.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return flat.Length <= 220 ? flat : flat[..220] + "…";
    }

    public static string FormatMs(double ms) => ms switch
    {
        >= 3_600_000 => $"{ms / 3_600_000:0.0} h",
        >= 60_000 => $"{ms / 60_000:0.0} min",
        >= 1000 => $"{ms / 1000:0.00} s",
        >= 10 => $"{ms:0} ms",
        _ => $"{ms:0.00} ms",
    };

    /// <summary>Amber from 100 ms, red from 1 s.</summary>
    public static string MeanClass(double meanMs) => meanMs >= 1000 ? "db-dead-bad" : meanMs >= 100 ? "db-dead-warn" : "";
}
