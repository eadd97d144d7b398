using Microsoft.AspNetCore.Authorization;

namespace Admin.Web.Features.Account;

/// <summary>
/// A part of the console and who may use it. Navigation, home tiles, page [Authorize] attributes and live-hub topic
/// subscriptions all read this one table, so they cannot disagree.
/// </summary>
public sealed record Area(string Key, string Title, string Icon, string Path, string Description, IReadOnlyList<string> Roles)
{
    public string Policy => Areas.PolicyPrefix + Key;
    public bool Allows(System.Security.Claims.ClaimsPrincipal user) => Roles.Any(user.IsInRole);
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

    public static readonly Area Content = new("content", "Content", "article", "/content",
        "Homepage sections per locale: drafts, versions, compare, publish and schedule.",
        [AppRoles.Admin, AppRoles.Editor]);
    public static readonly Area Releases = new("releases", "Releases", "inventory_2", "/releases",
        "Bundle content changes, review diffs and conflicts, approve, deploy and roll back.",
        [AppRoles.Admin, AppRoles.ReleaseManager, AppRoles.Editor]);
    public static readonly Area Deployments = new("deployments", "Deployments", "rocket_launch", "/deployments",
        "Deployment pipeline, approvals and DORA metrics.",
        [AppRoles.Admin, AppRoles.ReleaseManager]);
    public static readonly Area Database = new("database", "Database", "storage", "/database",
        "PostgreSQL health: indexes, slow queries, tables, connections and locks.",
        [AppRoles.Admin, AppRoles.Dba]);
    public static readonly Area Audit = new("audit", "Audit", "policy", "/audit",
        "Who did what and when, and row-level security denials.",
        [AppRoles.Admin, AppRoles.Dba]);
    public static readonly Area Users = new("users", "Users", "manage_accounts", "/admin/users",
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
