namespace Admin.Data.Session;

/// <summary>
/// The identities the app itself acts as, beside people's roles (Admin, Editor, ReleaseManager, Dba). Row-level
/// security policies name them like any role: System for the app's background jobs, DeployApi for CI/CD systems
/// calling the ingestion API with a token.
/// </summary>
public static class SessionRoles
{
    public const string System = "System";
    public const string DeployApi = "DeployApi";

    /// <summary>The context of a background job of the console: named after the job, no user.</summary>
    public static SessionContext SystemJob(string job, string? requestId = null) => new(null, job, [System], [], [], requestId);
}
