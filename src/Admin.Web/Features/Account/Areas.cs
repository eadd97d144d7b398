using System.Security.Claims;
using Admin.Data.Live;
using Microsoft.AspNetCore.Authorization;
using MudBlazor;

namespace Admin.Web.Features.Account;

/// <summary>
/// A part of the console and who may use it. Navigation, home tiles, page [Authorize] attributes and live-hub topic
/// subscriptions all read this one table, so they cannot disagree.
/// </summary>
/// <param name="Icon">A MudBlazor icon (SVG path data).</param>
public sealed record Area(string Key, string Title, string Icon, string Path, string Description, IReadOnlyList<string> Roles)
{
    public string Policy => Areas.PolicyPrefix + Key;
    public bool Allows(ClaimsPrincipal user) => Roles.Any(user.IsInRole);
}

public static class Areas
{
    public const string PolicyPrefix = "area:";

    // Policy names as constants, for [Authorize(Policy = ...)] on pages.
    public const string ContentPolicy = PolicyPrefix + "content";
    public const string ReleasesPolicy = PolicyPrefix + "releases";
    public const string DeploymentsPolicy = PolicyPrefix + "deployments";
    public const string DatabasePolicy = PolicyPrefix + "database";
    public const string AuditPolicy = PolicyPrefix + "audit";
    public const string UsersPolicy = PolicyPrefix + "users";

    public static readonly Area Content = new("content", "Content", Icons.Material.Outlined.Article, "/content",
        "Homepage sections per locale: drafts, versions, compare, publish and schedule.",
        [AppRoles.Admin, AppRoles.Editor]);
    public static readonly Area Releases = new("releases", "Releases", Icons.Material.Outlined.Inventory2, "/releases",
        "Bundle content changes, review diffs and conflicts, approve, deploy and roll back.",
        [AppRoles.Admin, AppRoles.ReleaseManager, AppRoles.Editor]);
    public static readonly Area Deployments = new("deployments", "Deployments", Icons.Material.Outlined.RocketLaunch, "/deployments",
        "Deployment pipeline, approvals and DORA metrics.",
        [AppRoles.Admin, AppRoles.ReleaseManager]);
    public static readonly Area Database = new("database", "Database", Icons.Material.Outlined.Storage, "/database",
        "PostgreSQL health: indexes, slow queries, tables, connections and locks.",
        [AppRoles.Admin, AppRoles.Dba]);
    public static readonly Area Audit = new("audit", "Audit", Icons.Material.Outlined.Policy, "/audit",
        "Who did what and when, and row-level security denials.",
        [AppRoles.Admin, AppRoles.Dba]);
    public static readonly Area Users = new("users", "Users", Icons.Material.Outlined.ManageAccounts, "/admin/users",
        "Accounts, roles, brand and locale scopes.",
        [AppRoles.Admin]);

    public static readonly IReadOnlyList<Area> All = [Content, Releases, Deployments, Database, Audit, Users];

    public static Area? ByKey(string key) => All.FirstOrDefault(a => a.Key == key);

    public static void AddPolicies(AuthorizationOptions options)
    {
        foreach (var area in All)
            options.AddPolicy(area.Policy, p => p.RequireAuthenticatedUser().RequireRole(area.Roles));
        // Every endpoint needs a signed-in user unless it says [AllowAnonymous].
        options.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }
}

/// <summary>
/// Who may read a live event: the roles whose row-level security lets them read the row the event announces, so a
/// subscriber (hub client or Blazor component) hears of nothing the database would hide from it. An event goes to the
/// roles of its topic's area, except on the audit topic, which follows the audit policies of migration
/// 20261129000100_RowLevelSecurity.sql: <c>audit_events_read</c> (Admin: every action), <c>audit_events_read_database</c>
/// (Dba: actions starting with <c>database.</c>) and <c>rls_denials_read</c> (Admin and Dba: every denial). A change to
/// those policies must change <see cref="Of"/> too; LiveVisibilityTests checks both against the database.
/// </summary>
public static class LiveReaders
{
    /// <summary>The event kind denial_write announces on the audit topic (an audit event's kind is its action).</summary>
    public const string DenialKind = "denial";

    /// <summary>The audit actions DBAs may read (<c>action LIKE 'database.%'</c>).</summary>
    public const string DatabaseActionPrefix = "database.";

    private static readonly IReadOnlyList<string> AdminOnly = [AppRoles.Admin];
    private static readonly IReadOnlyList<string> AdminAndDba = [AppRoles.Admin, AppRoles.Dba];

    /// <summary>The roles that may read the event; empty for a topic no area owns (nobody subscribes to it).</summary>
    public static IReadOnlyList<string> Of(LiveEvent e)
    {
        if (e.Topic != Areas.Audit.Key) return Areas.ByKey(e.Topic)?.Roles ?? [];
        return e.Kind == DenialKind || e.Kind?.StartsWith(DatabaseActionPrefix, StringComparison.Ordinal) == true ? AdminAndDba : AdminOnly;
    }

    /// <summary>Whether the user may read the event; a resync carries nothing and reaches everyone.</summary>
    public static bool MayRead(ClaimsPrincipal user, LiveEvent e) => e.IsResync || Of(e).Any(user.IsInRole);
}
