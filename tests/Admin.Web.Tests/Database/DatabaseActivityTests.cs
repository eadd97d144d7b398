using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Database;

/// <summary>The Activity and Tables panels' service and pages on the real app, against real sessions.</summary>
public sealed class DatabaseActivityTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    /// <summary>A session sleeping in pg_sleep on a connection of its own, and the task running it.</summary>
    private async Task<(TestSession Session, int Pid, Task<Exception?> Sleeping)> SleeperAsync(string application)
    {
        var session = await TestSession.OpenAsync(app.Database.Name, application);
        return (session, session.Pid, session.Start("SELECT pg_sleep(30)"));
    }

    /// <summary>The app's service, once it sees the session's pg_sleep running.</summary>
    private static async Task<DatabaseActivity> ActivityAsync(AsyncServiceScope scope, int pid)
    {
        var activity = scope.ServiceProvider.GetRequiredService<DatabaseActivity>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await activity.LoadActivityAsync(null)).Value!.Running.Any(r => r.Pid == pid && r.Query.Contains("pg_sleep")) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        return activity;
    }

    /// <summary>Actor and outcome of each audit row of the action on the process.</summary>
    private async Task<List<(string Actor, string Outcome)>> AuditRowsAsync(string action, int pid)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT actor_email, new_data->>'outcome' FROM audit_events WHERE action = @a AND record_id = @pid AND (new_data->>'pid')::int = @p ORDER BY id",
            connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("pid", pid.ToString());
        command.Parameters.AddWithValue("p", pid);
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }

    [Theory]
    [InlineData(AppRoles.Admin)]
    [InlineData(AppRoles.Editor)]
    public async Task Cancel_and_terminate_are_refused_to_users_not_in_role_dba_nothing_is_signalled_and_the_attempts_are_audited(string role)
    {
        var (connection, pid, sleeping) = await SleeperAsync($"web-refused-{role}");
        await using var _ = connection;
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var activity = await ActivityAsync(scope, pid);
        var user = TestPrincipals.WithRole(role, $"{role}@test.local");

        var cancel = await activity.CancelAsync(null, pid, user);
        var terminate = await activity.TerminateAsync(null, pid, user);

        Assert.Equal(SignalOutcome.NotPermitted, cancel.Outcome);
        Assert.Equal(SignalOutcome.NotPermitted, terminate.Outcome);
        Assert.Contains("DBA", terminate.Message);
        Assert.False(sleeping.IsCompleted); // still sleeping
        var snapshot = (await activity.LoadActivityAsync(null)).Value!;
        Assert.Contains(snapshot.Running, r => r.Pid == pid);
        foreach (var action in new[] { DatabaseAuditActions.QueryCancelled, DatabaseAuditActions.BackendTerminated })
            Assert.Equal([($"{role}@test.local", "NotPermitted")], await AuditRowsAsync(action, pid));
    }

    [Fact]
    public async Task A_dba_terminates_a_session_and_it_is_audited_with_pid_user_query_and_target()
    {
        var (connection, pid, sleeping) = await SleeperAsync("web-terminate");
        await using var _ = connection;
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var activity = await ActivityAsync(scope, pid);
        var dba = TestPrincipals.WithRole(AppRoles.Dba, "dba-test@test.local");

        var result = await activity.TerminateAsync(MonitoringTarget.ConsoleTargetName, pid, dba);

        Assert.True(result.Succeeded, result.Message);
        Assert.NotNull(await sleeping.WaitAsync(TimeSpan.FromSeconds(5)));
        await using var db = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand("""
            SELECT actor_email, new_data->>'user', new_data->>'query', new_data->>'target', new_data->>'outcome', table_name
            FROM audit_events WHERE action = 'database.backend_terminated' AND record_id = @pid
            """, db);
        command.Parameters.AddWithValue("pid", pid.ToString());
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), "no audit row");
        Assert.Equal("dba-test@test.local", reader.GetString(0));
        Assert.Equal(TestPostgres.OwnerRole, reader.GetString(1));
        Assert.Equal("SELECT pg_sleep(30)", reader.GetString(2));
        Assert.Equal(MonitoringTarget.ConsoleTargetName, reader.GetString(3));
        Assert.Equal("Done", reader.GetString(4));
        Assert.Equal("pg_stat_activity", reader.GetString(5));
        Assert.False(await reader.ReadAsync(), "one audit row per terminate");
    }

    [Fact]
    public async Task A_dba_cancels_a_query_and_it_is_audited()
    {
        var (connection, pid, sleeping) = await SleeperAsync("web-cancel");
        await using var _ = connection;
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var activity = await ActivityAsync(scope, pid);

        var result = await activity.CancelAsync(null, pid, TestPrincipals.WithRole(AppRoles.Dba, "dba-cancel@test.local"));

        Assert.True(result.Succeeded, result.Message);
        Assert.IsType<PostgresException>(await sleeping.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal([("dba-cancel@test.local", "Done")], await AuditRowsAsync(DatabaseAuditActions.QueryCancelled, pid));
    }

    [Theory]
    [InlineData("/database/activity")]
    [InlineData("/database/tables")]
    public async Task The_panels_are_served_to_a_dba_and_refused_to_an_editor(string path)
    {
        var html = await app.PageAsync(path, AppRoles.Dba);
        Assert.Contains("data-testid=\"target-picker\"", html);
        Assert.DoesNotContain("target-problem", html);

        await app.AssertRefusedAsync(path, AppRoles.Editor);
    }

    [Fact]
    public async Task The_tables_panel_lists_audit_events_and_its_partitions_when_prerendered()
    {
        var dba = DemoLogins.For(AppRoles.Dba);
        using var client = await app.SignedInAsync(dba.Email, dba.Password);

        var html = await client.GetStringAsync("/database/tables");

        Assert.Contains("audit_events", html);
        Assert.Contains("partition of audit_events", html);
    }

    [Fact]
    public async Task An_unreachable_target_shows_a_plain_message()
    {
        await using var targets = new MonitoringTargets(app.Database.AppConnectionString,
            new Dictionary<string, string> { ["nowhere"] = "Host=127.0.0.1;Port=1;Database=x;Username=x;Password=x" });
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var activity = new DatabaseActivity(targets, scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Data.AdminDbContext>>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<DatabaseActivity>.Instance);

        var read = await activity.LoadActivityAsync("nowhere");

        Assert.Null(read.Value);
        Assert.Contains("\"nowhere\"", read.Problem);
        Assert.Contains("cannot be reached", read.Problem);
    }
}
