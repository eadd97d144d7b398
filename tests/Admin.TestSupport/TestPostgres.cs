using System.Diagnostics;
using Admin.Data.Setup;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>
/// The PostgreSQL server tests run against: ADMIN_TEST_PG (set by ./admin test to the throwaway cluster on 55433),
/// reached as its superuser so fixtures can create and drop databases.
/// </summary>
public static class TestPostgres
{
    public const string OwnerRole = "admin_owner";
    public const string AppRole = "admin_app";
    public const string ExplainRole = DatabaseSetup.ExplainRole;

    public static string ServerConnectionString =>
        Environment.GetEnvironmentVariable("ADMIN_TEST_PG")
        ?? "Host=127.0.0.1;Port=55433;Username=postgres;Database=postgres";

    public static string ConnectionString(string database, string role, Action<NpgsqlConnectionStringBuilder>? tweak = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(ServerConnectionString)
        {
            Database = database,
            Username = role,
            Password = role,
            // Each test database is dropped at the end: keep idle pooled connections from blocking that for long.
            ConnectionIdleLifetime = 5,
            ConnectionPruningInterval = 1,
        };
        tweak?.Invoke(builder);
        return builder.ConnectionString;
    }

    public static async Task<NpgsqlConnection> OpenSuperuserAsync(string database = "postgres")
    {
        var connection = new NpgsqlConnection(ConnectionString(database, new NpgsqlConnectionStringBuilder(ServerConnectionString).Username ?? "postgres", b => b.Pooling = false));
        await connection.OpenAsync();
        return connection;
    }

    public static async Task ExecuteAsync(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<T> ScalarAsync<T>(this NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>What ./admin runs in each database: pg_stat_statements, and its per-database reset for the app role.</summary>
    public const string StatementsExtensionSql = """
        CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO admin_app;
        """;

    /// <summary>The roles the product expects, set up by the same script ./admin runs (tests do not rely on ./admin).</summary>
    public static Task EnsureRolesAsync(NpgsqlConnection superuser) => superuser.ExecuteAsync(DatabaseSetup.RolesSql);

    /// <summary>The database-level privileges ./admin gives a console database (a clone from a template has none).</summary>
    public static async Task SetUpDatabaseAsync(string database)
    {
        await using var inDb = await OpenSuperuserAsync(database);
        await inDb.ExecuteAsync(DatabaseSetup.DatabaseSql);
    }

    /// <summary>Whether the process whose id a leftover's name carries still runs.</summary>
    public static bool IsProcessAlive(string pid)
    {
        if (!int.TryParse(pid, out var id)) return false;
        try { using var p = Process.GetProcessById(id); return !p.HasExited; }
        catch (ArgumentException) { return false; }
    }
}
