using Npgsql;

namespace Admin.Data.Session;

/// <summary>
/// Raw Npgsql work outside EF Core that still acts as someone: the connection carries the session context, so
/// row-level security and audit attribution apply as they do to the app's contexts. The app's data source resets
/// connections on return to the pool (DISCARD ALL), which clears the context again.
/// </summary>
public static class SessionConnection
{
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, SessionContext context, CancellationToken ct = default)
    {
        var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var command = SessionContextInterceptor.BuildCommand(connection, context);
            await command.ExecuteNonQueryAsync(ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
