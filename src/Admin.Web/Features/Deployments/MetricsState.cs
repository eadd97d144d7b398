using Admin.Data;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The DORA dashboard's state: the range and filter (always a range: an open end means today, an open start 30 days
/// before the end), the metrics, and the two charts' ApexCharts options built from them.
/// </summary>
public sealed class MetricsState(DeploymentMetrics metrics, Func<DateTimeOffset> now)
{
    private static readonly IReadOnlyDictionary<string, string> Colours = new Dictionary<string, string>
    {
        [DeploymentStatuses.Queued] = "#607d8b", [DeploymentStatuses.AwaitingApproval] = "#b26a00", [DeploymentStatuses.Approved] = "#0277bd",
        [DeploymentStatuses.InProgress] = "#1565c0", [DeploymentStatuses.Succeeded] = "#2e7d32", [DeploymentStatuses.Failed] = "#c62828",
        [DeploymentStatuses.Cancelled] = "#9e9e9e", [DeploymentStatuses.RolledBack] = "#6a1b9a",
    };

    public DeploymentFilter Filter { get; private set; } = new();
    public DashboardMetrics? Metrics { get; private set; }
    public object? PerDayOptions { get; private set; }
    public object? OutcomeOptions { get; private set; }
    public object? LeadTimeOptions { get; private set; }
    public string? Error { get; private set; }

    /// <summary>The filter with its range completed (see the class summary).</summary>
    public DeploymentFilter Complete(DeploymentFilter value)
    {
        var to = value.To ?? new DateTimeOffset(now().UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        return value with { To = to, From = value.From ?? to.AddDays(-30) };
    }

    /// <summary>Shows <paramref name="filter"/> (completed); false when it is the one shown already.</summary>
    public async Task<bool> ApplyAsync(DeploymentFilter filter, CancellationToken ct = default)
    {
        var complete = Complete(filter);
        if (Metrics is not null && complete == Filter) return false;
        Filter = complete;
        await LoadAsync(ct);
        return true;
    }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        try
        {
            Error = null;
            var m = await metrics.LoadAsync(Filter.From!.Value, Filter.To!.Value, Filter.Environment, Filter.Service, ct);
            Metrics = m;
            PerDayOptions = PerDay(m);
            OutcomeOptions = Outcomes(m);
            LeadTimeOptions = LeadTimes(m);
        }
        catch (UserFacingException e) { Error = e.Message; }
    }

    public static object PerDay(DashboardMetrics m)
    {
        var days = Enumerable.Range(0, (int)Math.Ceiling(m.Days)).Select(i => m.From.UtcDateTime.Date.AddDays(i)).ToList();
        var counts = m.PerDay.ToDictionary(d => (d.Day.Date, d.Status), d => d.Count);
        var shown = DeploymentStatuses.All.Where(s => m.PerDay.Any(d => d.Status == s)).ToList();
        return new
        {
            chart = new { type = "bar", stacked = true, height = 300, toolbar = new { show = false }, animations = new { enabled = false } },
            series = shown.Select(s => new
            {
                name = DeploymentStatuses.Label(s),
                data = days.Select(day => new object[] { new DateTimeOffset(day, TimeSpan.Zero).ToUnixTimeMilliseconds(), counts.GetValueOrDefault((day, s)) }),
            }),
            colors = shown.Select(s => Colours[s]),
            xaxis = new { type = "datetime", labels = new { datetimeUTC = true } },
            yaxis = new { min = 0, forceNiceScale = true },
            dataLabels = new { enabled = false },
            legend = new { position = "top" },
            noData = new { text = "No deployments in this range" },
        };
    }

    public static object Outcomes(DashboardMetrics m)
    {
        var s = m.Summary;
        return new
        {
            chart = new { type = "donut", height = 300, animations = new { enabled = false } },
            series = new[] { s.Succeeded, s.Failed, s.RolledBack, s.Cancelled, s.Open },
            labels = new[] { "Succeeded", "Failed", "Rolled back", "Cancelled", "Open" },
            colors = new[] { Colours[DeploymentStatuses.Succeeded], Colours[DeploymentStatuses.Failed], Colours[DeploymentStatuses.RolledBack],
                             Colours[DeploymentStatuses.Cancelled], Colours[DeploymentStatuses.InProgress] },
            legend = new { position = "bottom" },
            noData = new { text = "No deployments in this range" },
        };
    }

    /// <summary>p90 and p95, and how many samples were commits (the rest: deployments that list none, measured from their own commit).</summary>
    public static string LeadTimeNote(DashboardMetrics m) =>
        $"p90 {Duration(m.Summary.LeadTimeP90)}, p95 {Duration(m.Summary.LeadTimeP95)}; {m.Summary.LeadTimeCommits:N0} commits and " +
        $"{m.Summary.LeadTimeSamples - m.Summary.LeadTimeCommits:N0} deployments without commits, to {m.LeadTimeEnvironment}";

    public static object LeadTimes(DashboardMetrics m) => new
    {
        chart = new { type = "bar", height = 300, toolbar = new { show = false }, animations = new { enabled = false } },
        series = new[] { new { name = "Changes", data = m.LeadTimeBuckets.Select(b => b.Count) } },
        xaxis = new { categories = m.LeadTimeBuckets.Select(b => b.Label) },
        colors = new[] { Colours[DeploymentStatuses.Approved] },
        dataLabels = new { enabled = false },
        noData = new { text = "No changes shipped in this range" },
    };

    public static string Duration(double? seconds) => seconds switch
    {
        null => "—",
        < 90 => $"{seconds:0} s",
        < 5400 => $"{seconds / 60:0} min",
        < 172800 => $"{seconds / 3600:0.#} h",
        _ => $"{seconds / 86400:0.#} d",
    };

    public static string Percent(double? rate) => rate is { } r ? $"{r * 100:0.#} %" : "—";
}
