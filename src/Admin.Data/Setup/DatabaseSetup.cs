namespace Admin.Data.Setup;

/// <summary>
/// The SQL a superuser runs before migrations: the cluster's roles and each console database's privileges. The same
/// files are run by ./admin (psql -f) and by the tests, so a test database is set up the way a real one is.
/// </summary>
public static class DatabaseSetup
{
    public const string ExplainRole = "admin_explain";

    /// <summary>Creates the login roles if missing and sets their memberships and defaults (cluster-wide).</summary>
    public static string RolesSql => Read("roles");

    /// <summary>Run inside a console database: who may connect, and which signal and lock functions are not PUBLIC.</summary>
    public static string DatabaseSql => Read("database");

    private static string Read(string name)
    {
        using var stream = typeof(DatabaseSetup).Assembly.GetManifestResourceStream($"Admin.Data.Setup.{name}.sql")
            ?? throw new InvalidOperationException($"Setup script {name}.sql is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
