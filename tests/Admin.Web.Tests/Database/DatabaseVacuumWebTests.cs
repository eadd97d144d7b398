using System.Text.Json;
using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Database;

/// <summary>The Vacuum page and "kill all queries running longer than N" on the real app, against real sessions.</summary>
public sealed class DatabaseVacuumWebTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static readonly TimeSpan LongerThan = TimeSpan.FromSeconds(1);

    /// <summary>The app's service once it lists the sleeping session as running longer than N, and that listing.</summary>
    private static async Task<(DatabaseActivity Activity, IReadOnlyList<BackendSession> Shown)> ListedAsync(AsyncServiceScope scope, int pid)
    {
        var activity = scope.ServiceProvider.GetRequiredService<DatabaseActivity>();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var shown = (await activity.LoadLongRunningAsync(null, LongerThan)).Value!;
            if (shown.Any(s => s.Pid == pid) || DateTime.UtcNow > deadline) return (activity, shown.Where(s => s.Pid == pid).ToList());
            await Task.Delay(100);
        }
    }

    private async Task<List<JsonElement>> AuditAsync(string action, string actor)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT new_data::text FROM audit_events WHERE action = @a AND actor_email = @e ORDER BY id", connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("e", actor);
        var rows = new List<JsonElement>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(JsonDocument.Parse(reader.GetString(0)).RootElement);
        return rows;
    }

    [Theory]
    [InlineData(AppRoles.Admin)]
    [InlineData(AppRoles.Editor)]
    public async Task Stopping_long_queries_is_refused_to_users_not_in_role_dba_nothing_is_signalled_and_the_attempt_is_audited(string role)
    {
        await using var sleeper = await TestSession.OpenAsync(app.Database.Name, $"long-refused-{role}");
        var sleeping = sleeper.Start("SELECT pg_sleep(30)");
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var (activity, shown) = await ListedAsync(scope, sleeper.Pid);
        var actor = $"long-{role}@test.local";

        var result = await activity.SignalLongRunningAsync(null, LongerThan, terminate: false, shown, TestPrincipals.WithRole(role, actor));

        Assert.True(result.Refused);
        Assert.Contains("DBA", result.Message);
        Assert.Empty(result.Results);
        await Task.Delay(300);
        Assert.False(sleeping.IsCompleted); // still sleeping
        var entry = Assert.Single(await AuditAsync(DatabaseAuditActions.LongQueriesCancelled, actor));
        Assert.Equal("NotPermitted", entry.GetProperty("outcome").GetString());
        var listed = Assert.Single(entry.GetProperty("sessions").EnumerateArray());
        Assert.Equal(sleeper.Pid, listed.GetProperty("pid").GetInt32());
        Assert.Equal("NotPermitted", listed.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task A_dba_cancels_the_listed_long_queries_and_one_audit_entry_holds_each_outcome()
    {
        await using var long1 = await TestSession.OpenAsync(app.Database.Name, "long-web-1");
        var sleeping1 = long1.Start("SELECT pg_sleep(30)");
        await using var long2 = await TestSession.OpenAsync(app.Database.Name, "long-web-2");
        var sleeping2 = long2.Start("SELECT pg_sleep(30)");
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var (activity, shown1) = await ListedAsync(scope, long1.Pid);
        var (_, shown2) = await ListedAsync(scope, long2.Pid);
        Assert.True((await ActivityStats.CancelAsync(activity.Target(null).DataSource, long2.Pid)).Succeeded); // gone before the confirmation
        await sleeping2.WaitAsync(TimeSpan.FromSeconds(5));
        const string actor = "long-dba@test.local";

        var result = await activity.SignalLongRunningAsync(MonitoringTarget.ConsoleTargetName, LongerThan, terminate: false,
            [.. shown1, .. shown2], TestPrincipals.WithRole(AppRoles.Dba, actor));

        Assert.False(result.Refused);
        Assert.Equal("1 cancelled, 1 already gone", result.Message);
        Assert.IsType<PostgresException>(await sleeping1.WaitAsync(TimeSpan.FromSeconds(5)));
        var entry = Assert.Single(await AuditAsync(DatabaseAuditActions.LongQueriesCancelled, actor));
        Assert.Equal(MonitoringTarget.ConsoleTargetName, entry.GetProperty("target").GetString());
        Assert.Equal(1, entry.GetProperty("longer_than_seconds").GetDouble());
        Assert.Equal("1 cancelled, 1 already gone", entry.GetProperty("message").GetString());
        var outcomes = entry.GetProperty("sessions").EnumerateArray()
            .Select(s => (s.GetProperty("pid").GetInt32(), s.GetProperty("outcome").GetString(), s.GetProperty("query").GetString())).ToList();
        Assert.Equal([(long1.Pid, "Done", "SELECT pg_sleep(30)"), (long2.Pid, "NotFound", "SELECT pg_sleep(30)")], outcomes);
    }

    [Fact]
    public async Task The_vacuum_page_is_served_to_a_dba_and_an_admin_and_refused_to_an_editor_and_a_release_manager()
    {
        foreach (var role in new[] { AppRoles.Dba, AppRoles.Admin })
        {
            var html = await app.PageAsync("/database/vacuum", role);
            Assert.Contains("data-testid=\"target-picker\"", html);
            Assert.Contains("xmin horizon", html);
            Assert.Contains("Estimated bloat", html);
            Assert.DoesNotContain("target-problem", html);
        }

        await app.AssertRefusedAsync("/database/vacuum", AppRoles.Editor);
        await app.AssertRefusedAsync("/database/vacuum", AppRoles.ReleaseManager);
    }
}
