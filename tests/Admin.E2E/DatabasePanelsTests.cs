using System.Text.RegularExpressions;
using Admin.Data.Database;
using Admin.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.E2E;

/// <summary>
/// The DBA's statistics panels in the browser: Overview, Indexes (filter and sort kept in the address), Explain, a
/// statement's history chart, a table's growth chart, the confirmed reset; an editor is refused every panel. Activity
/// and Tables are in DatabaseActivityTests, the slow-query list and a statement's EXPLAIN in SlowQueriesTests.
/// </summary>
public sealed class DatabasePanelsTests(AppFixture app) : BrowserTest(app)
{
    public static readonly string[] Panels =
        ["/database", "/database/indexes", "/database/queries", "/database/queries/1", "/database/explain", "/database/tables", "/database/activity"];

    /// <summary>A button of the open dialog (the page behind may have one with a similar name).</summary>
    private static ILocator Dialog(IPage page, string button) =>
        page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = button, Exact = true });

    /// <summary>The review screenshot in light, then the same page in dark (the theme cookie, applied on the first paint).</summary>
    internal static async Task SaveLightAndDarkAsync(IPage page, string name)
    {
        await page.SaveReviewScreenshotAsync(name);
        var site = new Uri(page.Url).GetLeftPart(UriPartial.Authority) + "/";
        await page.Context.AddCookiesAsync([new Cookie { Name = "admin.theme", Value = "dark", Url = site }]);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync(name + "-dark");
        await page.Context.AddCookiesAsync([new Cookie { Name = "admin.theme", Value = "light", Url = site }]);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
    }

    private static ILocator Tab(IPage page, string name) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Database pages" }).GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    /// <summary>Signs in as the demo DBA and opens the slow-query list; the DBA, for the audit rows it will leave.</summary>
    private async Task<DemoUser> OpenSlowQueriesAsDbaAsync(IPage page)
    {
        var dba = DemoUserWithRole(AppRoles.Dba);
        await LoginAsync(page, dba);
        await page.GotoAsync("/database/queries");
        await page.WaitForInteractiveShellAsync();
        return dba;
    }

    private async Task<long> AuditCountAsync(string action, string actor)
    {
        await using var connection = await App.Database.OpenAppAsAdminAsync(); // row-level security: an admin sees every audit row
        await using var command = new NpgsqlCommand("SELECT count(*) FROM audit_events WHERE action = @a AND actor_email = @e", connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("e", actor);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public Task A_dba_opens_the_overview_and_the_indexes_and_their_filter_and_sort_survive_a_reload() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync("/database");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=server-facts]")).ToContainTextAsync("PostgreSQL");
        await Expect(page.Locator("[data-testid=health-checks] [data-testid=health-card]")).ToHaveCountAsync(14);
        await Expect(page.Locator("[data-testid=health-checks] [data-key=cache-hit]")).ToContainTextAsync("Cache hit ratio");
        await Expect(page.Locator("[data-testid=predeploy] [data-testid=predeploy-item]")).ToHaveCountAsync(5);
        await SaveLightAndDarkAsync(page, "database-overview");

        await Tab(page, "Indexes").ClickAsync();
        await page.WaitForURLAsync("**/database/indexes");
        var grid = page.Locator("[data-testid=index-grid]");
        await Expect(grid).ToContainTextAsync("USING btree");
        await Expect(page.Locator("[data-testid=stats-reset]")).ToContainTextAsync("Scans count since the statistics reset");
        await Expect(page.Locator("[data-testid=table-scans]")).ToBeVisibleAsync();

        // Sorting by size, largest first, is in the address: a reload (or a shared link) shows the same order.
        await grid.Locator("a[data-sort=size]").ClickAsync();
        await page.WaitForURLAsync("**/database/indexes?sort=size&dir=desc");
        await Expect(grid.Locator("a[data-sort=size]")).ToHaveAttributeAsync("data-sort-dir", "desc");
        var largest = await grid.GetByTestId("index-name").First.TextContentAsync();
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await Expect(grid.Locator("a[data-sort=size]")).ToHaveAttributeAsync("data-sort-dir", "desc");
        await Expect(grid.GetByTestId("index-name").First).ToHaveTextAsync(largest!);
        await SaveLightAndDarkAsync(page, "database-indexes");

        // So are the filter and the text search.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Show indexes" }).GetByRole(AriaRole.Link, new() { NameRegex = new Regex("^Unused") }).ClickAsync();
        await page.WaitForURLAsync("**/database/indexes?sort=size&dir=desc&show=unused");
        await page.GetByLabel("Filter indexes").FillAsync("audit_events");
        await page.GetByLabel("Filter indexes").PressAsync("Tab");
        await page.WaitForURLAsync("**/database/indexes?sort=size&dir=desc&show=unused&q=audit_events");
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await Expect(page.GetByLabel("Filter indexes")).ToHaveValueAsync("audit_events");
        await Expect(grid.GetByTestId("index-unused").First).ToContainTextAsync("unused since");
        await Expect(grid.GetByTestId("index-name").First).ToContainTextAsync("audit_events");
        await page.SaveReviewScreenshotAsync("database-indexes-unused");
    });

    [Fact]
    public Task A_dba_explains_a_pasted_statement_and_analyze_runs_only_after_confirming_and_only_read_only_statements() => RunAsync(async page =>
    {
        var dba = await OpenSlowQueriesAsDbaAsync(page);
        await page.Locator("[data-testid=explain-open]").ClickAsync();
        await page.WaitForURLAsync("**/database/explain");
        var sql = page.GetByLabel("Statement to explain");
        var analyzed = await AuditCountAsync("database.explain_analyzed", dba.Email);

        await sql.FillAsync("SELECT action, count(*) FROM audit_events GROUP BY action");
        await page.Locator("[data-testid=explain-run]").ClickAsync();
        await Expect(page.Locator("[data-testid=explain-facts]")).ToContainTextAsync("estimates only");
        await Expect(page.Locator("[data-testid=explain-plan]")).ToContainTextAsync("audit_events");

        // (Cancelling the confirmation runs and audits nothing: Components/DatabaseAndTokenTests, bUnit.)
        // A statement that writes is refused, even confirmed.
        await sql.FillAsync("WITH gone AS (DELETE FROM audit_events RETURNING *) SELECT count(*) FROM gone");
        await page.Locator("[data-testid=explain-analyze]").ClickAsync();
        await Dialog(page, "Run EXPLAIN ANALYZE").ClickAsync();
        await Expect(page.Locator("[data-testid=explain-problem]")).ToContainTextAsync("read-only statements only");
        Assert.Equal(analyzed + 1, await AuditCountAsync("database.explain_analyzed", dba.Email)); // refused, and audited

        await sql.FillAsync("SELECT action, count(*) FROM audit_events GROUP BY action");
        await page.Locator("[data-testid=explain-analyze]").ClickAsync();
        await Dialog(page, "Run EXPLAIN ANALYZE").ClickAsync();
        await Expect(page.Locator("[data-testid=explain-facts]")).ToContainTextAsync("execution");
        await Expect(page.Locator("[data-testid=explain-plan]")).ToContainTextAsync("actual time=");
        Assert.Equal(analyzed + 2, await AuditCountAsync("database.explain_analyzed", dba.Email));
        await SaveLightAndDarkAsync(page, "database-explain-page");
    });

    [Fact]
    public Task A_dba_sees_a_statements_calls_and_mean_time_chart_from_the_sampled_history() => RunAsync(async page =>
    {
        var targets = App.Factory.Services.GetRequiredService<MonitoringTargets>();
        var sampler = new StatisticsSampler(App.Factory.Services.GetRequiredService<NpgsqlDataSource>(), "e2e-sampler");
        var now = DateTimeOffset.UtcNow;
        await using (var session = await TestSession.OpenAsync(App.Database.Name, "e2e-history"))
        {
            // Three samples a minute apart (backdated) with calls in between: two points on the chart.
            for (var minute = 3; minute >= 1; minute--)
            {
                for (var i = 0; i < minute * 4; i++) await session.ExecuteAsync($"SELECT pg_sleep(0.01), {i} AS e2e_history_probe");
                await sampler.SampleAsync(targets.Default, now.AddMinutes(-minute), TimeSpan.FromMinutes(15));
            }
        }
        var queryId = (await SlowQueries.LoadAsync(targets.Default.DataSource, search: "e2e_history_probe")).Statements.Single().QueryId;
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync($"/database/queries/{queryId}?range=1h");
        await page.WaitForInteractiveShellAsync();

        await Expect(page.Locator("[data-testid=query-text]")).ToContainTextAsync("e2e_history_probe");
        await Expect(page.Locator("[data-testid=query-history-chart] .apexcharts-canvas")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=history-summary]")).ToContainTextAsync("calls in");
        await SaveLightAndDarkAsync(page, "database-query-detail");
    });

    [Fact]
    public Task A_dba_sees_a_tables_growth_over_time_compares_two_windows_and_index_use_over_one() => RunAsync(async page =>
    {
        await using (var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                INSERT INTO monitoring_table_samples (target, schema_name, table_name, taken_at, total_bytes, live_tuples, dead_tuples)
                SELECT 'console', 'public', 'users', now() - h * interval '1 hour', 8192 * (5 - h), 5 - h, 0 FROM generate_series(1, 4) h
                ON CONFLICT DO NOTHING
                """);
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync("/database/tables?table=public.users");
        await page.WaitForInteractiveShellAsync();

        await Expect(page.Locator("[data-testid=table-growth]")).ToContainTextAsync("Size of public.users over time");
        await Expect(page.Locator("[data-testid=table-growth-chart] .apexcharts-canvas")).ToBeVisibleAsync();
        var row = page.GetByTestId("tables-grid").GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByTestId("table-link").Filter(new() { HasTextRegex = new Regex("^users$") }) }).First;
        await Expect(row.GetByTestId("table-growth-figure")).ToContainTextAsync("+");
        await SaveLightAndDarkAsync(page, "database-table-growth");

        // The last 24 hours compared with the 24 hours before (both in the address), then index use over the same window.
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Time window" }).GetByRole(AriaRole.Link, new() { Name = "Last 24 hours" }).ClickAsync();
        await page.WaitForURLAsync("**/database/tables?*window=24h*");
        await Expect(page.GetByTestId("tables-window-grid")).ToBeVisibleAsync();
        await page.GetByTestId("window-compare").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "the window just before" }).ClickAsync();
        await page.WaitForURLAsync("**/database/tables?*compare=prev*");
        await Expect(page.GetByTestId("tables-compare-summary")).ToContainTextAsync("Before:");
        await page.Locator("a[data-sort=ins]").ClickAsync();
        await page.WaitForURLAsync("**change=ins*");
        await Expect(page.Locator("a[data-sort=ins]")).ToHaveAttributeAsync("data-sort-dir", "desc");
        // An index sample in the window (the app's sampler takes one every 15 minutes; this one only when none is that recent).
        await new StatisticsSampler(App.Factory.Services.GetRequiredService<NpgsqlDataSource>(), "e2e-sampler")
            .SampleAsync(App.Factory.Services.GetRequiredService<MonitoringTargets>().Default, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(15));
        await page.GotoAsync("/database/indexes?window=24h&sort=scans&dir=desc");
        await page.WaitForInteractiveShellAsync();
        // (one sample or more in the window, as the app's sampler has run: the figures themselves are the data and bUnit tests')
        await Expect(page.GetByTestId("index-window-summary")).ToContainTextAsync("index sample");
        await Expect(page.GetByTestId("index-window-grid").GetByTestId("index-name").First).ToBeVisibleAsync();
        await SaveLightAndDarkAsync(page, "database-indexes-window");
    });

    [Fact]
    public Task A_dba_resets_the_query_statistics_only_after_confirming_and_it_is_audited() => RunAsync(async page =>
    {
        var dba = await OpenSlowQueriesAsDbaAsync(page);
        var before = await AuditCountAsync("database.statistics_reset", dba.Email);

        await page.GetByTestId("query-reset").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToContainTextAsync("recorded in the audit trail");
        await page.SaveReviewScreenshotAsync("database-reset-dialog");
        await Dialog(page, "Cancel").ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToHaveCountAsync(0);
        Assert.Equal(before, await AuditCountAsync("database.statistics_reset", dba.Email));

        await page.GetByTestId("query-reset").ClickAsync();
        await Dialog(page, "Reset statistics").ClickAsync();
        await Expect(page.GetByText("Query statistics of console were reset")).ToBeVisibleAsync();
        Assert.Equal(before + 1, await AuditCountAsync("database.statistics_reset", dba.Email));
    });

    [Fact]
    public Task An_editor_is_refused_every_database_panel() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));

        foreach (var path in Panels)
        {
            await page.GotoAsync(path);
            await page.ExpectAccessDeniedAsync();
            await Expect(page.GetByTestId("database-tabs")).ToHaveCountAsync(0);
        }
    });
}
