using Admin.Data.Database;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Database;

/// <summary>The Overview's state: a target's server facts, health checks and pre-deploy checklist, or why they are missing.</summary>
public sealed class OverviewState(DatabaseOverview overview, HealthChecks health, PreDeployChecks preDeploy, TimeProvider time)
{
    public ServerFacts? Facts { get; private set; }
    public HealthReport? Health { get; private set; }
    public PreDeployReport? PreDeploy { get; private set; }
    public string? Error { get; private set; }
    public DateTimeOffset? Updated { get; private set; }
    public bool Loading => Facts is null && Error is null;

    public void Reset()
    {
        Facts = null; Health = null; PreDeploy = null; Error = null;
    }

    public async Task LoadAsync(MonitoringTarget target, CancellationToken ct = default)
    {
        try
        {
            Facts = await overview.LoadAsync(target, ct);
            Health = await health.RunAsync(target, ct);
            PreDeploy = await preDeploy.RunAsync(target.Name, ct);
            Error = null;
            Updated = time.GetUtcNow();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = DatabaseOverview.Unreachable(target.Name, e);
        }
    }

    /// <summary>Failures first, then warnings, then passes.</summary>
    public IEnumerable<HealthCheck> ChecksInOrder => (Health?.Checks ?? []).OrderBy(c => c.Status switch { CheckStatus.Fail => 0, CheckStatus.Warn => 1, _ => 2 });

    public int Count(CheckStatus status) => Health?.Checks.Count(c => c.Status == status) ?? 0;

    public string StatementsStatus => Facts is null ? "" : Facts.StatementsUsable ? "installed" : Facts.HasPgStatStatements ? "not loaded" : "not installed";

    public static StatusTone Tone(CheckStatus s) => s switch { CheckStatus.Fail => StatusTone.Danger, CheckStatus.Warn => StatusTone.Warning, _ => StatusTone.Success };

    public static string Css(CheckStatus s) => s switch { CheckStatus.Fail => "fail", CheckStatus.Warn => "warn", _ => "pass" };

    public static string Text(CheckStatus s) => s.ToString().ToUpperInvariant();
}
