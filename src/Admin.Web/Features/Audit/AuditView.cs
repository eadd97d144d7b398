using System.Globalization;
using Admin.Data.Audit;

namespace Admin.Web.Features.Audit;

/// <summary>
/// The viewer's state as it lives in the address (so a link shows the same events): tab, time range (a preset or
/// from/to), filters, the page's keyset cursor and whether the live tail is paused. The export endpoint reads the same.
/// </summary>
public sealed record AuditView(
    string Tab = AuditView.AuditTab, string? Range = null, DateTimeOffset? From = null, DateTimeOffset? To = null, string? Actor = null,
    string? Action = null, string? Table = null, string? Record = null, string? Request = null, string? Text = null, string? Before = null,
    bool Paused = false)
{
    public const string AuditTab = "audit";
    public const string DenialsTab = "denials";

    public static readonly IReadOnlyList<(string Value, string Label, TimeSpan Span)> Ranges =
    [
        ("1h", "Last hour", TimeSpan.FromHours(1)), ("24h", "Last 24 hours", TimeSpan.FromDays(1)), ("7d", "Last 7 days", TimeSpan.FromDays(7)),
        ("30d", "Last 30 days", TimeSpan.FromDays(30)), ("90d", "Last 90 days", TimeSpan.FromDays(90)),
    ];

    public bool IsDenials => Tab == DenialsTab;

    public AuditFilter ToFilter(DateTimeOffset now) =>
        new(From ?? (Ranges.FirstOrDefault(r => r.Value == Range) is { Label: not null } r ? now - r.Span : null), To, Actor, Action, Table, Record, Request, Text);

    public static AuditView Parse(Func<string, string?> query)
    {
        string? Text(string name) => query(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim()[..Math.Min(v.Trim().Length, 300)] : null;
        DateTimeOffset? Time(string name) =>
            Text(name) is { } v && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : null;
        return new AuditView(
            Text("tab") == DenialsTab ? DenialsTab : AuditTab,
            Text("range") is { } range && Ranges.Any(r => r.Value == range) ? range : null,
            Time("from"), Time("to"), Text("actor"), Text("action"), Text("table"), Text("record"), Text("request"), Text("q"),
            Text("before"), Text("tail") == "paused");
    }

    /// <summary>The query string parameters (null removes one), for NavigationManager.GetUriWithQueryParameters and links.</summary>
    public IReadOnlyDictionary<string, object?> ToQuery() => new Dictionary<string, object?>
    {
        ["tab"] = IsDenials ? DenialsTab : null, ["range"] = Range,
        ["from"] = From?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["to"] = To?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["actor"] = Actor, ["action"] = Action, ["table"] = Table, ["record"] = Record, ["request"] = Request, ["q"] = Text,
        ["before"] = Before, ["tail"] = Paused ? "paused" : null,
    };

    public string ToQueryString() => string.Join("&", ToQuery().Where(p => p.Value is not null)
        .Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!.ToString()!)}"));

    public bool HasFilters => Range is not null || From is not null || To is not null || Actor is not null || Action is not null || Table is not null
                              || Record is not null || Request is not null || Text is not null;
}
