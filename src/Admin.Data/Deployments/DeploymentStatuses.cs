namespace Admin.Data.Deployments;

/// <summary>The statuses of a deployment, spelled as the database and the API spell them.</summary>
public static class DeploymentStatuses
{
    public const string Queued = "queued";
    public const string AwaitingApproval = "awaiting_approval";
    public const string Approved = "approved";
    public const string InProgress = "in_progress";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string RolledBack = "rolled_back";

    public static readonly IReadOnlyList<string> All =
        [Queued, AwaitingApproval, Approved, InProgress, Succeeded, Failed, Cancelled, RolledBack];

    public static bool IsFinal(string status) => status is Failed or Cancelled or RolledBack;

    /// <summary>"in_progress", "InProgress", "in-progress" and "IN PROGRESS" all mean in_progress; anything else null.</summary>
    public static string? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var squashed = new string(text.Where(char.IsLetter).Select(char.ToLowerInvariant).ToArray());
        return All.FirstOrDefault(s => s.Replace("_", "") == squashed);
    }

    public static string Label(string status) => status switch
    {
        AwaitingApproval => "Awaiting approval",
        InProgress => "In progress",
        RolledBack => "Rolled back",
        _ => char.ToUpperInvariant(status[0]) + status[1..],
    };
}

/// <summary>Who asks for a transition: a CI/CD system through the API, or a person in the console.</summary>
public enum TransitionSource { Api, Console }

/// <summary>
/// Queued → AwaitingApproval (protected environments) → Approved → InProgress → Succeeded | Failed | Cancelled;
/// Succeeded → RolledBack; InProgress → InProgress adds a progress note. The database applies the same rules (deploy_transition_error); a test holds the two to
/// the same table, so this copy exists for the UI (which buttons to show) and for reasons without a round trip.
/// </summary>
public static class DeploymentStateMachine
{
    /// <summary>Why <paramref name="from"/> → <paramref name="to"/> is not allowed, or null when it is.</summary>
    public static string? Refusal(string from, string to, bool requiresApproval, TransitionSource via)
    {
        if (!DeploymentStatuses.All.Contains(to)) return $"unknown status {to}";
        // A repeated in_progress is a progress note (a step of a long deployment): it only adds to the history.
        if (from == DeploymentStatuses.InProgress && to == DeploymentStatuses.InProgress) return null;
        if (from == to) return $"the deployment is already {from}";
        if (DeploymentStatuses.IsFinal(from)) return $"the deployment is {from}, which is final";
        return to switch
        {
            DeploymentStatuses.Queued or DeploymentStatuses.AwaitingApproval => $"{to} is set by the console when a deployment is created",
            DeploymentStatuses.Approved when via != TransitionSource.Console => "approval is given in the console by a release manager",
            DeploymentStatuses.Approved when from != DeploymentStatuses.AwaitingApproval => $"only a deployment awaiting approval can be approved (it is {from})",
            DeploymentStatuses.InProgress when from == DeploymentStatuses.Queued && requiresApproval => "this environment requires approval before the deployment starts",
            DeploymentStatuses.InProgress when from == DeploymentStatuses.AwaitingApproval => "the deployment is awaiting approval",
            DeploymentStatuses.InProgress when from is not (DeploymentStatuses.Queued or DeploymentStatuses.Approved) => $"a deployment that is {from} cannot start",
            DeploymentStatuses.Succeeded or DeploymentStatuses.Failed when from != DeploymentStatuses.InProgress => $"only a deployment in progress can become {to} (it is {from})",
            DeploymentStatuses.Cancelled when from is not (DeploymentStatuses.Queued or DeploymentStatuses.AwaitingApproval or DeploymentStatuses.Approved or DeploymentStatuses.InProgress) => $"a deployment that is {from} cannot be cancelled",
            DeploymentStatuses.RolledBack when from != DeploymentStatuses.Succeeded => $"only a succeeded deployment can be rolled back (it is {from})",
            _ => null,
        };
    }

    public static bool Allows(string from, string to, bool requiresApproval, TransitionSource via) =>
        Refusal(from, to, requiresApproval, via) is null;
}
