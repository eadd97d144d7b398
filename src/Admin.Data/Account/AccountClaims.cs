namespace Admin.Data.Account;

/// <summary>Per-user scopes, stored as user claims (user_claims); copied into app.brands / app.locales for row-level security.</summary>
public static class AccountClaims
{
    public const string Brand = "scope:brand";
    public const string Locale = "scope:locale";
}
