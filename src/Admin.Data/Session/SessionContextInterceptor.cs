using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Admin.Data.Session;

/// <summary>
/// Sets the app.* settings on each connection EF Core opens and clears them before the connection goes back to
/// the pool, so a pooled connection never carries one user's identity into another user's work.
/// Session-level (not transaction-local) settings, because EF Core runs many statements outside transactions.
/// EF Core does not report closing a connection that is still open when its context is disposed; for that path the
/// data source keeps Npgsql's reset on return (see AddAdminData).
/// </summary>
public sealed class SessionContextInterceptor(ISessionContextSource source) : DbConnectionInterceptor
{
    public const string Sql =
        "SELECT set_config('app.user_id', $1, false), set_config('app.user_email', $2, false), " +
        "set_config('app.roles', $3, false), set_config('app.brands', $4, false), " +
        "set_config('app.locales', $5, false), set_config('app.request_id', $6, false), set_config('app.trace_id', $7, false)";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = BuildCommand(connection, source.Current);
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = BuildCommand(connection, source.Current);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public override InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                using var command = BuildCommand(connection, SessionContext.Anonymous);
                command.ExecuteNonQuery();
            }
            catch (NpgsqlException)
            {
                // A broken connection is discarded by the pool, settings and all.
            }
        }
        return result;
    }

    public override async ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            try
            {
                await using var command = BuildCommand(connection, SessionContext.Anonymous);
                await command.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // A broken connection is discarded by the pool, settings and all.
            }
        }
        return result;
    }

    public static DbCommand BuildCommand(DbConnection connection, SessionContext context)
    {
        var command = connection.CreateCommand();
        command.CommandText = Sql;
        AddText(command, context.UserId?.ToString() ?? "");
        AddText(command, context.Email ?? "");
        AddText(command, string.Join(',', context.Roles));
        AddText(command, string.Join(',', context.Brands));
        AddText(command, string.Join(',', context.Locales));
        AddText(command, context.RequestId ?? "");
        AddText(command, context.TraceId ?? "");
        return command;
    }

    private static void AddText(DbCommand command, string value) =>
        command.Parameters.Add(new NpgsqlParameter { Value = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
}
