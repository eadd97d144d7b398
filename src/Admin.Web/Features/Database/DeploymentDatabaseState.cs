using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// "Database after this deployment" on a deployment's page: per monitoring target, the comparison of the windows
/// before and after the deployment. <see cref="Full"/> (Admin, Dba) shows the statements; a release manager sees the
/// counts only, never a statement's text (the statements are the DBA area's).
/// </summary>
public sealed class DeploymentDatabaseState(DeployRegressions regressions, MonitoringTargets targets, TimeProvider time)
{
    public bool Full { get; private set; }
    public DeployEvent? Event { get; private set; }
    public IReadOnlyList<(string Target, RegressionReport Report)> Reports { get; private set; } = [];
    public string? Note { get; private set; }
    public bool Loaded { get; private set; }

    public RegressionOptions Options => regressions.Options;

    /// <summary>The statements shown per target on the deployment's page (the rest on the Regressions page).</summary>
    public const int Shown = 10;

    public async Task LoadAsync(long deploymentId, bool full, CancellationToken ct = default)
    {
        Full = full;
        Event = await regressions.EventAsync(DeployEventKinds.Deployment, deploymentId, ct);
        Note = Event is null
            ? $"Not compared: the statistics sampler copies finished deployments within a minute, and only the events it compares ({DeployMarkers.Scope(regressions.Options)}) of the last {regressions.Options.Lookback.TotalDays:0} days."
            : null;
        var reports = new List<(string, RegressionReport)>();
        if (Event is not null)
            foreach (var t in targets.All)
                reports.Add((t.Name, await regressions.EvaluateAsync(t.Name, Event, time.GetUtcNow(), ct)));
        Reports = reports;
        Loaded = true;
    }

    /// <summary>"2 statements slower or busier, 1 new heavy statement".</summary>
    public static string Summary(RegressionReport r) =>
        $"{r.Regressions.Count} {(r.Regressions.Count == 1 ? "statement" : "statements")} slower or busier, "
        + $"{r.NewHeavy.Count} new heavy {(r.NewHeavy.Count == 1 ? "statement" : "statements")}";
}
