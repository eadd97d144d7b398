using Admin.Web.Components;
using Admin.TestSupport;
using System.Text.RegularExpressions;

namespace Admin.E2E;

/// <summary>
/// A release from draft to rollback in a real browser: an editor prepares it (a translation and a flag), sees the diff,
/// a second release causes a conflict that is resolved, the release manager approves (four eyes), deploys and rolls back.
/// </summary>
public sealed partial class ReleaseWorkflowTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task An_editor_prepares_a_release_a_conflict_is_resolved_and_the_release_manager_approves_deploys_and_rolls_back() => RunAsync(async page =>
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var key = $"e2e.greeting.{suffix}";
        var flag = $"e2e-flag-{suffix}";

        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        var releaseId = await CreateReleaseAsync(page, $"E2E release {suffix}");

        await AddTranslationAsync(page, key, "Hello from E2E");
        await page.ClickAsync("[data-testid=add-change]");
        var dialog = page.Locator("[data-testid=entity-dialog]");
        await ChooseAsync(page, dialog.GetByLabel("Type", new() { Exact = true }), "Feature flag");
        await dialog.GetByLabel("Key", new() { Exact = true }).FillAsync(flag);
        await dialog.GetByLabel("Enabled").CheckAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save to release" }).ClickAsync();

        // The diff: both entities added, values side by side against live (nothing there yet).
        var translation = page.Locator($"[data-testid=change][data-key='{key}']");
        await Expect(translation).ToHaveAttributeAsync("data-change", "added");
        await Expect(translation.Locator("[data-testid=payload-diff]")).ToContainTextAsync("Hello from E2E");
        await Expect(page.Locator($"[data-testid=change][data-key='{flag}']")).ToHaveAttributeAsync("data-change", "added");
        await Expect(page.Locator("[data-testid=no-conflicts]")).ToBeVisibleAsync();
        await page.SaveReviewScreenshotAsync("release-draft-diff");

        // An admin starts another release with a translation under the same key: both see the conflict, live.
        var admin = await NewPageAsync();
        await LoginAsync(admin, DemoUserWithRole(AppRoles.Admin));
        await CreateReleaseAsync(admin, $"E2E other {suffix}");
        await AddTranslationAsync(admin, key, "Competing text");
        await Expect(admin.Locator("[data-testid=conflict][data-kind=collision_open]")).ToBeVisibleAsync();
        var conflict = page.Locator("[data-testid=conflict][data-kind=collision_open]");
        await Expect(conflict).ToContainTextAsync(key);
        await Expect(conflict.Locator("[data-testid=conflict-release-link]")).ToBeVisibleAsync();
        await page.SaveReviewScreenshotAsync("release-conflict");

        // Resolved: the admin takes the competing change out of their release.
        await admin.ClickAsync($"[data-testid=change][data-key='{key}'] [data-testid=remove-change]");
        await ConfirmAsync(admin, "Take out");
        await Expect(page.Locator("[data-testid=no-conflicts]")).ToBeVisibleAsync();

        await page.ClickAsync("[data-testid=submit]");
        await ConfirmAsync(page, "Submit");
        await Expect(page.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "IN_REVIEW");
        // The editor cannot approve.
        await Expect(page.Locator("[data-testid=approve]")).ToBeDisabledAsync();

        var manager = await NewPageAsync();
        await LoginAsync(manager, DemoUserWithRole(AppRoles.ReleaseManager));
        await manager.GotoAsync($"/releases/{releaseId}");
        await manager.WaitForInteractiveShellAsync();
        await manager.ClickAsync("[data-testid=approve]");
        await ConfirmAsync(manager, "Approve");
        await Expect(manager.Locator("[data-testid=approver]")).ToHaveTextAsync("release@admin.local");

        await manager.ClickAsync("[data-testid=deploy]");
        await manager.ClickAsync("[data-testid=reason-confirm]");
        await Expect(manager.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "DEPLOYED");
        await Expect(manager.Locator("[data-testid=deploy-seq]")).ToBeVisibleAsync();
        // The editor's page follows live.
        await Expect(page.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "DEPLOYED");

        await manager.GotoAsync($"/releases/live?type=translation");
        await manager.WaitForInteractiveShellAsync();
        await manager.Locator("[data-testid=live-key]").FillAsync(key);
        await manager.ClickAsync("[data-testid=live-search]");
        await Expect(manager.Locator("[data-testid=live-grid]")).ToContainTextAsync("Hello from E2E");

        // Roll back: the preview names what changes back, with a reason (that one is required: Components/ConfirmDialogTests, bUnit).
        await manager.GotoAsync($"/releases/{releaseId}");
        await manager.WaitForInteractiveShellAsync();
        await manager.ClickAsync("[data-testid=rollback]");
        await Expect(manager.Locator("[data-testid=rollback-preview]")).ToContainTextAsync(key);
        await manager.GetByRole(AriaRole.Dialog).GetByLabel("Reason for the rollback").FillAsync("Wrong greeting");
        await manager.SaveReviewScreenshotAsync("release-rollback-dialog");
        await manager.ClickAsync("[data-testid=reason-confirm]");
        await Expect(manager.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "ROLLED_BACK");

        await manager.GotoAsync($"/releases/live?type=translation");
        await manager.WaitForInteractiveShellAsync();
        await manager.Locator("[data-testid=live-key]").FillAsync(key);
        await manager.ClickAsync("[data-testid=live-search]");
        await Expect(manager.Locator("[data-testid=live-grid]")).Not.ToContainTextAsync("Hello from E2E");
    });

    [Fact]
    public Task A_release_manager_schedules_an_approved_release_and_watches_it_deploy_at_its_time() => RunAsync(async page =>
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var id = await App.Database.ApprovedReleaseAsync($"E2E scheduled {suffix}", ReleaseFixtures.Translation($"e2e.scheduled.{suffix}", "Scheduled hello"));
        await LoginAsync(page, DemoUserWithRole(AppRoles.ReleaseManager));
        await page.GotoAsync($"/releases/{id}");
        await page.WaitForInteractiveShellAsync();

        // Six seconds ahead on the browser's wall clock, to the second.
        var at = await page.EvaluateAsync<string>("""
            () => {
                const d = new Date(Date.now() + 6000), p = n => String(n).padStart(2, '0');
                return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
            }
            """);
        var schedule = page.GetByTestId("release-schedule");
        await schedule.GetByLabel("Deploy at").FillAsync(at);
        await schedule.GetByRole(AriaRole.Button, new() { Name = "Schedule", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("schedule-countdown")).ToHaveTextAsync(new Regex(@"^in 0:0\d$"));
        await Expect(page.GetByTestId("schedule-when")).ToContainTextAsync("release@admin.local");
        await page.SaveReviewScreenshotAsync("release-scheduled");

        // The page follows live: deployed within seconds of the time, by the scheduler acting for the release manager.
        await Expect(page.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "DEPLOYED", new() { Timeout = 20_000 });
        await using var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole);
        var late = await owner.ScalarAsync<double>($"SELECT extract(epoch FROM deployed_at - scheduled_at)::float8 FROM releases WHERE id = {id}");
        Console.WriteLine($"Scheduled release deployed {late * 1000:0} ms after its time");
        Assert.InRange(late, 0, 5);
        Assert.Equal("release@admin.local", await owner.ScalarAsync<string>($"SELECT deployer_email FROM releases WHERE id = {id}"));
    });

    [Fact]
    public Task A_large_release_is_read_a_page_at_a_time_searched_and_its_conflicts_opened() => RunAsync(async page =>
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        long id;
        await using (var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole))
        {
            await owner.ExecuteAsync("""
                SELECT set_config('app.user_id', '00000000-0000-0000-0000-00000000e001', false),
                       set_config('app.user_email', 'editor@admin.local', false), set_config('app.roles', 'Editor', false)
                """);
            id = await owner.ScalarAsync<long>($"INSERT INTO releases (name) VALUES ('E2E 60 changes {suffix}') RETURNING id");
            var overlap = await owner.ScalarAsync<long>($"INSERT INTO releases (name) VALUES ('E2E overlap {suffix}') RETURNING id");
            await owner.ExecuteAsync($$"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, locale_id, entity_key, payload)
                SELECT gen_random_uuid(), 'translation', {{id}}, 'en-GB', 'e2e.page.{{suffix}}.' || lpad(g::text, 3, '0'), jsonb_build_object('value', 'Text ' || g)
                FROM generate_series(1, 60) g;
                INSERT INTO entity_versions (entity_id, entity_type, release_id, locale_id, entity_key, payload)
                SELECT entity_id, entity_type, {{overlap}}, locale_id, entity_key, '{"value": "other"}'
                FROM entity_versions WHERE release_id = {{id}} AND entity_key <= 'e2e.page.{{suffix}}.012';
                """);
        }

        await LoginAsync(page, DemoUserWithRole(AppRoles.ReleaseManager));
        await page.GotoAsync($"/releases/{id}");
        await page.WaitForInteractiveShellAsync();
        var cards = page.Locator("[data-testid=change]");
        await Expect(page.Locator("[data-testid=change-range]")).ToHaveTextAsync("1–50 of 60");
        await Expect(cards).ToHaveCountAsync(50);

        await page.ClickAsync("[data-testid=change-next]");
        await Expect(page.Locator("[data-testid=change-range]")).ToHaveTextAsync("51–60 of 60");
        await Expect(cards).ToHaveCountAsync(10);
        Assert.Contains("page=2", page.Url);

        await page.FillAsync("[data-testid=change-search]", $"{suffix}.007");
        await page.PressAsync("[data-testid=change-search]", "Enter");
        await Expect(cards).ToHaveCountAsync(1);
        await Expect(cards.First).ToHaveAttributeAsync("data-key", $"e2e.page.{suffix}.007");
        await Expect(page.Locator("[data-testid=change-pager]")).ToHaveCountAsync(0);

        // Twelve conflicts: counted, ten listed until asked for all; a conflict's link opens its change.
        await page.GotoAsync($"/releases/{id}");
        await page.WaitForInteractiveShellAsync();
        var conflicts = page.Locator("[data-testid=conflict]");
        await Expect(page.Locator("[data-testid=conflict-summary]")).ToContainTextAsync("12 warnings");
        await Expect(conflicts).ToHaveCountAsync(10);
        await page.ClickAsync("[data-testid=conflict-toggle]");
        await Expect(conflicts).ToHaveCountAsync(12);
        await conflicts.Nth(11).Locator("[data-testid=conflict-change-link]").ClickAsync();
        await Expect(cards).ToHaveCountAsync(1);
        await Expect(cards.First).ToHaveAttributeAsync("data-key", new Regex($@"^e2e\.page\.{suffix}\.0(0\d|1[0-2])$"));
        await page.SaveReviewScreenshotAsync("release-large-search");

        // The same page in the dark palette (the theme cookie is read on the server, so the first paint is dark).
        await page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = "dark", Url = App.BaseUrl.ToString() }]);
        await page.GotoAsync($"/releases/{id}");
        await page.WaitForInteractiveShellAsync();
        await Expect(cards).ToHaveCountAsync(50);
        await page.SaveReviewScreenshotAsync("release-large-dark");
        await page.GotoAsync("/releases");
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync("releases-list-dark");
    });

    private static async Task<long> CreateReleaseAsync(IPage page, string name)
    {
        await page.GotoAsync("/releases");
        await page.WaitForInteractiveShellAsync();
        await page.ClickAsync("[data-testid=new-release]");
        await page.Locator("[data-testid=release-name]").FillAsync(name);
        await page.ClickAsync("[data-testid=new-release-create]");
        await Expect(page).ToHaveURLAsync(ReleaseUrl());
        await page.WaitForInteractiveShellAsync();
        return long.Parse(ReleaseUrl().Match(page.Url).Groups[1].Value);
    }

    private static async Task AddTranslationAsync(IPage page, string key, string value)
    {
        await page.ClickAsync("[data-testid=add-change]");
        var dialog = page.Locator("[data-testid=entity-dialog]");
        await dialog.Locator("[data-testid=entity-key]").FillAsync(key);
        await dialog.Locator("[data-testid='value-en-GB']").FillAsync(value);
        await dialog.Locator("[data-testid=entity-save]").ClickAsync();
        await Expect(page.Locator($"[data-testid=change][data-key='{key}']")).ToBeVisibleAsync();
    }

    /// <summary>The button of the open confirmation dialog (the page behind may have a button of the same name).</summary>
    private static Task ConfirmAsync(IPage page, string button) =>
        page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = button, Exact = true }).ClickAsync();

    /// <summary>Opens a select by its label and picks the option of that exact name (the options open in a popover).</summary>
    private static async Task ChooseAsync(IPage page, ILocator select, string option)
    {
        await select.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    [GeneratedRegex("/releases/([0-9]+)$")]
    private static partial Regex ReleaseUrl();
}
