using System.Globalization;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The time windows of the Database pages as they are written in the address: <c>?window=</c> is <c>live</c> (or
/// absent: figures since the last reset), a preset (<c>1h</c>, <c>24h</c>, <c>7d</c>, <c>yesterday</c> in the browser's
/// zone) or a fixed range <c>2026-12-04T02:00Z/2026-12-04T03:00Z</c> (UTC, so a link shows everyone the same
/// minutes); <c>?compare=</c> is the "before" window: <c>prev</c> (the same length just before), <c>-1d</c>, <c>-7d</c>
/// (the same window a day or a week earlier) or a fixed range.
/// </summary>
public static class WindowAddress
{
    public const string Live = "live";

    public static readonly (string Key, string Label)[] Presets =
        [(Live, "Since reset"), ("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("yesterday", "Yesterday")];

    public static readonly (string Key, string Label)[] Comparisons =
        [("prev", "the window just before"), ("-1d", "the same window a day earlier"), ("-7d", "the same window a week earlier")];

    private const string Format = "yyyy-MM-dd'T'HH:mm'Z'";

    /// <summary>
    /// The window an address value means at <paramref name="now"/>; null for the live view. A value that is not
    /// understood gives the live view and a problem in words.
    /// </summary>
    public static (TimeWindow? Window, string? Problem) Parse(string? value, DateTimeOffset now, TimeZoneInfo zone)
    {
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        switch (value?.Trim())
        {
            case null or "" or Live: return (null, null);
            case "1h": return (new TimeWindow(now.AddHours(-1), now), null);
            case "24h": return (new TimeWindow(now.AddDays(-1), now), null);
            case "7d": return (new TimeWindow(now.AddDays(-7), now), null);
            case "yesterday":
                var local = TimeZoneInfo.ConvertTime(now, zone);
                var today = new DateTimeOffset(local.Date, zone.GetUtcOffset(local.Date));
                var yesterday = new DateTimeOffset(local.Date.AddDays(-1), zone.GetUtcOffset(local.Date.AddDays(-1)));
                return (new TimeWindow(yesterday.ToUniversalTime(), today.ToUniversalTime()), null);
        }
        return ParseRange(value) is { } w ? (w, null)
            : (null, $"The window “{value}” is not understood: use a preset or from/to as 2026-12-04T02:00Z/2026-12-04T03:00Z (from before to). Showing the figures since the last reset.");
    }

    /// <summary>
    /// The window and the "before" window of a comparison as the address gives them (<see cref="Parse"/>,
    /// <see cref="ParseCompare"/>), with the first problem in words (a comparison without a window is one).
    /// </summary>
    public static (TimeWindow? Window, TimeWindow? Before, string? Problem) ParseWithCompare(string? window, string? compare, DateTimeOffset now, TimeZoneInfo zone)
    {
        var (after, problem) = Parse(window, now, zone);
        if (string.IsNullOrWhiteSpace(compare)) return (after, null, problem);
        if (after is null)
            return (null, null, problem ?? "A comparison needs a window: pick one (the comparison is of the window before it).");
        var (before, compareProblem) = ParseCompare(compare, after);
        return (after, before, problem ?? compareProblem);
    }

    /// <summary>The "before" window for <paramref name="after"/>; null (and a problem) when the value is not understood.</summary>
    public static (TimeWindow? Window, string? Problem) ParseCompare(string? value, TimeWindow after)
    {
        switch (value?.Trim())
        {
            case null or "": return (null, null);
            case "prev": return (new TimeWindow(after.From - after.Length, after.From), null);
            case "-1d": return (new TimeWindow(after.From.AddDays(-1), after.To.AddDays(-1)), null);
            case "-7d": return (new TimeWindow(after.From.AddDays(-7), after.To.AddDays(-7)), null);
        }
        return ParseRange(value) is { } w ? (w, null)
            : (null, $"The comparison window “{value}” is not understood: use prev, -1d, -7d or from/to as 2026-12-04T02:00Z/2026-12-04T03:00Z.");
    }

    /// <summary>A custom window typed in the browser's zone (datetime-local values), or why it cannot be one.</summary>
    public static (TimeWindow? Window, string? Problem) FromLocal(string? from, string? to, Func<DateTime, (DateTimeOffset? Utc, string? Problem)> toUtc)
    {
        const string format = "yyyy-MM-dd'T'HH:mm";
        if (!DateTime.TryParseExact(from?.Trim(), [format, format + ":ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var f))
            return (null, "Enter when the window starts (date and time).");
        if (!DateTime.TryParseExact(to?.Trim(), [format, format + ":ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            return (null, "Enter when the window ends (date and time).");
        var (fu, fp) = toUtc(f);
        var (tu, tp) = toUtc(t);
        if (fu is null || tu is null) return (null, fp ?? tp);
        return fu < tu ? (new TimeWindow(fu.Value, tu.Value), null) : (null, "The window must end after it starts.");
    }

    public static string FormatRange(TimeWindow w) =>
        $"{w.From.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture)}/{w.To.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture)}";

    private static TimeWindow? ParseRange(string? value)
    {
        if (value?.Split('/') is not [var from, var to]) return null;
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (!DateTimeOffset.TryParse(from, CultureInfo.InvariantCulture, styles, out var f)
            || !DateTimeOffset.TryParse(to, CultureInfo.InvariantCulture, styles, out var t) || f >= t)
            return null;
        return new TimeWindow(f, t);
    }

    public static string Label(string? key) =>
        Presets.FirstOrDefault(p => p.Key == (string.IsNullOrWhiteSpace(key) ? Live : key)).Label ?? "Custom range";

    /// <summary>
    /// What the sampler covers of the window, when it does not cover all of it ("sampled from 14:32; no samples before"),
    /// in the browser's zone; null when the samples cover the window.
    /// </summary>
    public static string? CoverageNote(SamplerCoverage c, TimeWindow w, TimeSpan interval, Func<DateTimeOffset, string> format)
    {
        if (c.First is not { } first || c.Last is not { } last) return "The sampler has no samples of this target yet: nothing to show for a window.";
        if (c.SamplesInWindow == 0) return $"No samples in this window: the sampler has samples from {format(first)} to {format(last)}.";
        var notes = new List<string>();
        if (c.StartsBefore(w)) notes.Add($"sampled from {format(first)}; no samples before");
        if (c.EndsAfter(w, interval * 2)) notes.Add($"last sample {format(last)}; nothing after");
        return notes.Count == 0 ? null : char.ToUpperInvariant(notes[0][0]) + string.Join("; ", notes)[1..] + ".";
    }
}
