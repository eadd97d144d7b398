using System.Net;
using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Database;

/// <summary>The slow-queries panel on the real app: pages by role, reset and EXPLAIN ANALYZE for DBAs only, audited.</summary>
public sealed class SlowQueriesWebTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    /// <summary>The outcome of each audit row of the action by the actor.</summary>
    private async Task<List<string>> AuditOutcomesAsync(string action, string actor)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT new_data->>'outcome' FROM audit_events WHERE action = @a AND actor_email = @e ORDER BY id", connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("e", actor);
        var outcomes = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) outcomes.Add(reader.GetString(0));
        return outcomes;
    }

    private async Task SleepAsync()
    {
        await using var session = await TestSession.OpenAsync(app.Database.Name, "slow-web-test");
        await session.ExecuteAsync("SELECT pg_sleep(0.3) AS web_sleep_probe");
    }

    /// <summary>
    /// Runs the probe, then reads, up to three times until <paramref name="seen"/>: pg_stat_statements is one store of
    /// 10,000 entries for every test database on the cluster, and under that churn an entry or its text can be evicted
    /// between the probe and the read.
    /// </summary>
    private async Task<T> AfterProbeAsync<T>(Func<Task<T>> read, Func<T, bool> seen)
    {
        for (var attempt = 1; ; attempt++)
        {
            await SleepAsync();
            var value = await read();
            if (seen(value) || attempt == 3) return value;
        }
    }

    [Fact]
    public async Task A_slow_pg_sleep_query_is_on_the_page_a_dba_opens_and_its_detail_page_shows_text_and_explain()
    {
        var dba = DemoLogins.For(AppRoles.Dba);
        using var client = await app.SignedInAsync(dba.Email, dba.Password);

        var list = await AfterProbeAsync(async () => WebUtility.HtmlDecode(await client.GetStringAsync("/database/queries?sort=mean&q=web_sleep_probe")),
            html => html.Contains("pg_sleep($1) AS web_sleep_probe"));
        Assert.Contains("data-testid=\"query-grid\"", list);
        Assert.Contains("pg_sleep($1) AS web_sleep_probe", list);
        Assert.Contains("data-testid=\"query-reset\"", list); // a DBA may reset

        await using var scope = app.Factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        var stat = (await AfterProbeAsync(() => queries.LoadAsync(null, StatementSort.MeanTime, 5, "web_sleep_probe"),
            r => r.Value!.Statements.Count == 1)).Value!.Statements.Single();
        var detail = WebUtility.HtmlDecode(await client.GetStringAsync($"/database/queries/{stat.QueryId}"));
        Assert.Contains("data-testid=\"query-text\"", detail);
        Assert.Contains("web_sleep_probe", detail);
        Assert.Contains("data-testid=\"explain-panel\"", detail);
        Assert.Contains("data-testid=\"explain-analyze\"", detail);
    }

    [Theory]
    [InlineData("/database/queries")]
    [InlineData("/database/queries/1")]
    [InlineData("/database/explain")]
    [InlineData("/database/queries?window=24h&compare=prev")]
    [InlineData("/database/tables?window=7d")]
    [InlineData("/database/tables?window=24h&compare=prev&change=ins")]
    [InlineData("/database/indexes?window=7d&show=unused")]
    public async Task The_pages_are_refused_to_an_editor_and_a_release_manager(string path)
    {
        await app.AssertRefusedAsync(path, AppRoles.Editor);
        await app.AssertRefusedAsync(path, AppRoles.ReleaseManager);
    }

    [Fact]
    public async Task An_admin_sees_the_panel_without_the_reset_button_and_the_service_refuses_reset_and_analyze()
    {
        var admin = DemoLogins.For(AppRoles.Admin);
        using var client = await app.SignedInAsync(admin.Email, admin.Password);
        var html = await client.GetStringAsync("/database/queries");
        Assert.Contains("data-testid=\"query-grid\"", html);
        Assert.DoesNotContain("data-testid=\"query-reset\"", html);

        await using var scope = app.Factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        var user = TestPrincipals.WithRole(AppRoles.Admin, "admin-refused@test.local");

        var reset = await queries.ResetAsync(null, user);
        var (plan, problem) = await queries.ExplainAsync(null, "SELECT 1", analyze: true, user);
        var (plainPlan, _) = await queries.ExplainAsync(null, "SELECT 1", analyze: false, user);

        Assert.False(reset.Succeeded);
        Assert.Contains("DBA", reset.Message);
        Assert.Null(plan);
        Assert.Contains("DBA", problem);
        Assert.NotNull(plainPlan); // plain EXPLAIN only plans: every Database user may
        Assert.Single((await AfterProbeAsync(() => queries.LoadAsync(null, StatementSort.MeanTime, 5, "web_sleep_probe"),
            r => r.Value!.Statements.Count == 1)).Value!.Statements);
        // Refused, and the attempts are in the audit trail.
        Assert.Equal(["NotPermitted"], await AuditOutcomesAsync(DatabaseAuditActions.StatisticsReset, "admin-refused@test.local"));
        Assert.Equal(["NotPermitted"], await AuditOutcomesAsync(DatabaseAuditActions.ExplainAnalyzed, "admin-refused@test.local"));
        Assert.Equal(["Done"], await AuditOutcomesAsync(DatabaseAuditActions.Explained, "admin-refused@test.local")); // plain EXPLAIN is audited too
    }

    [Fact]
    public async Task A_dba_resets_statistics_and_runs_explain_analyze_and_both_are_audited()
    {
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        var dba = TestPrincipals.WithRole(AppRoles.Dba, "dba-reset@test.local");

        var (plan, problem) = await queries.ExplainAsync(null, "SELECT count(*) FROM audit_events", analyze: true, dba);
        await SleepAsync();
        var reset = await queries.ResetAsync(null, dba);

        Assert.Null(problem);
        Assert.True(plan!.Analyzed);
        Assert.True(reset.Succeeded, reset.Message);
        Assert.Empty((await queries.LoadAsync(null, StatementSort.MeanTime, 5, "web_sleep_probe")).Value!.Statements);
        Assert.Equal(["Done"], await AuditOutcomesAsync(DatabaseAuditActions.StatisticsReset, "dba-reset@test.local"));
        Assert.Equal(["Done"], await AuditOutcomesAsync(DatabaseAuditActions.ExplainAnalyzed, "dba-reset@test.local"));
    }

    [Theory]
    [InlineData("DELETE FROM audit_events")]
    [InlineData("WITH gone AS (DELETE FROM section_schedules RETURNING *) SELECT count(*) FROM gone")]
    [InlineData("SELECT * INTO audit_copy FROM audit_events")]
    public async Task A_dbas_explain_analyze_of_a_statement_that_writes_is_refused_runs_nothing_and_is_audited_with_its_text(string sql)
    {
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        var actor = $"dba-analyze-{Guid.NewGuid():N}@test.local";

        var (plan, problem) = await queries.ExplainAsync(null, sql, analyze: true, TestPrincipals.WithRole(AppRoles.Dba, actor));

        Assert.Null(plan);
        Assert.Contains("EXPLAIN ANALYZE runs the statement", problem);
        Assert.Equal(["Refused"], await AuditOutcomesAsync(DatabaseAuditActions.ExplainAnalyzed, actor));
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand("SELECT new_data->>'statement' FROM audit_events WHERE action = @a AND actor_email = @e", connection);
        command.Parameters.AddWithValue("a", DatabaseAuditActions.ExplainAnalyzed);
        command.Parameters.AddWithValue("e", actor);
        Assert.Equal(sql, await command.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("/database/queries?window=24h&compare=prev", "data-testid=\"compare-grid\"")]
    [InlineData("/database/queries?window=7d&sort=mean", "data-testid=\"window-grid\"")]
    [InlineData("/database/queries?window=2026-12-04T03:00Z/2026-12-04T02:00Z", "is not understood")]
    [InlineData("/database/queries?compare=prev", "A comparison needs a window")]
    [InlineData("/database/tables?window=yesterday", "data-testid=\"tables-window-grid\"")]
    [InlineData("/database/tables?window=24h&compare=-1d&change=nonsense", "data-testid=\"tables-compare-grid\"")]
    [InlineData("/database/tables?window=24h&compare=soon", "The comparison window “soon” is not understood")]
    [InlineData("/database/indexes?window=7d&sort=read&dir=desc", "data-testid=\"index-window-grid\"")]
    [InlineData("/database/indexes?window=last-week", "is not understood")]
    public async Task A_dba_opens_any_window_and_a_window_not_understood_gets_a_message_not_an_error(string path, string expected)
    {
        var html = WebUtility.HtmlDecode(await app.PageAsync(path, AppRoles.Dba));

        Assert.Contains(expected, html);
        Assert.Contains("data-testid=\"window-picker\"", html);
        Assert.DoesNotContain("   at ", html);
    }
}
