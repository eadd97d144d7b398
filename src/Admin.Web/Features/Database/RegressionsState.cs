using System.Globalization;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Regressions page's state: the events of the last days with the counts the sampler's leader stored for them, and
/// for the event in the address (<c>?event=deployment:12</c>) its comparison computed now, with the statements' texts.
/// </summary>
public sealed class RegressionsState(DeployRegressions regressions, TimeProvider time)
{
    public IReadOnlyList<RegressionSummary>? Events { get; private set; }
    public bool OnlyRegressed { get; private set; }
    public string? EventKey { get; private set; }
    public RegressionReport? Report { get; private set; }
    public string? Problem { get; private set; }
    public TimeWindow? Range { get; private set; }
    public DateTimeOffset? Updated { get; private set; }

    public RegressionOptions Options => regressions.Options;

    public IReadOnlyList<RegressionSummary> Visible =>
        Events is null ? [] : OnlyRegressed ? Events.Where(e => e.Regressions > 0 || e.NewHeavy > 0).ToList() : Events;

    public int Evaluated => Events?.Count(e => e.Regressions is not null) ?? 0;
    public int Regressed => Events?.Count(e => e.Regressions > 0 || e.NewHeavy > 0) ?? 0;

    public void Apply(string? eventKey, string? only)
    {
        EventKey = string.IsNullOrWhiteSpace(eventKey) ? null : eventKey.Trim();
        OnlyRegressed = only == "regressed";
    }

    /// <summary><c>deployment:12</c> → (deployment, 12); anything else null.</summary>
    public static (string Kind, long Id)? ParseEvent(string? key) =>
        key?.Split(':') is [var kind, var id] && DeployEventKinds.IsKnown(kind) && long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? (kind, n) : null;

    public async Task LoadAsync(string target, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        Range = new TimeWindow(now - regressions.Options.Lookback, now);
        Events = await regressions.ListAsync(target, Range, ct: ct);
        Problem = null;
        Report = null;
        if (EventKey is not null)
        {
            if (ParseEvent(EventKey) is not { } key)
                Problem = $"“{EventKey}” is not an event: use deployment:12, release_deploy:5 or release_rollback:5.";
            else if (await regressions.EventAsync(key.Kind, key.Id, ct) is not { } e)
                Problem = $"The Database area does not know {key.Kind.Replace('_', ' ')} #{key.Id}: it is not finished, older than {regressions.Options.Lookback.TotalDays:0} days, or not in the events compared ({DeployMarkers.Scope(regressions.Options)}).";
            else
                Report = await regressions.EvaluateAsync(target, e, now, ct);
        }
        Updated = now;
    }

    /// <summary>What counts as a regression, in words.</summary>
    public static string Rules(RegressionOptions o) =>
        $"{o.Before.TotalMinutes:0} min before each event against up to {o.After.TotalMinutes:0} min after it. Slower: mean time +{o.MeanPercent:0.#} % and +{SlowQueriesState.FormatMs(o.MeanMs)} or more; "
        + $"busier: calls per minute ×{o.CallsFactor:0.#} or more; both with at least {o.MinCalls:N0} calls in each window. "
        + $"New heavy: not called before, at least {o.MinCalls:N0} calls and {SlowQueriesState.FormatMs(o.NewHeavyTotalMs)} in total after.";

    public static string Reasons(RegressionReason r) => string.Join(", ", new[]
    {
        r.HasFlag(RegressionReason.Slower) ? "slower" : null,
        r.HasFlag(RegressionReason.MoreCalls) ? "more calls" : null,
        r.HasFlag(RegressionReason.New) ? "new" : null,
    }.Where(x => x is not null));

    public static string Percent(double? p) => p is { } v ? SlowQueriesState.Signed(v, " %") : "—";

    public static string PerMinute(double v) => v.ToString(v >= 10 ? "#,0" : "0.##", CultureInfo.InvariantCulture);

    /// <summary>The statement's page (history chart with the markers).</summary>
    public static string StatementLink(long queryId, string target) => DatabaseNav.Link($"/database/queries/{queryId}", target);

    /// <summary>The slow-query comparison with both windows in the address, filtered to the statement.</summary>
    public static string CompareLink(RegressionReport r, RegressionStatement s, string target)
    {
        var flat = SlowQueriesState.Shorten(s.Query);
        var q = flat.Length > 60 ? flat[..60] : flat;
        return DatabaseNav.Link("/database/queries", target) + (target == MonitoringTarget.ConsoleTargetName ? "?" : "&")
            + $"window={Uri.EscapeDataString(WindowAddress.FormatRange(Minutes(r.After)))}&compare={Uri.EscapeDataString(WindowAddress.FormatRange(Minutes(r.Before)))}"
            + $"&change=meanpct&q={Uri.EscapeDataString(q)}";
    }

    /// <summary>The window widened to whole minutes (the address is written in minutes).</summary>
    private static TimeWindow Minutes(TimeWindow w)
    {
        var minute = TimeSpan.TicksPerMinute;
        var from = new DateTimeOffset(w.From.UtcTicks - w.From.UtcTicks % minute, TimeSpan.Zero);
        var to = new DateTimeOffset(w.To.UtcTicks + (minute - w.To.UtcTicks % minute) % minute, TimeSpan.Zero);
        return new TimeWindow(from, to);
    }
}
