namespace Admin.Data.Session;

/// <summary>
/// Who is acting, as PostgreSQL sees it: copied into every connection the app uses (app.user_id, app.roles, …)
/// so row-level security policies and audit triggers can rely on the database rather than on the UI.
/// </summary>
public sealed record SessionContext(
    Guid? UserId,
    string? Email,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string> Brands,
    IReadOnlyList<string> Locales,
    string? RequestId,
    string? TraceId = null)
{
    public static readonly SessionContext Anonymous = new(null, null, [], [], [], null);

    public bool IsAuthenticated => UserId is not null;
}

/// <summary>Supplies the session context of whoever the current scope (HTTP request or Blazor circuit) acts for.</summary>
public interface ISessionContextSource
{
    SessionContext Current { get; }
}

/// <summary>A fixed context: background jobs, tests and tools that act as one known identity (or none).</summary>
public sealed class FixedSessionContextSource(SessionContext context) : ISessionContextSource
{
    public SessionContext Current { get; } = context;
}

/// <summary>A background job's context, set for each piece of work it does (a tick's identity, or the person it acts for).</summary>
public sealed class JobSessionContextSource : ISessionContextSource
{
    public SessionContext Current { get; set; } = SessionContext.Anonymous;
}
