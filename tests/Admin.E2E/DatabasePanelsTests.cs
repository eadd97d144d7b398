namespace Admin.E2E;

/// <summary>The DBA opens the Database Overview and Indexes pages and sees live figures.</summary>
public sealed class DatabasePanelsTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task A_dba_opens_the_overview_and_the_indexes_and_sees_data() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync("/database");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=server-facts]")).ToContainTextAsync("PostgreSQL");
        await Expect(page.Locator("[data-testid=health-checks] .health-card")).ToHaveCountAsync(13);
        await Expect(page.Locator("[data-testid=health-checks] [data-key=cache-hit]")).ToContainTextAsync("Cache hit ratio");
        await Expect(page.Locator("[data-testid=predeploy] .predeploy-item")).ToHaveCountAsync(5);
        await page.SaveReviewScreenshotAsync("database-overview");

        await page.Locator(".db-tabs a", new() { HasText = "Indexes" }).ClickAsync();
        await page.WaitForURLAsync("**/database/indexes");
        await Expect(page.Locator("[data-testid=index-grid]")).ToContainTextAsync("CREATE UNIQUE INDEX");
        await Expect(page.Locator("[data-testid=table-scans]")).ToBeVisibleAsync();
        await page.SaveReviewScreenshotAsync("database-indexes");

        await page.Locator("[data-testid=index-filter]").GetByText("Unused").ClickAsync();
        await Expect(page.Locator("[data-testid=index-grid] .db-badge.warn").First).ToBeVisibleAsync();
    });
}
