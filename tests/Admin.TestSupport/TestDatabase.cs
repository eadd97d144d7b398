using System.Security.Cryptography;
using System.Text;
using Admin.Data;
using Admin.Data.Migrations;
using Admin.Data.Security;
using Admin.Data.Session;
using Admin.Data.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>
/// A fresh database for one test class, cloned in a fraction of a second from a template database that was migrated
/// once per schema version (the template's name carries a hash of the migrations, so a new migration builds a new one).
/// Dropped on dispose; databases left behind by killed test processes are dropped on the next run.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private const long TemplateLockKey = 7_311_202_612;
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? _templateName;
    private static int _counter;

    public string Name { get; }
    public string AppConnectionString => TestPostgres.ConnectionString(Name, TestPostgres.AppRole);
    public string OwnerConnectionString => TestPostgres.ConnectionString(Name, TestPostgres.OwnerRole);
    public string ExplainConnectionString => TestPostgres.ConnectionString(Name, TestPostgres.ExplainRole);
    public string SuperuserConnectionString => TestPostgres.ConnectionString(Name, "postgres");

    private TestDatabase(string name) => Name = name;

    /// <summary>A migrated database (the common case).</summary>
    public static async Task<TestDatabase> CreateAsync()
    {
        var db = new TestDatabase(NewName());
        for (var attempt = 1; ; attempt++)
        {
            var template = await EnsureTemplateAsync();
            try
            {
                await using var super = await TestPostgres.OpenSuperuserAsync();
                await super.ExecuteAsync($"CREATE DATABASE \"{db.Name}\" TEMPLATE \"{template}\" OWNER {TestPostgres.OwnerRole}");
                await TestPostgres.SetUpDatabaseAsync(db.Name);
                return db;
            }
            catch (PostgresException e) when (attempt < 3 && e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.ObjectInUse)
            {
                // A checkout with other migrations shares this server and dropped our template as old: build it again.
                _templateName = null;
            }
        }
    }

    /// <summary>
    /// An empty database with the roles in place but no migration applied; with pg_stat_statements unless
    /// <paramref name="statements"/> is false (a server where the slow-query panels must explain what is missing).
    /// </summary>
    public static async Task<TestDatabase> CreateEmptyAsync(bool statements = true)
    {
        var db = new TestDatabase(NewName());
        await using (var super = await TestPostgres.OpenSuperuserAsync())
        {
            await TestPostgres.EnsureRolesAsync(super);
            await super.ExecuteAsync($"CREATE DATABASE \"{db.Name}\" OWNER {TestPostgres.OwnerRole}");
        }
        await TestPostgres.SetUpDatabaseAsync(db.Name);
        if (statements)
        {
            await using var inDb = await TestPostgres.OpenSuperuserAsync(db.Name);
            await inDb.ExecuteAsync(TestPostgres.StatementsExtensionSql);
        }
        return db;
    }

    public async Task<NpgsqlConnection> OpenAsync(string role)
    {
        var connection = new NpgsqlConnection(TestPostgres.ConnectionString(Name, role, b => b.Pooling = false));
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>
    /// A connection as the app role acting as an Admin: row-level security shows an admin every row, so a test can read
    /// what was stored. (A bare app-role connection has no session context and sees nothing.)
    /// </summary>
    public async Task<NpgsqlConnection> OpenAppAsAdminAsync()
    {
        var connection = await OpenAsync(TestPostgres.AppRole);
        await connection.ExecuteAsync(TestContexts.AdminSql);
        return connection;
    }

    /// <summary>
    /// An AdminDbContext as the app role whose connections carry the given session context, with the app's interceptors
    /// (session context, denial records): what the app's own contexts are.
    /// </summary>
    public AdminDbContext CreateAppContext(SessionContext? context = null) => CreateAppContext(AppDataSource, context);

    /// <summary>The same over a data source of the caller's (its own pool size, reset settings, …).</summary>
    public static AdminDbContext CreateAppContext(NpgsqlDataSource dataSource, SessionContext? context = null)
    {
        var session = new FixedSessionContextSource(context ?? SessionContext.Anonymous);
        return new(new DbContextOptionsBuilder<AdminDbContext>().UseNpgsql(dataSource)
            .AddInterceptors(new SessionContextInterceptor(session), new DenialInterceptor(dataSource, session))
            .Options);
    }

    /// <summary>The app role's pool over this database (reset on return, as the app's is).</summary>
    public NpgsqlDataSource AppDataSource => _appDataSource ??= NpgsqlDataSource.Create(AppConnectionString);

    private NpgsqlDataSource? _appDataSource;

    public DatabaseMigrator CreateMigrator() => new(OwnerConnectionString, NullLogger<DatabaseMigrator>.Instance);

    public async ValueTask DisposeAsync()
    {
        if (_appDataSource is not null) await _appDataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var super = await TestPostgres.OpenSuperuserAsync();
        await super.ExecuteAsync($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)");
    }

    private static string NewName() => $"admin_t_{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}_{Random.Shared.Next(1000, 9999)}";

    private static async Task<string> EnsureTemplateAsync()
    {
        if (_templateName is not null) return _templateName;
        await TemplateGate.WaitAsync();
        try
        {
            if (_templateName is not null) return _templateName;
            var name = "admin_tmpl_" + SchemaHash();
            await using var super = await TestPostgres.OpenSuperuserAsync();
            // Several test processes (one per test project) may get here at once.
            await super.ExecuteAsync($"SELECT pg_advisory_lock({TemplateLockKey})");
            try
            {
                await TestPostgres.EnsureRolesAsync(super);
                await DropLeftoversAsync(super, name);
                var ready = await super.ScalarAsync<long>(
                    $"SELECT count(*) FROM pg_database WHERE datname = '{name}' AND datistemplate");
                if (ready == 0)
                {
                    await super.ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    await super.ExecuteAsync($"CREATE DATABASE \"{name}\" OWNER {TestPostgres.OwnerRole}");
                    await using (var inTemplate = await TestPostgres.OpenSuperuserAsync(name))
                        await inTemplate.ExecuteAsync(TestPostgres.StatementsExtensionSql);
                    await TestPostgres.SetUpDatabaseAsync(name);
                    var migrator = new DatabaseMigrator(TestPostgres.ConnectionString(name, TestPostgres.OwnerRole, b => b.Pooling = false),
                        NullLogger<DatabaseMigrator>.Instance);
                    await migrator.MigrateAsync();
                    NpgsqlConnection.ClearAllPools();
                    await super.ExecuteAsync($"ALTER DATABASE \"{name}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
                }
            }
            finally
            {
                await super.ExecuteAsync($"SELECT pg_advisory_unlock({TemplateLockKey})");
            }
            return _templateName = name;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    /// <summary>Old templates, and test databases whose process is gone.</summary>
    /// <summary>
    /// Test databases whose process is gone, and templates of other schema versions beyond the newest few: several
    /// checkouts (branches with different migrations) may share the test cluster and use their templates at once.
    /// </summary>
    private static async Task DropLeftoversAsync(NpgsqlConnection super, string currentTemplate)
    {
        const int otherTemplatesKept = 3;
        var names = new List<string>();
        // Newest first (oids grow), so the templates kept are the most recently built ones.
        await using (var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'admin\\_t\\_%' OR datname LIKE 'admin\\_tmpl\\_%' ORDER BY oid DESC", super))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        var otherTemplates = 0;
        foreach (var db in names)
        {
            var isTemplate = db.StartsWith("admin_tmpl_");
            var stale = isTemplate
                ? db != currentTemplate && ++otherTemplates > otherTemplatesKept
                : !TestPostgres.IsProcessAlive(db.Split('_')[2]);
            if (!stale) continue;
            if (isTemplate) await super.ExecuteAsync($"ALTER DATABASE \"{db}\" WITH IS_TEMPLATE false");
            await super.ExecuteAsync($"DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)");
        }
    }

    private static string SchemaHash()
    {
        const string prefix = "Admin.Data.Migrations.";
        var migrations = typeof(AdminDbContext).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix) && n.EndsWith(".sql")).Order();
        var text = new StringBuilder(DatabaseSetup.RolesSql).Append(DatabaseSetup.DatabaseSql);
        foreach (var name in migrations) text.Append(name).Append('\n').Append(SqlMigration.ReadSql(name[prefix.Length..^4]));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..12];
    }
}
