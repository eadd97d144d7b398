using Admin.Data.Deployments;
using Admin.Data.Database;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Deployments;

/// <summary>What a deployment status, a DORA level and a pre-deploy check result mean as a <see cref="StatusChip"/> tone.</summary>
public static class DeploymentTones
{
    public static StatusTone Of(string status) => status switch
    {
        DeploymentStatuses.AwaitingApproval => StatusTone.Warning,
        DeploymentStatuses.Approved => StatusTone.Info,
        DeploymentStatuses.InProgress => StatusTone.Primary,
        DeploymentStatuses.Succeeded => StatusTone.Success,
        DeploymentStatuses.Failed => StatusTone.Danger,
        DeploymentStatuses.RolledBack => StatusTone.Danger,
        _ => StatusTone.Neutral, // queued, cancelled
    };

    public static StatusTone Of(DoraLevel level) => level switch
    {
        DoraLevel.Elite => StatusTone.Success,
        DoraLevel.High => StatusTone.Info,
        DoraLevel.Medium => StatusTone.Warning,
        DoraLevel.Low => StatusTone.Danger,
        _ => StatusTone.Neutral,
    };

    public static StatusTone Of(CheckStatus check) => check switch
    {
        CheckStatus.Pass => StatusTone.Success,
        CheckStatus.Warn => StatusTone.Warning,
        _ => StatusTone.Danger,
    };
}
