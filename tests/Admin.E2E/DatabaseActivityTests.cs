using System.Text.RegularExpressions;
using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>The DBA's Activity and Tables panels against real sessions of the app's own database.</summary>
public sealed class DatabaseActivityTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task A_dba_sees_a_sleeping_session_terminates_it_through_the_confirm_dialog_and_it_disappears() => RunAsync(async page =>
    {
        await using var sleeper = await TestSession.OpenAsync(App.Database.Name, "e2e-sleeper");
        var pid = sleeper.Pid;
        var sleeping = sleeper.Start("SELECT pg_sleep(60) /* e2e sleeper */");

        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));
        await page.GotoAsync("/database/activity");
        await page.WaitForInteractiveShellAsync();

        var row = page.GetByTestId("running-grid").GetByRole(AriaRole.Row).Filter(new() { Has = page.Locator($"[data-testid=session-pid][data-pid='{pid}']") });
        await Expect(row).ToContainTextAsync("pg_sleep(60)", new() { Timeout = 10_000 });
        await Expect(row).ToContainTextAsync("e2e-sleeper");
        await Expect(page.Locator("[data-testid=activity-tiles]")).ToContainTextAsync("Connections");
        await page.GetByTestId("activity-pause").ClickAsync(); // the rows stay put for the dark screenshot
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-activity");
        await Expect(row).ToContainTextAsync("pg_sleep(60)", new() { Timeout = 10_000 });

        await row.GetByRole(AriaRole.Button, new() { Name = $"Terminate session {pid}" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = $"Terminate session {pid}?" });
        await Expect(dialog).ToContainTextAsync($"Session {pid}");
        await Expect(dialog).ToContainTextAsync(TestPostgres.OwnerRole);
        await Expect(dialog).ToContainTextAsync("SELECT pg_sleep(60)");
        await page.SaveReviewScreenshotAsync("database-activity-terminate-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Terminate", Exact = true }).ClickAsync();

        await Expect(page.GetByText(new Regex($"Session {pid} .*was terminated"))).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(row).ToHaveCountAsync(0, new() { Timeout = 10_000 });
        Assert.NotNull(await sleeping.WaitAsync(TimeSpan.FromSeconds(10)));
        await page.SaveReviewScreenshotAsync("database-activity-terminated");
    });

    [Fact]
    public Task A_dba_lists_the_queries_running_longer_than_n_and_keeps_them() => RunAsync(async page =>
    {
        await using var sleeper = await TestSession.OpenAsync(App.Database.Name, "e2e-long");
        var sleeping = sleeper.Start("SELECT pg_sleep(60) /* e2e long */");

        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));
        await page.GotoAsync("/database/activity");
        await page.WaitForInteractiveShellAsync();
        await page.GetByTestId("activity-pause").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Stop queries longer than…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Stop queries running longer than…" });
        await Expect(dialog).ToContainTextAsync("never the console's own connections");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var seconds = dialog.GetByLabel("Running longer than (seconds)");
        await seconds.FillAsync("1");
        await seconds.PressAsync("Tab");

        // Only this test's session is asserted: other tests may run statements in the same database meanwhile.
        await Expect(dialog.Locator($"[data-testid=long-query][data-pid='{sleeper.Pid}']")).ToContainTextAsync("e2e long", new() { Timeout = 10_000 });
        await Expect(dialog.GetByRole(AriaRole.Button, new() { NameRegex = new Regex("^Cancel \\d+ quer") })).ToBeEnabledAsync();
        await page.SaveReviewScreenshotAsync("database-activity-long-queries-dialog");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Keep them" }).ClickAsync();

        await Expect(dialog).ToHaveCountAsync(0);
        Assert.False(sleeping.IsCompleted); // keeping them signals nothing
    });

    [Fact]
    public Task A_dba_sees_who_blocks_whom() => RunAsync(async page =>
    {
        await using var holder = await TestSession.OpenAsync(App.Database.Name, "e2e-lock-holder");
        await using var waiter = await TestSession.OpenAsync(App.Database.Name, "e2e-lock-waiter");
        await holder.ExecuteAsync("CREATE TABLE IF NOT EXISTS e2e_locked (id int)");
        await holder.ExecuteAsync("BEGIN; LOCK TABLE e2e_locked IN ACCESS EXCLUSIVE MODE");
        var waiting = waiter.Start("SELECT count(*) FROM e2e_locked");

        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));
        await page.GotoAsync("/database/activity");
        await page.WaitForInteractiveShellAsync();

        // The panel shows the whole server: other work on it may block too, so pick this test's holder by pid.
        var root = page.Locator($"[data-testid=blocking-root][data-pid=\"{holder.Pid}\"]");
        await Expect(root).ToContainTextAsync("e2e", new() { Timeout = 10_000 });
        await Expect(root.Locator("[data-testid=blocked-session]")).ToContainTextAsync("SELECT count(*) FROM e2e_locked");
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-activity-blocked");
        await Expect(root.Locator("[data-testid=blocked-session]")).ToContainTextAsync("SELECT count(*) FROM e2e_locked");

        await holder.ExecuteAsync("ROLLBACK");
        Assert.Null(await waiting.WaitAsync(TimeSpan.FromSeconds(10))); // the waiter got its turn
    });

    [Fact]
    public Task A_dba_opens_tables_and_sees_the_audit_events_partitions() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));
        await page.GotoAsync("/database/tables");
        await page.WaitForInteractiveShellAsync();

        var grid = page.GetByTestId("tables-grid");
        await Expect(grid.GetByRole(AriaRole.Row).Filter(new() { HasText = "audit_events" }).First).ToBeVisibleAsync();
        await Expect(grid).ToContainTextAsync("partition of audit_events");
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-tables");
        await page.GetByLabel("Filter tables").FillAsync("audit_events");
        await page.GetByLabel("Filter tables").PressAsync("Tab");
        await Expect(grid.GetByTestId("table-link").First).ToContainTextAsync("audit_events");
        await page.SaveReviewScreenshotAsync("database-tables-filtered");
    });
}
