using Admin.Data.Infrastructure;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

/// <summary>
/// What people do with deployments in the console: browse (keyset-paged), open one with its timeline, and approve or
/// reject a waiting one. Approval rules are enforced in deploy_decide (role, not the requester, state, audit) and
/// mirrored here so the UI can explain itself before the round trip.
/// </summary>
public sealed class DeploymentService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    public const int MaxPageSize = 200;
    public const string AdminRole = "Admin";
    public const string ReleaseManagerRole = "ReleaseManager";

    public async Task<DeploymentPage> ListAsync(DeploymentFilter filter, DeploymentCursor? after = null, int pageSize = 50, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var text = LikePattern.Contains(filter.Text);
        var rows = await db.Database.SqlQuery<DeploymentListItem>($"""
            SELECT id AS "id", external_id AS "external_id", service AS "service", environment AS "environment",
                   version AS "version", commit_sha AS "commit_sha", release_id AS "release_id", requested_by_email AS "requested_by",
                   status AS "status", created_at AS "created_at", started_at AS "started_at", finished_at AS "finished_at"
            FROM deployments
            WHERE ({filter.From}::timestamptz IS NULL OR created_at >= {filter.From})
              AND ({filter.To}::timestamptz IS NULL OR created_at < {filter.To})
              AND ({filter.Environment}::text IS NULL OR environment = {filter.Environment})
              AND ({filter.Service}::text IS NULL OR service = {filter.Service})
              AND ({filter.Status}::text IS NULL OR status = {filter.Status})
              AND ({text}::text IS NULL OR external_id ILIKE {text} OR version ILIKE {text} OR commit_sha ILIKE {text} OR requested_by_email ILIKE {text})
              AND ({after?.CreatedAt}::timestamptz IS NULL OR (created_at, id) < ({after?.CreatedAt}, {after?.Id ?? 0}))
            ORDER BY created_at DESC, id DESC
            LIMIT {pageSize + 1}
            """).ToListAsync(ct);
        var items = rows.Take(pageSize).ToList();
        return new DeploymentPage(items, rows.Count > pageSize ? new DeploymentCursor(items[^1].CreatedAt, items[^1].Id) : null);
    }

    /// <summary>The deployment and its whole timeline (two indexed queries on one connection).</summary>
    public async Task<DeploymentDetail?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var row = (await db.Database.SqlQuery<DeploymentRow>($"""
            SELECT d.id AS "id", d.external_id AS "external_id", d.service AS "service", d.environment AS "environment",
                   d.version AS "version", d.commit_sha AS "commit_sha", d.commit_at AS "commit_at", d.release_id AS "release_id",
                   d.requested_by AS "requested_by_id", d.requested_by_email AS "requested_by", d.status AS "status",
                   d.created_at AS "created_at", d.started_at AS "started_at", d.finished_at AS "finished_at",
                   d.rolled_back_at AS "rolled_back_at", e.requires_approval AS "requires_approval",
                   d.token_holder AS "token_holder_id", d.token_holder_email AS "token_holder"
            FROM deployments d JOIN deploy_environments e ON e.name = d.environment
            WHERE d.id = {id}
            """).ToListAsync(ct)).SingleOrDefault();
        if (row is null) return null;
        var history = await db.Database.SqlQuery<StatusEntry>($"""
            SELECT id AS "id", status AS "status", message AS "message", actor AS "actor", occurred_at AS "occurred_at"
            FROM deployment_status_history WHERE deployment_id = {id} ORDER BY id
            """).ToListAsync(ct);
        return new DeploymentDetail(row, history);
    }

    /// <summary>Deployments waiting for approval, oldest first (a partial index keeps this cheap at any table size).</summary>
    public async Task<IReadOnlyList<DeploymentListItem>> WaitingAsync(int limit = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<DeploymentListItem>($"""
            SELECT id AS "id", external_id AS "external_id", service AS "service", environment AS "environment",
                   version AS "version", commit_sha AS "commit_sha", release_id AS "release_id", requested_by_email AS "requested_by",
                   status AS "status", created_at AS "created_at", started_at AS "started_at", finished_at AS "finished_at"
            FROM deployments WHERE status = 'awaiting_approval'
            ORDER BY created_at LIMIT {Math.Clamp(limit, 1, MaxPageSize)}
            """).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<DeployEnvironment>> EnvironmentsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<DeployEnvironment>($"""
            SELECT name AS "name", requires_approval AS "requires_approval", display_order AS "display_order"
            FROM deploy_environments ORDER BY display_order, name
            """).ToListAsync(ct);
    }

    /// <summary>Distinct service names by a loose index scan (one index probe per service, not a scan of every row).</summary>
    public async Task<IReadOnlyList<string>> ServicesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<string>($"""
            WITH RECURSIVE s(service) AS (
                (SELECT service FROM deployments ORDER BY service LIMIT 1)
                UNION ALL
                SELECT (SELECT d.service FROM deployments d WHERE d.service > s.service ORDER BY d.service LIMIT 1)
                FROM s WHERE s.service IS NOT NULL)
            SELECT service AS "Value" FROM s WHERE service IS NOT NULL LIMIT 500
            """).ToListAsync(ct);
    }

    /// <summary>
    /// Whether the current user may decide on this deployment at all, and if not why (for the UI). Four eyes: neither
    /// the requester nor the creator of the API token that reported it (the token holder). deploy_decide enforces the
    /// same in SQL.
    /// </summary>
    public string? WhyCannotDecide(DeploymentRow deployment)
    {
        var me = session.Current;
        if (!CanApprove(me)) return "Only release managers and admins approve or reject deployments.";
        if (deployment.Status != DeploymentStatuses.AwaitingApproval) return $"The deployment is {DeploymentStatuses.Label(deployment.Status).ToLowerInvariant()}, not awaiting approval.";
        if (IsMe(me, deployment.RequestedById, deployment.RequestedBy))
            return "You requested this deployment; someone else must approve or reject it.";
        if (IsMe(me, deployment.TokenHolderId, deployment.TokenHolder))
            return "You created the API token that reported this deployment; someone else must approve or reject it.";
        return null;
    }

    /// <summary>
    /// Why the current user may reject but not approve (null when approving is up to them): a requester who is not a
    /// console user cannot be held apart from the approver, so such a deployment (reported before requesters had to be
    /// console users) can only be rejected and reported again.
    /// </summary>
    public string? WhyCannotApprove(DeploymentRow deployment) =>
        WhyCannotDecide(deployment) ?? (deployment.RequestedById is null
            ? $"The requester ({deployment.RequestedBy}) is not a console user, so four eyes cannot be checked; reject it and have it reported again with a console user as requester."
            : null);

    private static bool IsMe(SessionContext me, Guid? id, string? email) =>
        (me.UserId is { } mine && id == mine) || (email is not null && string.Equals(me.Email, email, StringComparison.OrdinalIgnoreCase));

    public static bool CanApprove(SessionContext user) => user.Roles.Contains(ReleaseManagerRole) || user.Roles.Contains(AdminRole);

    /// <summary>Approves or rejects (with a comment; required to reject). Throws <see cref="DeploymentException"/> when refused.</summary>
    public async Task DecideAsync(long id, bool approve, string? comment, CancellationToken ct = default)
    {
        if (!CanApprove(session.Current)) throw new DeploymentException("Only release managers and admins approve or reject deployments.");
        comment = comment?.Trim();
        if (comment is { Length: > 1000 }) throw new DeploymentException("The comment is limited to 1,000 characters.", "comment");
        if (!approve && string.IsNullOrEmpty(comment)) throw new DeploymentException("Say why you reject the deployment.", "comment");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var refusal = (await db.Database.SqlQuery<string?>($"SELECT deploy_decide({id}, {approve}, {comment}) AS \"Value\"").ToListAsync(ct)).Single();
        if (refusal is not null)
            throw new DeploymentException(char.ToUpperInvariant(refusal[0]) + refusal[1..] + ".");
        await transaction.CommitAsync(ct);
    }

}
