using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>A DBA finds a slow pg_sleep statement, opens it, explains it; the other statistics tabs show data too.</summary>
public sealed class SlowQueriesTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task A_dba_finds_a_slow_query_opens_its_history_and_explains_it() => RunAsync(async page =>
    {
        await using (var session = await TestSession.OpenAsync(App.Database.Name, "e2e-slow"))
            await session.ExecuteAsync("SELECT pg_sleep(0.4), 'e2e' AS e2e_slow_probe");
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync("/database/queries");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=query-summary]")).ToContainTextAsync("statements tracked");
        await page.GetByTestId("query-sort").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Mean time" }).ClickAsync();
        await page.WaitForURLAsync("**/database/queries?sort=mean");
        // Near the top (other work on a busy machine may be slower still).
        var probe = page.Locator("[data-testid=query-link]", new() { HasText = "e2e_slow_probe" });
        await Expect(probe).ToBeVisibleAsync();
        Assert.Contains(await probe.GetAttributeAsync("data-queryid"),
            await page.Locator("[data-testid=query-link]").EvaluateAllAsync<string[]>("els => els.slice(0, 10).map(e => e.dataset.queryid)"));
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-slow-queries");

        await probe.ClickAsync();
        await page.WaitForURLAsync("**/database/queries/*");
        await Expect(page.Locator("[data-testid=query-text]")).ToContainTextAsync("pg_sleep($1)");
        await Expect(page.Locator("[data-testid=query-figures]")).ToContainTextAsync("1 call");
        await Expect(page.Locator("[data-testid=query-history]")).ToBeVisibleAsync();
        await page.Locator("[data-testid=explain-run]").ClickAsync();
        await Expect(page.Locator("[data-testid=explain-facts]")).ToContainTextAsync("generic plan");
        await Expect(page.Locator("[data-testid=explain-plan]")).ToContainTextAsync("Result");

        // ANALYZE of the pasted statement with a value, after the confirmation.
        await page.GetByLabel("Statement to explain").FillAsync("SELECT pg_sleep(0.05)");
        await page.Locator("[data-testid=explain-analyze]").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Run EXPLAIN ANALYZE" }).ClickAsync();
        await Expect(page.Locator("[data-testid=explain-facts]")).ToContainTextAsync("execution");
        await page.SaveReviewScreenshotAsync("database-explain");

        await page.GetByRole(AriaRole.Navigation, new() { Name = "Database pages" }).GetByRole(AriaRole.Link, new() { Name = "Tables", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/database/tables");
        await Expect(page.Locator("[data-testid=tables-grid]")).ToContainTextAsync("audit_events");
        await page.Locator("[data-testid=table-link]").First.ClickAsync();
        await Expect(page.Locator("[data-testid=table-growth]")).ToBeVisibleAsync();
    });
}
