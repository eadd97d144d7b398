using Npgsql;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>
/// Whether a database error is one a retry can cure, answered 503 with Retry-After rather than 500: no connection, a
/// full pool, a timeout, a server shutting down, crashed or starting (57P01/57P02/57P03: Npgsql counts only the last
/// as transient, yet <c>pg_ctl restart</c> and a crash end sessions with the first two), also once EF Core's retries
/// gave up on one. Found by the fault drill (docs/operations.md#the-fault-drill).
/// </summary>
internal static class DatabaseUnavailable
{
    public static bool Is(Exception ex) =>
        ex is NpgsqlException { IsTransient: true } or TimeoutException
        || ex is PostgresException { SqlState: "57P01" or "57P02" or "57P03" }
        || ex is InvalidOperationException { InnerException: { } inner } && Is(inner);
}
