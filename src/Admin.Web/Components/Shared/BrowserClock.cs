using System.Globalization;
using Microsoft.JSInterop;

namespace Admin.Web.Components.Shared;

/// <summary>
/// The time zone of the browser this circuit serves, so times show as the editor's wall clock (with the zone's name)
/// and times the editor picks convert to UTC the way they meant them. Until the browser has answered (prerendering,
/// or before the first interactive render) times show in UTC, which the zone name makes plain.
/// </summary>
public sealed class BrowserClock(IJSRuntime js) : IAsyncDisposable
{
    private static readonly CultureInfo Culture = CultureInfo.GetCultureInfo("en-GB");
    private IJSObjectReference? _module;

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    public bool IsDetected { get; private set; }

    /// <summary>"Europe/Berlin (UTC+01:00)": the zone times are shown and picked in, with its current offset.</summary>
    public string ZoneName => Describe(Zone, DateTimeOffset.UtcNow);

    /// <summary>Asks the browser for its zone (once per circuit); true when the zone was learnt by this call.</summary>
    public async Task<bool> DetectAsync()
    {
        if (IsDetected) return false;
        try
        {
            var id = await (await ModuleAsync()).InvokeAsync<string>("timeZone");
            Zone = TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
            IsDetected = true;
            return true;
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The module of the content editor's browser helpers (shared, imported once per circuit).</summary>
    public async Task<IJSObjectReference> ModuleAsync() =>
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", "./js/content.js");

    public DateTime ToLocal(DateTimeOffset time) => TimeZoneInfo.ConvertTime(time, Zone).DateTime;

    /// <summary>"2 Dec 2026, 09:00", in the browser's zone.</summary>
    public string Format(DateTimeOffset time) => ToLocal(time).ToString("d MMM yyyy, HH:mm", Culture);

    /// <summary>"2 Dec, 09:00" (the year only when it is not this year), in the browser's zone: for tight table cells.</summary>
    public string FormatShort(DateTimeOffset time) => $"{FormatDate(time)}, {FormatTime(time)}";

    /// <summary>"2 Dec" (with the year when it is not this year) and "09:00": a time split over two short lines.</summary>
    public string FormatDate(DateTimeOffset time)
    {
        var local = ToLocal(time);
        return local.ToString(local.Year == ToLocal(DateTimeOffset.UtcNow).Year ? "d MMM" : "d MMM yyyy", Culture);
    }

    public string FormatTime(DateTimeOffset time) => ToLocal(time).ToString("HH:mm", Culture);

    /// <summary>The zone as a short offset at that moment: "UTC", "UTC+1", "UTC+5:30", "UTC-4" (for table cells).</summary>
    public string ZoneLabel(DateTimeOffset time)
    {
        var offset = Zone.GetUtcOffset(time);
        if (offset == TimeSpan.Zero) return "UTC";
        var abs = offset.Duration();
        return $"UTC{(offset < TimeSpan.Zero ? "-" : "+")}{abs.Hours}" + (abs.Minutes == 0 ? "" : $":{abs.Minutes:00}");
    }

    /// <summary>"Europe/Berlin: 2026-12-02 09:00:00 · UTC: 2026-12-02 08:00:00": both clocks, for a tooltip.</summary>
    public string DescribeBoth(DateTimeOffset time) =>
        $"{Zone.Id}: {ToLocal(time):yyyy-MM-dd HH:mm:ss} · UTC: {time.UtcDateTime:yyyy-MM-dd HH:mm:ss}";

    /// <summary>"2026-12-02 09:00" in the browser's zone: sortable, for lists.</summary>
    public string FormatIso(DateTimeOffset time) => ToLocal(time).ToString("yyyy-MM-dd HH:mm", Culture);

    /// <summary>The zone's name alone ("Europe/Berlin", or "UTC").</summary>
    public string ZoneId => ZoneName.Split(' ')[0];

    /// <summary>"2 Dec 2026, 09:00 Europe/Berlin (UTC+01:00)": the time with the zone it is shown in.</summary>
    public string FormatWithZone(DateTimeOffset time) => $"{Format(time)} {Describe(Zone, time)}";

    /// <summary>
    /// Reads a wall-clock time picked in the browser's zone as the instant it means. Null with a reason when that
    /// local time does not exist (the hour skipped when clocks go forward).
    /// </summary>
    public (DateTimeOffset? Utc, string? Problem) FromLocal(DateTime local)
    {
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (Zone.IsInvalidTime(unspecified))
            return (null, $"{unspecified.ToString("d MMM yyyy, HH:mm", Culture)} does not exist in {Zone.Id} (the clocks go forward then). Pick another time.");
        var offset = Zone.GetUtcOffset(unspecified);
        return (new DateTimeOffset(unspecified, offset).ToUniversalTime(), null);
    }

    /// <summary>The wall-clock time a datetime-local input holds ("yyyy-MM-ddTHH:mm", with seconds when its step allows); null when empty or malformed.</summary>
    public static DateTime? ParseInput(string? text) =>
        DateTime.TryParseExact(text, ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value : null;

    public static string Describe(TimeZoneInfo zone, DateTimeOffset at)
    {
        var offset = zone.GetUtcOffset(at);
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        return zone.Id is "UTC" or "Etc/UTC" or "Etc/Universal" || zone == TimeZoneInfo.Utc
            ? "UTC"
            : $"{zone.Id} (UTC{sign}{offset.Duration():hh\\:mm})";
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is null) return;
        try { await _module.DisposeAsync(); }
        catch (JSDisconnectedException) { }
    }
}
