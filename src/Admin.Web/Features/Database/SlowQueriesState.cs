using System.Security.Claims;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The slow-query list's state: order, size and text filter from the address (?sort=mean&amp;top=100&amp;q=…), the
/// target's top statements (sorted and cut by pg_stat_statements' own query), and the reset of the statistics.
/// </summary>
public sealed class SlowQueriesState(DatabaseQueries queries, TimeProvider time)
{
    public static readonly (StatementSort Value, string Key, string Text)[] Sorts =
    [
        (StatementSort.TotalTime, "total", "Total time"), (StatementSort.MeanTime, "mean", "Mean time"),
        (StatementSort.Calls, "calls", "Calls"), (StatementSort.Rows, "rows", "Rows"), (StatementSort.Io, "io", "Disk reads"),
    ];

    public static readonly int[] TopOptions = [20, 50, 100, 200];

    public StatementSort Sort { get; private set; }
    public int Top { get; private set; } = 50;
    public string? Search { get; private set; }
    public StatementReport? Report { get; private set; }
    public string? Problem { get; private set; }
    public DateTimeOffset? Updated { get; private set; }
    public bool Loading => Report is null && Problem is null;

    /// <summary>Takes the address's parameters; unknown values fall back to total time and 50.</summary>
    public void Apply(string? sort, int? top, string? search)
    {
        Sort = Sorts.FirstOrDefault(s => s.Key == sort).Value;
        Top = top is { } t && TopOptions.Contains(t) ? t : 50;
        Search = string.IsNullOrWhiteSpace(search) ? null : search;
    }

    public async Task LoadAsync(string target, CancellationToken ct = default)
    {
        var read = await queries.LoadAsync(target, Sort, Top, Search, ct);
        Problem = read.Problem;
        Report = read.Value ?? Report;
        if (read.Value is not null) Updated = time.GetUtcNow();
    }

    public Task<QueryActionResult> ResetAsync(string target, ClaimsPrincipal user) => queries.ResetAsync(target, user);

    public static string SortKey(StatementSort s) => Sorts.First(x => x.Value == s).Key;

    public static string SortText(StatementSort s) => Sorts.First(x => x.Value == s).Text;

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
