using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Database;

/// <summary>The statement page's captured plans: a stored plan rendered like EXPLAIN's, and the reason where there are none.</summary>
public sealed class CapturedPlansWebTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private async Task<long> ProbeAsync(string marker)
    {
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var queries = scope.ServiceProvider.GetRequiredService<DatabaseQueries>();
        for (var attempt = 1; ; attempt++)
        {
            await using (var session = await TestSession.OpenAsync(app.Database.Name, "captured-plans-test"))
                await session.ExecuteAsync($"SELECT 1 AS {marker}");
            var read = await queries.LoadAsync(null, StatementSort.MeanTime, 5, marker);
            if (read.Value!.Statements.Count == 1) return read.Value.Statements[0].QueryId;
            Assert.True(attempt < 3, $"{marker} not in pg_stat_statements");
        }
    }

    [Fact]
    public async Task A_statement_without_captured_plans_says_why_and_a_captured_plan_is_shown_as_explain_lines()
    {
        var queryId = await ProbeAsync("captured_plans_probe");

        var before = await app.PageAsync($"/database/queries/{queryId}", AppRoles.Dba);
        Assert.Contains("data-testid=\"captured-plans\"", before);
        Assert.Contains("data-testid=\"captured-plans-unavailable\"", before);
        Assert.Contains("auto_explain is not loaded", before); // the shared test server preloads pg_stat_statements only

        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($$$"""
                INSERT INTO monitoring_captured_plans (target, query_id, statement, duration_ms, plan, logged_at, log_file)
                VALUES ('console', {{{queryId}}}, 'SELECT 1 AS captured_plans_probe', 1234.5,
                        '{"Query Text": "SELECT 1 AS captured_plans_probe", "Plan": {"Node Type": "Seq Scan", "Relation Name": "big", "Alias": "big", "Startup Cost": 0, "Total Cost": 99.5, "Plan Rows": 7, "Plan Width": 4, "Filter": "(x = 2)"}}',
                        now() - interval '5 minutes', 'postgresql.json')
                """);

        var after = await app.PageAsync($"/database/queries/{queryId}", AppRoles.Dba);
        Assert.DoesNotContain("captured-plans-unavailable", after);
        Assert.Contains("data-testid=\"captured-plan\"", after);
        Assert.Contains("Seq Scan on big  (cost=0.00..99.50 rows=7 width=4)", after);
        Assert.Contains("Filter: (x = 2)", after);
        Assert.Contains("1.23 s", after);
    }
}
