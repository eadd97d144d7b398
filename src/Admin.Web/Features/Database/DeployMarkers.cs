using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// Deployments and release events as ApexCharts x-axis annotations (a dashed vertical line with a short label) on the
/// Database charts, and where each one links to. The chart itself stays the generic ApexChart component: the markers
/// are part of the options object it is given.
/// </summary>
public static class DeployMarkers
{
    // Dark label backgrounds with white text: readable on the light and the dark theme (contrast over 7:1).
    private const string DeploymentColor = "#8a4b00";
    private const string ReleaseColor = "#6a1b9a";

    public static object Annotations(IReadOnlyList<DeployEvent>? markers) => new
    {
        xaxis = (markers ?? []).Select(m => new
        {
            x = m.At.ToUnixTimeMilliseconds(),
            borderColor = Color(m),
            strokeDashArray = 4,
            label = new
            {
                text = m.Short,
                orientation = "vertical",
                borderColor = Color(m),
                style = new { background = Color(m), color = "#ffffff", fontSize = "11px" },
            },
        }).ToArray(),
    };

    private static string Color(DeployEvent m) => m.Kind == DeployEventKinds.Deployment ? DeploymentColor : ReleaseColor;

    /// <summary>Which events count, in words: "deployments to production, release deploys and rollbacks".</summary>
    public static string Scope(RegressionOptions o) =>
        (o.EnvironmentFilter is { } env ? $"deployments to {env}" : "deployments to every environment")
        + (o.IncludeReleases ? ", release deploys and rollbacks" : "");

    /// <summary>The page of the deployment or release.</summary>
    public static string Link(DeployEvent e) => e.Kind == DeployEventKinds.Deployment ? $"/deployments/{e.Id}" : $"/releases/{e.Id}";

    /// <summary>The Regressions page for the event on a target.</summary>
    public static string RegressionsLink(DeployEvent e, string target) =>
        DatabaseNav.Link("/database/regressions", target) + (target == MonitoringTarget.ConsoleTargetName ? "?" : "&") + "event=" + Uri.EscapeDataString(e.Key);
}
