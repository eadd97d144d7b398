namespace Admin.Data.Audit;

/// <summary>Action names written to audit_events.action, so filters and tests share one spelling.</summary>
public static class AuditActions
{
    public const string LoginSucceeded = "auth.login";
    public const string LoginFailed = "auth.login_failed";
    public const string LockedOut = "auth.locked_out";
    public const string Logout = "auth.logout";
    /// <summary>One row per summary interval counting the sign-in attempts the throttle refused (they write no row each).</summary>
    public const string LoginThrottled = "auth.login_throttled";
    public const string UserCreated = "user.created";
    public const string UserDisabled = "user.disabled";
    public const string UserEnabled = "user.enabled";
    public const string PasswordReset = "user.password_reset";
    public const string RolesChanged = "user.roles_changed";
    public const string ScopesChanged = "user.scopes_changed";
    public const string Exported = "audit.exported";
}
