using System.Globalization;

namespace Admin.Data.Deployments;

/// <summary>Filters shared by the list, the dashboard and the export. Null means "any"; the range is on created_at.</summary>
public sealed record DeploymentFilter(
    DateTimeOffset? From = null, DateTimeOffset? To = null, string? Environment = null, string? Service = null,
    string? Status = null, string? Text = null);

public sealed record DeploymentListItem(
    long Id, string ExternalId, string Service, string Environment, string Version, string CommitSha, long? ReleaseId,
    string RequestedBy, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>Where the next page of the list starts: the last row's (created_at, id).</summary>
public sealed record DeploymentCursor(DateTimeOffset CreatedAt, long Id)
{
    public override string ToString() => $"{CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}.{Id.ToString(CultureInfo.InvariantCulture)}";

    public static DeploymentCursor? Parse(string? text)
    {
        var parts = text?.Split('.');
        return parts is [var ticks, var id] && long.TryParse(ticks, CultureInfo.InvariantCulture, out var t) && long.TryParse(id, CultureInfo.InvariantCulture, out var i)
               && t >= DateTimeOffset.MinValue.UtcTicks && t <= DateTimeOffset.MaxValue.UtcTicks
            ? new DeploymentCursor(new DateTimeOffset(t, TimeSpan.Zero), i)
            : null;
    }
}

public sealed record DeploymentPage(IReadOnlyList<DeploymentListItem> Items, DeploymentCursor? Next);

/// <param name="RequestedById">The requester's console user, when the requester is one (always, for deployments reported since TokenScopes to environments that require approval).</param>
/// <param name="TokenHolderId">The creator of the API token that reported the deployment (none for deployments reported before TokenScopes, or seeded).</param>
public sealed record DeploymentRow(
    long Id, string ExternalId, string Service, string Environment, string Version, string CommitSha, DateTimeOffset? CommitAt,
    long? ReleaseId, Guid? RequestedById, string RequestedBy, string Status, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, DateTimeOffset? RolledBackAt, bool RequiresApproval,
    Guid? TokenHolderId = null, string? TokenHolder = null);

public sealed record StatusEntry(long Id, string Status, string? Message, string? Actor, DateTimeOffset OccurredAt);

public sealed record DeploymentDetail(DeploymentRow Deployment, IReadOnlyList<StatusEntry> History);

public sealed record DeployEnvironment(string Name, bool RequiresApproval, int DisplayOrder);

/// <summary>A refusal the user can act on (wrong role, not allowed now, bad input), with the field when there is one.</summary>
public sealed class DeploymentException(string message, string? field = null) : UserFacingException(message, field);

/// <summary>audit_events.action values of the deployments area (the approval ones are written by deploy_decide in SQL).</summary>
public static class DeploymentAuditActions
{
    public const string Approved = "deployment.approved";
    public const string Rejected = "deployment.rejected";
    public const string Exported = "deployment.exported";
    public const string TokenCreated = "deployment.token_created";
    public const string TokenRevoked = "deployment.token_revoked";
    public const string TokenScopeChanged = "deployment.token_scope_changed";
    /// <summary>A call of the ingestion API refused by the database (403 outside the token's scope, 422 unknown requester); written by deploy_api_refuse.</summary>
    public const string ApiRefused = "deployment.api_refused";
}
