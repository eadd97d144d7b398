using Microsoft.JSInterop;

namespace Admin.Web.Features.Content.History;

/// <summary>
/// The reader's time zone, asked from the browser once per circuit. Until it is known (and in prerendering) times show
/// in UTC, labelled as such; <see cref="LocalTime"/> re-renders itself when the zone arrives.
/// </summary>
public sealed class BrowserTime(IJSRuntime js, ILogger<BrowserTime> logger)
{
    private Task<bool>? _loading;

    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    /// <summary>Asks the browser for its zone (only once); true when that changed what times show.</summary>
    public Task<bool> LoadAsync() => _loading ??= AskAsync();

    public DateTimeOffset ToLocal(DateTimeOffset time) => TimeZoneInfo.ConvertTime(time, Zone);

    public string Format(DateTimeOffset time) => ToLocal(time).ToString("yyyy-MM-dd HH:mm");

    /// <summary>The zone as a short offset at that moment: "UTC", "UTC+1", "UTC+5:30", "UTC-4".</summary>
    public string ZoneLabel(DateTimeOffset time)
    {
        var offset = Zone.GetUtcOffset(time);
        if (offset == TimeSpan.Zero) return "UTC";
        var sign = offset < TimeSpan.Zero ? "-" : "+";
        var abs = offset.Duration();
        return $"UTC{sign}{abs.Hours}" + (abs.Minutes == 0 ? "" : $":{abs.Minutes:00}");
    }

    public string Describe(DateTimeOffset time) =>
        $"{Zone.Id}: {ToLocal(time):yyyy-MM-dd HH:mm:ss} · UTC: {time.UtcDateTime:yyyy-MM-dd HH:mm:ss}";

    private async Task<bool> AskAsync()
    {
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", "./js/browser-time.js");
            var id = await module.InvokeAsync<string>("timeZone");
            if (TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)) Zone = zone;
            else logger.LogInformation("Browser time zone {Zone} is unknown here; showing UTC", id);
            return Zone != TimeZoneInfo.Utc;
        }
        catch (Exception ex) when (ex is JSException or JSDisconnectedException or TaskCanceledException or InvalidOperationException)
        {
            return false;
        }
    }
}
