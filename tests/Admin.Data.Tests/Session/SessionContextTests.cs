using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Data.Tests.Session;

public sealed class SessionContextTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly SessionContext Editor = new(
        Guid.Parse("0b6f9d8e-3c1a-4e0f-9a57-2d5c8e1f4b10"), "editor@admin.local",
        ["Editor", "Dba"], ["acme", "globex"], ["en-GB", "de-DE"], "req-7f3a");

    /// <summary>What the SQL helpers report on the connection (column aliases are these property names in snake_case).</summary>
    private sealed record Seen(
        int Pid, Guid? UserId, string? UserEmail, string[] Roles, string[] Brands, string[] Locales,
        string? RequestId, bool HasEditor, bool HasAdmin);

    private const string SeenSql = """
        SELECT pg_backend_pid() AS "pid", app_user_id() AS "user_id", app_user_email() AS "user_email",
               app_roles() AS "roles", app_brands() AS "brands", app_locales() AS "locales",
               app_request_id() AS "request_id", app_has_role('Editor') AS "has_editor", app_has_role('Admin') AS "has_admin"
        """;

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Sql_helpers_see_every_field_of_the_session_context()
    {
        await using var db = Db.CreateAppContext(Editor);

        var seen = await ReadAsync(db);

        Assert.Equal(Editor.UserId, seen.UserId);
        Assert.Equal("editor@admin.local", seen.UserEmail);
        Assert.Equal(["Editor", "Dba"], seen.Roles);
        Assert.Equal(["acme", "globex"], seen.Brands);
        Assert.Equal(["en-GB", "de-DE"], seen.Locales);
        Assert.Equal("req-7f3a", seen.RequestId);
        Assert.True(seen.HasEditor);
        Assert.False(seen.HasAdmin);
    }

    [Fact]
    public async Task Anonymous_context_yields_nulls_and_empty_arrays()
    {
        await using var db = Db.CreateAppContext(SessionContext.Anonymous);

        AssertAnonymous(await ReadAsync(db));
    }

    public enum Usage { QueriesOnly, ConnectionLeftOpen, TransactionLeftOpen }

    /// <summary>
    /// The production wiring (AddAdminData) with one physical connection in the pool: the raw connection opened after
    /// the context is disposed is the very connection the user's query ran on. No Reset On Close in the connection
    /// string must not let a context disposed with its connection still open leak the user.
    /// </summary>
    [Theory]
    [InlineData(false, Usage.QueriesOnly)]
    [InlineData(false, Usage.ConnectionLeftOpen)]
    [InlineData(true, Usage.ConnectionLeftOpen)]
    [InlineData(true, Usage.TransactionLeftOpen)]
    public async Task Pooled_connection_carries_no_user_once_the_context_is_disposed(bool noResetOnClose, Usage usage)
    {
        var connectionString = SinglePhysicalConnection(noResetOnClose);
        await using var services = new ServiceCollection()
            .AddScoped<ISessionContextSource>(_ => new FixedSessionContextSource(Editor))
            .AddAdminData(connectionString)
            .BuildServiceProvider();

        Seen asUser;
        await using (var scope = services.CreateAsyncScope())
        await using (var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync())
        {
            if (usage == Usage.ConnectionLeftOpen) await db.Database.OpenConnectionAsync();
            if (usage == Usage.TransactionLeftOpen) await db.Database.BeginTransactionAsync();
            asUser = await ReadAsync(db);
            Assert.Equal(Editor.UserId, asUser.UserId);
        }

        await AssertNextUserOfThePoolSeesNobodyAsync(services.GetRequiredService<NpgsqlDataSource>(), asUser.Pid);
    }

    /// <summary>Npgsql's own reset (DISCARD ALL) switched off: the interceptor's clearing on close is all that is left.</summary>
    [Fact]
    public async Task Interceptor_clears_the_context_when_EF_closes_the_connection()
    {
        await using var dataSource = NpgsqlDataSource.Create(SinglePhysicalConnection(noResetOnClose: true));

        Seen asUser;
        await using (var db = TestDatabase.CreateAppContext(dataSource, Editor))
        {
            asUser = await ReadAsync(db);
            Assert.Equal(Editor.UserId, asUser.UserId);
        }

        await AssertNextUserOfThePoolSeesNobodyAsync(dataSource, asUser.Pid);
    }

    private string SinglePhysicalConnection(bool noResetOnClose) =>
        TestPostgres.ConnectionString(Db.Name, TestPostgres.AppRole, b =>
        {
            b.MaxPoolSize = 1;
            b.NoResetOnClose = noResetOnClose;
        });

    /// <summary>A raw connection, without the interceptor, from the same pool.</summary>
    private static async Task AssertNextUserOfThePoolSeesNobodyAsync(NpgsqlDataSource dataSource, int pidOfTheUser)
    {
        await using var raw = await dataSource.OpenConnectionAsync();
        var after = await ReadAsync(raw);

        Assert.Equal(pidOfTheUser, after.Pid);
        AssertAnonymous(after);
    }

    private static void AssertAnonymous(Seen seen)
    {
        Assert.Null(seen.UserId);
        Assert.Null(seen.UserEmail);
        Assert.Empty(seen.Roles);
        Assert.Empty(seen.Brands);
        Assert.Empty(seen.Locales);
        Assert.Null(seen.RequestId);
        Assert.False(seen.HasEditor);
    }

    private static Task<Seen> ReadAsync(AdminDbContext db) => db.Database.SqlQueryRaw<Seen>(SeenSql).SingleAsync();

    private static async Task<Seen> ReadAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(SeenSql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return new Seen(
            reader.GetInt32(0),
            reader.IsDBNull(1) ? null : reader.GetGuid(1),
            reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.GetFieldValue<string[]>(3),
            reader.GetFieldValue<string[]>(4),
            reader.GetFieldValue<string[]>(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetBoolean(7),
            reader.GetBoolean(8));
    }
}
