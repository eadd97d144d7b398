using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Components;

namespace Admin.E2E;

/// <summary>
/// Homepage sections in a release, in the browser: an editor adds a section's newer version from the section editor
/// and another section's take-down from the release page; the release manager approves and deploys (both sections
/// change on the storefront at once) and rolls back (both come back).
/// </summary>
public sealed partial class ReleaseWorkflowTests
{
    [Fact]
    public Task An_editor_puts_homepage_sections_in_a_release_and_its_deploy_and_rollback_publish_them_together() => RunAsync(async page =>
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var content = App.Database.ContentService();
        var summer = await content.CreateAsync(new NewSection("en-GB", $"summer-{suffix}", SectionTypes.Hero, ContentFixtures.Hero("Spring into summer")));
        await content.PublishAsync(summer, 1);
        await content.SaveDraftAsync(summer, 1, ContentFixtures.Hero("Summer sale"), "Summer campaign");
        var winter = await content.CreateAsync(new NewSection("en-GB", $"winter-{suffix}", SectionTypes.Hero, ContentFixtures.Hero("Winter warmers")));
        await content.PublishAsync(winter, 1);

        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        var releaseId = await CreateReleaseAsync(page, $"E2E homepage {suffix}");

        // From the section editor: the newest version into the newest draft (the one just created).
        await page.GotoAsync($"/content/sections/{summer}");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.GetByTestId("section-releases-none")).ToBeVisibleAsync();
        await page.ClickAsync("[data-testid=add-to-release]");
        var dialog = page.GetByTestId("section-change-dialog");
        await Expect(dialog.GetByTestId("section-release")).ToContainTextAsync($"#{releaseId} E2E homepage {suffix}");
        await page.SaveReviewScreenshotAsync("section-add-to-release");
        await dialog.GetByTestId("section-change-save").ClickAsync();
        await Expect(page.GetByTestId("section-release")).ToContainTextAsync("publishes v2");

        // An admin has the other section open; its Releases panel will follow the release live.
        var admin = await NewPageAsync();
        await LoginAsync(admin, DemoUserWithRole(AppRoles.Admin));
        await admin.GotoAsync($"/content/sections/{winter}");
        await admin.WaitForInteractiveShellAsync();
        await Expect(admin.GetByTestId("section-releases-none")).ToBeVisibleAsync();

        // From the release page: another section's take-down, picked by locale and section.
        await page.GotoAsync($"/releases/{releaseId}");
        await page.WaitForInteractiveShellAsync();
        await page.ClickAsync("[data-testid=add-section]");
        await SelectInAsync(page, dialog.GetByTestId("section-locale"), "en-GB · English (United Kingdom)");
        await SelectInAsync(page, dialog.GetByTestId("section-pick"), $"winter-{suffix}");
        await dialog.GetByText("Take the section down").ClickAsync();
        await dialog.GetByTestId("section-change-save").ClickAsync();

        var changed = page.Locator($"[data-testid=change][data-key='summer-{suffix}']");
        await Expect(changed).ToHaveAttributeAsync("data-change", "modified");
        await Expect(changed).ToContainTextAsync("changed: title");
        await Expect(changed.Locator("[data-testid=payload-diff]")).ToContainTextAsync("Summer sale");
        await Expect(page.Locator($"[data-testid=change][data-key='winter-{suffix}']")).ToHaveAttributeAsync("data-change", "removed");
        await Expect(admin.GetByTestId("section-release")).ToContainTextAsync("takes it down");
        await page.SaveReviewScreenshotAsync("release-homepage-sections");
        await page.ClickAsync("[data-testid=submit]");
        await ConfirmAsync(page, "Submit");
        await Expect(page.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "IN_REVIEW");

        var manager = await NewPageAsync();
        await LoginAsync(manager, DemoUserWithRole(AppRoles.ReleaseManager));
        await manager.GotoAsync($"/releases/{releaseId}");
        await manager.WaitForInteractiveShellAsync();
        await manager.ClickAsync("[data-testid=approve]");
        await ConfirmAsync(manager, "Approve");
        await manager.ClickAsync("[data-testid=deploy]");
        await manager.ClickAsync("[data-testid=reason-confirm]");
        await Expect(manager.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "DEPLOYED");

        // The storefront: the summer version is live and the winter section gone, from the same deploy.
        var homepage = await StorefrontAsync(manager, h => h.Contains("Summer sale"));
        Assert.Contains("Summer sale", homepage);
        Assert.DoesNotContain("Winter warmers", homepage);
        Assert.Equal(2, (await content.GetAsync(summer))!.PublishedNumber);

        await manager.ClickAsync("[data-testid=rollback]");
        await Expect(manager.GetByRole(AriaRole.Dialog)).ToContainTextAsync("2 homepage sections are published back as they were");
        await Expect(manager.Locator("[data-testid=rollback-preview]")).ToContainTextAsync($"winter-{suffix} (en-GB)");
        await manager.GetByRole(AriaRole.Dialog).GetByLabel("Reason for the rollback").FillAsync("Summer is cancelled");
        await manager.ClickAsync("[data-testid=reason-confirm]");
        await Expect(manager.GetByTestId("release-status")).ToHaveAttributeAsync("data-status", "ROLLED_BACK");
        homepage = await StorefrontAsync(manager, h => h.Contains("Winter warmers"));
        Assert.Contains("Winter warmers", homepage);
        Assert.Contains("Spring into summer", homepage);
        Assert.DoesNotContain("Summer sale", homepage);

        // For review: the release's sections and the editor's panel in the dark palette.
        await page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = "dark", Url = App.BaseUrl.ToString() }]);
        await page.GotoAsync($"/releases/{releaseId}?type=homepage_section");
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync("release-homepage-sections-dark");
        await page.GotoAsync($"/content/sections/{summer}");
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync("section-releases-panel-dark");
    });

    /// <summary>Opens a MudSelect by its field (the input inside is not the click target) and picks the option starting with <paramref name="option"/>.</summary>
    private static async Task SelectInAsync(IPage page, ILocator input, string option)
    {
        await input.Locator("xpath=ancestor::div[contains(@class, 'mud-select')][1]").ClickAsync();
        await page.GetByRole(AriaRole.Option).Filter(new() { HasText = option }).First.ClickAsync();
    }

    /// <summary>
    /// The en-GB homepage as the storefront's delivery API serves it, once it shows <paramref name="ready"/>: its cache
    /// is dropped by the live event of the deploy's commit, a moment after the release page shows the new status.
    /// </summary>
    private static async Task<string> StorefrontAsync(IPage page, Func<string, bool> ready)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await page.APIRequest.GetAsync("/api/content/homepage/en-GB");
            Assert.True(response.Ok, $"delivery API: {response.Status}");
            var body = JsonNode.Parse(await response.TextAsync())!.ToJsonString();
            if (ready(body) || DateTime.UtcNow > until) return body;
            await Task.Delay(100);
        }
    }
}
