using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Security;

/// <summary>
/// The app role is what a compromised app (or a SQL injection) would act as: it must not be able to rewrite the audit
/// trail, change the schema or become the owner. Each statement runs on the app role's own connection.
/// </summary>
public sealed class AppRoleSecurityTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private const string InsufficientPrivilege = "42501";

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task App_role_is_neither_superuser_nor_exempt_from_row_level_security()
    {
        await using var app = await Db.OpenAsync(TestPostgres.AppRole);

        Assert.Equal(TestPostgres.AppRole, await app.ScalarAsync<string>("SELECT current_user::text"));
        Assert.False(await app.ScalarAsync<bool>("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        Assert.False(await app.ScalarAsync<bool>("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user"));
    }

    [Theory]
    [InlineData("INSERT INTO audit_events (action) VALUES ('forged')")]
    [InlineData("UPDATE audit_events SET action = 'rewritten'")]
    [InlineData("DELETE FROM audit_events")]
    [InlineData("TRUNCATE audit_events")]
    [InlineData("INSERT INTO audit_events_default (action) VALUES ('forged')")]
    [InlineData("DELETE FROM audit_events_default")]
    [InlineData("DROP TABLE audit_events")]
    [InlineData("CREATE TABLE public.sneaky (id int)")]
    [InlineData("SET ROLE admin_owner")]
    [InlineData("UPDATE audit_chain_head SET seq = 0")]
    [InlineData("DELETE FROM audit_archives")]
    public async Task App_role_is_refused(string sql)
    {
        await using var app = await Db.OpenAsync(TestPostgres.AppRole);
        // A row to change, so a refusal cannot be mistaken for "nothing matched".
        await app.ScalarAsync<long>("SELECT audit_write('security.probe')");

        var error = await Assert.ThrowsAsync<PostgresException>(() => app.ExecuteAsync(sql));

        Assert.Equal(InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task App_role_writes_through_audit_write_and_reads_what_it_wrote()
    {
        await using var app = await Db.OpenAsync(TestPostgres.AppRole);

        var id = await app.ScalarAsync<long>("SELECT audit_write('security.allowed', p_record_id => 'r-1')");

        // Without a session context row-level security shows nothing, not even what this connection wrote.
        Assert.Equal(0L, await app.ScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE id = {id}"));
        await app.ExecuteAsync(TestContexts.AdminSql);
        Assert.Equal("r-1", await app.ScalarAsync<string>($"SELECT record_id FROM audit_events WHERE id = {id}"));
    }
}
