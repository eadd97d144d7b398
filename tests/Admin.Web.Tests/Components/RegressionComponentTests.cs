using Admin.Data.Database;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Deploy-aware regressions in the browser's view: the Regressions page's list and one event's statements from the
/// address, and the deployment page's section per role (statements for Admins and DBAs, counts only for release
/// managers, nothing for editors). Events and samples are planted three hours ago (the page lists the last 7 days).
/// </summary>
public sealed class RegressionComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private async Task<DeployRegressions> PlantAsync(long id)
    {
        var t = TimeWindow.FloorHour(DateTimeOffset.UtcNow).AddHours(-3).AddDays(-(id % 3)); // each test its own hours
        await using var connection = await Db.OpenAsync(Admin.TestSupport.TestPostgres.AppRole);
        await using var command = new Npgsql.NpgsqlCommand("""
            INSERT INTO monitoring_deploy_events (kind, source_id, at, environment, service, version, status)
            VALUES ('deployment', @id, @t, 'production', 'checkout', '4.2.0', 'succeeded') ON CONFLICT DO NOTHING;
            INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
            VALUES ('console', @id, 'SELECT bunit_regressed_' || @id, 0, 0, 0, 0, 0, @t, @t) ON CONFLICT DO NOTHING;
            INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
            SELECT 'console', @id, x, 100, CASE WHEN x < @t THEN 200 ELSE 600 END, 100, 0, 0
              FROM generate_series(@t - interval '60 minutes', @t + interval '59 minutes', interval '10 minutes') x
            ON CONFLICT DO NOTHING;
            """, connection);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("t", t);
        await command.ExecuteNonQueryAsync();
        var regressions = Services.GetRequiredService<DeployRegressions>();
        await regressions.EvaluatePendingAsync(MonitoringTarget.ConsoleTargetName, DateTimeOffset.UtcNow);
        return regressions;
    }

    [Fact]
    public async Task The_regressions_page_lists_the_event_with_its_count_and_shows_its_statements_from_the_address()
    {
        await PlantAsync(7101);
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/database/regressions");
        var page = Render<RegressionsPage>();

        var row = page.WaitForElement("[data-testid=regression-event][data-key='deployment:7101']");
        Assert.Equal("Deployment #7101 checkout 4.2.0 → production (succeeded)", TextOf(row));
        Assert.Contains("event=deployment%3A7101", row.GetAttribute("href"));
        var cells = row.Closest("tr")!;
        Assert.Equal("1", TextOf(cells.QuerySelector("[data-testid=regression-count]")!));

        navigation.NavigateTo("/database/regressions?event=deployment:7101");
        page.WaitForAssertion(() => page.Find("[data-testid=regression-report]"));
        var statement = page.Find("[data-testid=regression-statement]");
        Assert.Equal("SELECT bunit_regressed_7101", TextOf(statement));
        Assert.Equal("7101", statement.GetAttribute("data-queryid"));
        var line = TextOf(statement.Closest("tr")!);
        Assert.Contains("slower", line);
        Assert.Contains("+200 %", line);
        var compare = page.Find("a:contains('compare the windows')").GetAttribute("href")!;
        Assert.Contains("compare=", compare);
        Assert.Contains("window=", compare);
        Assert.Contains("q=SELECT%20bunit_regressed_7101", compare);

        navigation.NavigateTo("/database/regressions?event=deployment:nope");
        page.WaitForAssertion(() => Assert.Contains("is not an event", TextOf(page.Find("[data-testid=regressions-problem]"))));
    }

    [Theory]
    [InlineData(AppRoles.Admin, true, true)]
    [InlineData(AppRoles.Dba, true, true)]
    [InlineData(AppRoles.ReleaseManager, true, false)]
    [InlineData(AppRoles.Editor, false, false)]
    public async Task The_deployment_pages_section_shows_statements_to_admins_and_dbas_and_counts_to_release_managers(string role, bool shown, bool statements)
    {
        await PlantAsync(7102);
        SignIn(role);

        var section = Render<DeploymentDatabaseSection>(p => p.Add(c => c.DeploymentId, 7102L));

        if (!shown)
        {
            Assert.Empty(section.FindAll("[data-testid=deployment-database]"));
            Assert.DoesNotContain("bunit_regressed", section.Markup);
            return;
        }
        section.WaitForAssertion(() => Assert.Contains("console: 1 statement slower or busier, 0 new heavy statements",
            TextOf(section.Find("[data-testid=deployment-database-summary]"))));
        Assert.Equal(statements, section.Markup.Contains("SELECT bunit_regressed_7102"));
        Assert.Equal(statements, section.FindAll("[data-testid=deployment-database-link]").Count == 1);
        Assert.Equal(!statements, section.FindAll("[data-testid=deployment-database-restricted]").Count == 1);
    }
}
