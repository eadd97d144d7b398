namespace Admin.Web.Features.Account;

/// <summary>The four roles (rows inserted by the foundation migration; RLS policies refer to the same names).</summary>
public static class AppRoles
{
    public const string Admin = "Admin";
    public const string Editor = "Editor";
    public const string ReleaseManager = "ReleaseManager";
    public const string Dba = "Dba";

    public static readonly IReadOnlyList<string> All = [Admin, Editor, ReleaseManager, Dba];

    public static string Label(string role) => role switch
    {
        ReleaseManager => "Release manager",
        Dba => "DBA",
        _ => role,
    };
}

/// <summary>Per-user scopes, stored as user claims; copied into app.brands / app.locales for row-level security.</summary>
public static class ScopeClaims
{
    public const string Brand = Admin.Data.Account.AccountClaims.Brand;
    public const string Locale = Admin.Data.Account.AccountClaims.Locale;
}
