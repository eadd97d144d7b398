using Admin.Data.Audit;
using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Live;
using Admin.Web.Tests.Account;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Admin.Web.Tests.Live;

/// <summary>
/// A live subscriber hears only of what the database would let it read: on the hub (SignalR .NET clients on the app
/// served by Kestrel) and on the in-process bus the pages use. The rule (<see cref="LiveReaders"/>) is checked against
/// row-level security itself.
/// </summary>
public sealed class LiveVisibilityTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private AdminAppFactory _factory = default!;
    private Uri _server = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _factory = new AdminAppFactory(_db);
        _server = _factory.StartKestrel();
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        await _db.DisposeAsync();
    }

    /// <summary>An app-role connection acting as one role, as the app's connections do for a user of that role.</summary>
    private async Task<NpgsqlConnection> OpenAsRoleAsync(string role)
    {
        var connection = await _db.OpenAsync(TestPostgres.AppRole);
        await using var command = new NpgsqlCommand("SELECT set_config('app.roles', @r, false), set_config('app.user_email', 'rls@test.local', false)", connection);
        command.Parameters.AddWithValue("r", role);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    private static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, object? value = null)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (value is not null) command.Parameters.AddWithValue("v", value);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_dba_on_the_audit_topic_hears_database_actions_and_denials_but_not_an_admins_password_reset()
    {
        var dba = DemoLogins.For(AppRoles.Dba);
        var admin = DemoLogins.For(AppRoles.Admin);
        await using var dbaClient = await HubClient.ConnectAsync(_server, dba.Email, dba.Password);
        await using var adminClient = await HubClient.ConnectAsync(_server, admin.Email, admin.Password);
        await dbaClient.SubscribeAsync(Areas.Audit.Key);
        await adminClient.SubscribeAsync(Areas.Audit.Key);
        var target = await TestAccounts.CreateAsync(_factory.Services, AppRoles.Editor, "reset");

        await TestAccounts.AsAdminAsync(_factory.Services, (users, _) => users.ResetPasswordAsync(target.Id, "Brand-New-Password-7"));
        long databaseAction, denial;
        await using (var sql = await OpenAsRoleAsync(AppRoles.Dba))
        {
            databaseAction = await ScalarAsync(sql, "SELECT audit_write('database.statistics_reset')");
            denial = await ScalarAsync(sql, "SELECT denial_write('homepage_sections', 'INSERT', '42501', 'test', NULL, 'a test denial')");
        }

        // The admin hears all three; by the time the DBA has heard the last, the earlier reset would have arrived too.
        var reset = await adminClient.WaitForAsync(e => e.Kind == AuditActions.PasswordReset);
        await adminClient.WaitForAsync(e => e.Id == databaseAction.ToString() && e.Kind == "database.statistics_reset");
        await adminClient.WaitForAsync(e => e.Id == denial.ToString() && e.Kind == LiveReaders.DenialKind);
        await dbaClient.WaitForAsync(e => e.Id == databaseAction.ToString() && e.Kind == "database.statistics_reset");
        await dbaClient.WaitForAsync(e => e.Id == denial.ToString() && e.Kind == LiveReaders.DenialKind);
        await Task.Delay(200);

        Assert.DoesNotContain(dbaClient.Events, e => e.Id == reset.Id);
        // Every audit event the DBA heard of is a row the DBA can read (denials live in rls_denials, readable by DBAs).
        await using var asDba = await OpenAsRoleAsync(AppRoles.Dba);
        foreach (var e in dbaClient.Events.Where(e => e.Kind != LiveReaders.DenialKind))
            Assert.Equal(1, await ScalarAsync(asDba, "SELECT count(*) FROM audit_events WHERE id = @v", long.Parse(e.Id!)));
    }

    [Fact]
    public async Task The_readers_of_each_audit_event_are_the_roles_row_level_security_lets_read_its_row()
    {
        string[] actions =
        [
            AuditActions.PasswordReset, AuditActions.LoginFailed, AuditActions.LoginThrottled, AuditActions.Exported,
            "database.statistics_reset", "database.query_cancelled", "databases.renamed", "release.approved",
        ];
        var rows = new List<(LiveEvent Event, string Table)>();
        await using (var admin = await _db.OpenAppAsAdminAsync())
        {
            foreach (var action in actions)
                rows.Add((new LiveEvent("audit", (await ScalarAsync(admin, "SELECT audit_write(@v)", action)).ToString(), action), "audit_events"));
            var denial = await ScalarAsync(admin, "SELECT denial_write('releases', 'UPDATE', '42501', 'test', NULL, 'a test denial')");
            rows.Add((new LiveEvent("audit", denial.ToString(), LiveReaders.DenialKind), "rls_denials"));
        }

        foreach (var role in AppRoles.All)
        {
            await using var connection = await OpenAsRoleAsync(role);
            foreach (var (e, table) in rows)
            {
                var readable = await ScalarAsync(connection, $"SELECT count(*) FROM {table} WHERE id = @v", long.Parse(e.Id!)) == 1;
                Assert.True(readable == LiveReaders.Of(e).Contains(role), $"{role} {(readable ? "reads" : "does not read")} {table} row {e.Kind}, but the live rule says otherwise");
            }
        }
    }

    [Fact]
    public async Task A_page_subscribing_for_a_dba_hears_only_what_the_dba_may_read()
    {
        var bus = new LiveBus(NullLogger<LiveBus>.Instance);
        var heard = new List<string?>();
        using var _ = bus.Subscribe(Areas.Audit.Key, TestPrincipals.WithRole(AppRoles.Dba, "dba@test.local"), e =>
        {
            lock (heard) heard.Add(e.Kind);
            return Task.CompletedTask;
        });

        foreach (var kind in new[] { AuditActions.PasswordReset, "database.statistics_reset", AuditActions.LoginFailed, LiveReaders.DenialKind })
            bus.Publish(new LiveEvent("audit", "1", kind));
        bus.Publish(LiveEvent.Resync(DateTimeOffset.UtcNow));
        await Task.Delay(100);

        lock (heard) Assert.Equal(["database.statistics_reset", LiveReaders.DenialKind, "reconnected"], heard);
    }
}
