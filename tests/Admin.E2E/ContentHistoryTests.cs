using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Admin.Data.Content;
using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>
/// Version history, compare, read-only versions, restore and preview, as the demo editor sees them. Sections are
/// seeded through ContentService on the app's own database; each test keys its own so tests never see each other's.
/// </summary>
public sealed partial class ContentHistoryTests(AppFixture app) : BrowserTest(app)
{
    private const string ThemeToggle = "[data-testid=theme-toggle]";

    private ContentService Service => App.Database.ContentService();

    private static string Key(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static JsonObject Hero(string title, string subtitle)
    {
        var hero = ContentFixtures.Hero(title);
        hero["subtitle"] = subtitle;
        return hero;
    }

    /// <summary>v1 "Spring sale", v2 a longer subtitle, v3 "Summer sale": v1 against v3 changes one word of the title.</summary>
    private async Task<Guid> SeedThreeVersionsAsync(string locale = "en-GB")
    {
        await App.Database.SeedCatalogAsync();
        var id = await Service.CreateAsync(new NewSection(locale, Key("hist"), SectionTypes.Hero, Hero("Spring sale", "Everything must go"), "First draft"));
        Assert.IsType<SaveResult.Saved>(await Service.SaveDraftAsync(id, 1, Hero("Spring sale", "Everything must go, this week only"), "Longer subtitle"));
        Assert.IsType<SaveResult.Saved>(await Service.SaveDraftAsync(id, 2, Hero("Summer sale", "Everything must go, this week only"), "Summer campaign"));
        return id;
    }

    private async Task OpenAsEditorAsync(IPage page, string path)
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await page.GotoAsync(path);
        await page.WaitForInteractiveShellAsync();
    }

    [Fact]
    public Task With_review_on_an_editor_asks_an_admin_sends_back_then_approves_and_the_notes_stay_in_the_versions_history() => RunAsync(async page =>
    {
        // en-GB is the demo editor's locale; the tests run one at a time, and review is switched off again below.
        const string locale = "en-GB";
        var id = await Service.CreateAsync(new NewSection(locale, Key("review"), SectionTypes.Hero, Hero("Winter sale", "Warm deals")));
        var admin = await NewPageAsync();
        await LoginAsync(admin, DemoUserWithRole(AppRoles.Admin));
        try
        {
            await admin.GotoAsync($"/content?locale={locale}");
            await admin.WaitForInteractiveShellAsync();
            await admin.GetByTestId("review-switch").GetByRole(AriaRole.Switch).CheckAsync();
            await Expect(admin.GetByTestId("review-switch")).ToHaveAttributeAsync("data-required", "true");
            await admin.SaveReviewScreenshotAsync("content-review-switch");

            // The editor may not publish an unreviewed version; they ask for review.
            await OpenAsEditorAsync(page, $"/content/sections/{id}");
            var panel = page.GetByTestId("review-panel");
            await Expect(panel.GetByTestId("review-setting")).ToContainTextAsync("Review before publish is on for en-GB");
            await page.ClickAsync("[data-testid=publish]");
            await Expect(page.GetByText("goes live only once another editor or an admin has approved it")).ToBeVisibleAsync();
            await panel.GetByLabel("Comment").FillAsync("Ready for the winter campaign");
            await panel.GetByRole(AriaRole.Button, new() { Name = "Ask for review" }).ClickAsync();
            await Expect(panel.GetByTestId("review-state")).ToHaveAttributeAsync("data-state", "review_requested");

            // The admin, on the same section, sees the request live and sends it back with a reason.
            await admin.GotoAsync($"/content/sections/{id}");
            await admin.WaitForInteractiveShellAsync();
            var adminPanel = admin.GetByTestId("review-panel");
            await Expect(adminPanel.GetByTestId("review-state")).ToContainTextAsync("waiting for review (asked by editor@admin.local)");
            await adminPanel.GetByLabel("Comment").FillAsync("Say which products are on sale");
            await adminPanel.GetByRole(AriaRole.Button, new() { Name = "Send back" }).ClickAsync();
            await Expect(panel.GetByTestId("review-state")).ToContainTextAsync("sent back by admin@admin.local: “Say which products are on sale”");

            await panel.GetByRole(AriaRole.Button, new() { Name = "Ask for review" }).ClickAsync();
            await Expect(adminPanel.GetByTestId("review-state")).ToHaveAttributeAsync("data-state", "review_requested");
            await adminPanel.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
            await Expect(panel.GetByTestId("review-state")).ToHaveAttributeAsync("data-state", "approved");
            await page.SaveReviewScreenshotAsync("content-review-approved");
            await page.ClickAsync("[data-testid=publish]");
            await Expect(page.Locator("[data-testid=live-status]")).ToContainTextAsync("Version 1 is live");

            // The notes stay with the version.
            await page.GotoAsync($"/content/sections/{id}/versions/1");
            await page.WaitForInteractiveShellAsync();
            await page.GetByRole(AriaRole.Tab, new() { Name = "Review and comments (4)" }).ClickAsync();
            var notes = page.GetByTestId("review-notes").Locator("li");
            await Expect(notes).ToHaveCountAsync(4);
            await Expect(notes.First).ToHaveAttributeAsync("data-kind", "approved");
            await Expect(notes.Nth(2)).ToContainTextAsync("Say which products are on sale");
        }
        finally
        {
            await using var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole);
            await owner.ExecuteAsync($"UPDATE content_review_locales SET required = false WHERE locale = '{locale}'");
        }
    });

    private static ILocator Rows(IPage page) => page.Locator("[data-testid=history-grid] tr[data-version]");

    [Fact]
    public Task An_editor_compares_v1_with_v3_opens_v1_read_only_and_restores_it_as_v4() => RunAsync(async page =>
    {
        var id = await SeedThreeVersionsAsync();
        await OpenAsEditorAsync(page, $"/content/sections/{id}/history");

        await Expect(Rows(page)).ToHaveCountAsync(3);
        Assert.Equal(["3", "2", "1"], await Rows(page).EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.version)"));
        await Expect(Rows(page).First).ToContainTextAsync("Summer campaign");
        await Expect(Rows(page).First).ToContainTextAsync(ContentFixtures.Editor.Email!);
        await Expect(page.Locator("[data-testid=back-to-editor]")).ToHaveAttributeAsync("href", $"/content/sections/{id}");
        await page.SaveReviewScreenshotAsync("content-history");

        // Any two versions: v1 on the left, v3 on the right.
        await page.ClickAsync("[data-testid=left-1]");
        await page.ClickAsync("[data-testid=right-3]");
        await Expect(page.Locator("[data-testid=compare]")).ToHaveTextAsync(new Regex("Compare v1 with v3"));
        await page.ClickAsync("[data-testid=compare]");

        await page.WaitForURLAsync(new Regex($"/content/sections/{id}/compare\\?left=1&right=3$"));
        var title = page.Locator("[data-testid=compare-view] [data-field=title]");
        await Expect(title.Locator("[data-side=left] del")).ToHaveTextAsync("Spring");
        await Expect(title.Locator("[data-side=right] ins")).ToHaveTextAsync("Summer");
        await Expect(title.Locator("[data-side=left]")).ToHaveTextAsync("Spring sale");
        await Expect(title.Locator("[data-side=right]")).ToHaveTextAsync("Summer sale");
        var subtitle = page.Locator("[data-testid=compare-view] [data-field=subtitle]");
        await Expect(subtitle.Locator("[data-side=right] ins")).ToHaveTextAsync(", this week only");
        await Expect(subtitle.Locator("[data-side=left] del")).ToHaveCountAsync(0);
        // Unchanged fields are folded away until asked for.
        await Expect(page.Locator("[data-testid=compare-view] [data-field=imageUrl]")).ToHaveCountAsync(0);
        await page.ClickAsync("[data-testid=toggle-unchanged]");
        await Expect(page.Locator("[data-testid=compare-view] [data-field=imageUrl]")).ToHaveAttributeAsync("data-change", "unchanged");
        await page.SaveReviewScreenshotAsync("content-compare-light");
        await page.ClickAsync(ThemeToggle);
        await Expect(page.Locator(".shell")).ToHaveAttributeAsync("data-theme", "dark");
        await page.SaveReviewScreenshotAsync("content-compare-dark");
        await page.ClickAsync(ThemeToggle);

        // The compare address is a deep link: opened afresh it shows the same comparison.
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await Expect(title.Locator("[data-side=right] ins")).ToHaveTextAsync("Summer");

        // v1 read-only, from the left side's heading.
        await page.Locator("[data-testid=left-meta] [data-testid=open-1]").ClickAsync();
        await page.WaitForURLAsync(new Regex($"/content/sections/{id}/versions/1$"));
        await Expect(page.Locator("[data-testid=read-only]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=version-fields] [data-field=title] dd")).ToHaveTextAsync("Spring sale");
        await Expect(page.Locator("[data-testid=version-fields] input, [data-testid=version-fields] textarea")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        await Expect(page.Locator("[data-testid=version-json]")).ToContainTextAsync("\"title\": \"Spring sale\"");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Fields" }).ClickAsync();
        await page.SaveReviewScreenshotAsync("content-version");

        // Restore v1 as a new draft: v4 on top of the history, marked as restored from v1; v1..v3 untouched.
        await page.ClickAsync("[data-testid=restore-1]");
        await page.GetByRole(AriaRole.Button, new() { Name = "Restore as new draft" }).ClickAsync();
        await page.WaitForURLAsync(new Regex($"/content/sections/{id}/history\\?added=4$"));
        await Expect(Rows(page)).ToHaveCountAsync(4);
        var top = Rows(page).First;
        await Expect(top).ToHaveAttributeAsync("data-version", "4");
        await Expect(top.Locator("[data-testid=restored-4]")).ToHaveTextAsync("restored from v1");
        await Expect(top).ToHaveAttributeAsync("data-fresh", "true");
        await Expect(top).ToContainTextAsync(DemoUserWithRole(AppRoles.Editor).Email);
        var v4 = (await Service.GetVersionAsync(id, 4))!;
        Assert.Equal("Spring sale", v4.Content.RootElement.GetProperty("title").GetString());
        Assert.Equal("Summer sale", (await Service.GetVersionAsync(id, 3))!.Content.RootElement.GetProperty("title").GetString());
        await page.SaveReviewScreenshotAsync("content-history-restored");
    });

    [Fact]
    public Task Comparing_product_carousels_shows_moved_added_and_removed_products_by_name() => RunAsync(async page =>
    {
        var (products, _) = await App.Database.SeedCatalogAsync();
        var id = await Service.CreateAsync(new NewSection("en-GB", Key("cmp"), SectionTypes.ProductCarousel,
            ContentFixtures.Carousel([products[0], products[1], products[2]], "Top picks for spring")));
        await Service.SaveDraftAsync(id, 1, ContentFixtures.Carousel([products[1], products[0], products[3]], "Top picks for summer"), "Summer line-up");
        await OpenAsEditorAsync(page, $"/content/sections/{id}/compare?left=1&right=2");

        var items = page.Locator("[data-testid=compare-view] [data-field=productIds]");
        await Expect(items).ToHaveAttributeAsync("data-change", "changed");
        await Expect(items.Locator("[data-side=left] del")).ToHaveTextAsync("Product 2");
        await Expect(items.Locator("[data-side=right] ins")).ToHaveTextAsync("Product 3");
        await Expect(items.Locator("[data-side=right] .ch-item-moved")).ToContainTextAsync("moved from #");
        await Expect(page.Locator("[data-testid=compare-view] [data-field=title] [data-side=right] ins")).ToHaveTextAsync("summer");
        await page.SaveReviewScreenshotAsync("content-compare-products");

        // Without versions in the address, compare shows what the newest version changed, and says so in the address.
        await page.GotoAsync($"/content/sections/{id}/compare");
        await page.WaitForURLAsync(new Regex($"/content/sections/{id}/compare\\?left=1&right=2$"));
        await Expect(items.Locator("[data-side=right] ins")).ToHaveTextAsync("Product 3");
    });

    [Fact]
    public Task A_formatting_only_change_of_rich_text_says_so_and_shows_the_markup_change() => RunAsync(async page =>
    {
        await App.Database.SeedCatalogAsync();
        var before = "<p>We deliver across Europe in two days.</p><p>Returns are free for 30 days.</p>";
        var id = await Service.CreateAsync(new NewSection("en-GB", Key("rich"), SectionTypes.RichText,
            new JsonObject { ["title"] = "About delivery", ["html"] = before }));
        await Service.SaveDraftAsync(id, 1, new JsonObject { ["title"] = "About delivery", ["html"] = before.Replace("two days", "<strong>two days</strong>") }, "Bold delivery time");
        await Service.SaveDraftAsync(id, 2, new JsonObject { ["title"] = "About delivery", ["html"] = before.Replace("two days", "<strong>one day</strong>") }, "Faster delivery");
        await OpenAsEditorAsync(page, $"/content/sections/{id}/compare?left=1&right=2");

        var html = page.Locator("[data-testid=compare-view] [data-field=html]");
        await Expect(html.Locator(".ch-chip-change")).ToHaveTextAsync("formatting only");
        await Expect(html.Locator("[data-side=right] ins")).ToHaveCountAsync(0);
        await html.Locator("details summary").ClickAsync();
        await Expect(html.Locator("details ins").First).ToContainTextAsync("<strong>");

        // v1 against v3: the visible text changed too, word by word.
        await page.GotoAsync($"/content/sections/{id}/compare?left=1&right=3");
        await page.WaitForInteractiveShellAsync();
        await Expect(html.Locator("[data-side=left] del")).ToHaveTextAsync("two days");
        await Expect(html.Locator("[data-side=right] ins")).ToHaveTextAsync("one day");
        await html.Locator("details summary").ClickAsync();
        await page.SaveReviewScreenshotAsync("content-compare-rich-text");
    });

    [Fact]
    public Task A_restore_confirmed_after_someone_else_saved_is_refused_as_a_conflict_and_the_page_shows_their_version() => RunAsync(async page =>
    {
        var id = await SeedThreeVersionsAsync();
        await OpenAsEditorAsync(page, $"/content/sections/{id}/history");
        await Expect(Rows(page)).ToHaveCountAsync(3);

        await page.ClickAsync("[data-testid=restore-1]");
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Restore as new draft" });
        await Expect(confirm).ToBeVisibleAsync();
        // While the editor reads the confirmation, someone else saves v4.
        await Service.SaveDraftAsync(id, 3, Hero("Their sale", "Everything must go"), "Their change");
        await confirm.ClickAsync();

        var alert = page.GetByRole(AriaRole.Dialog).Filter(new() { HasText = "Someone saved meanwhile" });
        await Expect(alert).ToContainTextAsync($"{ContentFixtures.Editor.Email} saved v4");
        await Expect(alert).ToContainTextAsync("nothing was restored");
        await alert.GetByRole(AriaRole.Button, new() { Name = "Reload" }).ClickAsync();
        await Expect(Rows(page).First).ToHaveAttributeAsync("data-version", "4");
        await Expect(Rows(page).First).ToContainTextAsync("Their change");
        Assert.Null(await Service.GetVersionAsync(id, 5));
    });

    [Fact]
    public Task The_history_shows_a_version_saved_elsewhere_without_a_reload() => RunAsync(async page =>
    {
        var id = await SeedThreeVersionsAsync();
        await OpenAsEditorAsync(page, $"/content/sections/{id}/history");
        await Expect(Rows(page)).ToHaveCountAsync(3);

        await Service.SaveDraftAsync(id, 3, Hero("Autumn sale", "Everything must go"), "Saved by someone else");

        await Expect(Rows(page).First).ToHaveAttributeAsync("data-version", "4", new() { Timeout = 5_000 });
        await Expect(Rows(page).First).ToContainTextAsync("Saved by someone else");
        await Expect(Rows(page).First).ToHaveAttributeAsync("data-fresh", "true");
        // The right side follows the newest version, so "Compare" now shows what the new save changed.
        await Expect(page.Locator("[data-testid=compare]")).ToHaveTextAsync(new Regex("Compare v3 with v4"));
    });

    [Fact]
    public Task Older_versions_load_page_by_page_with_load_more() => RunAsync(async page =>
    {
        await App.Database.SeedCatalogAsync();
        var id = await Service.CreateAsync(new NewSection("en-GB", Key("many"), SectionTypes.Hero, Hero("Sale 1", "x")));
        for (var n = 1; n < 25; n++) await Service.SaveDraftAsync(id, n, Hero($"Sale {n + 1}", "x"), $"edit {n + 1}");
        // Times show in the browser's zone, whatever the server's.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Emulation.setTimezoneOverride", new Dictionary<string, object> { ["timezoneId"] = "Europe/Berlin" });
        await OpenAsEditorAsync(page, $"/content/sections/{id}/history");
        var saved = Rows(page).First.Locator("time");
        await Expect(saved.Locator(".local-zone")).ToHaveTextAsync(new Regex("^UTC\\+[12]$"));
        await Expect(saved).ToHaveAttributeAsync("title", new Regex("^Europe/Berlin: "));

        await Expect(Rows(page)).ToHaveCountAsync(20);
        await Expect(page.Locator("[data-testid=history-count]")).ToHaveTextAsync("Showing 20 of 25 versions");
        await page.ClickAsync("[data-testid=load-more]");

        await Expect(Rows(page)).ToHaveCountAsync(25);
        await Expect(Rows(page).Last).ToHaveAttributeAsync("data-version", "1");
        await Expect(page.Locator("[data-testid=load-more]")).ToHaveCountAsync(0);
    });

    [Fact]
    public Task The_preview_shows_the_published_homepage_and_toggled_the_current_drafts() => RunAsync(async page =>
    {
        var (products, categories) = await App.Database.SeedCatalogAsync();
        var heroKey = Key("prev");
        var hero = await Service.CreateAsync(new NewSection("de-DE", heroKey, SectionTypes.Hero, Hero("Autumn sale", "Cosy up")));
        await Service.PublishAsync(hero, 1);
        await Service.SaveDraftAsync(hero, 1, Hero("Winter sale", "Cosy up"), "Winter");
        var carouselKey = Key("prev");
        var carousel = await Service.CreateAsync(new NewSection("de-DE", carouselKey, SectionTypes.ProductCarousel,
            ContentFixtures.Carousel([products[1], products[0], products[2]], "Bestseller")));
        await Service.PublishAsync(carousel, 1);
        var textKey = Key("prev");
        var text = await Service.CreateAsync(new NewSection("de-DE", textKey, SectionTypes.RichText, new JsonObject
        {
            ["title"] = "Über uns",
            ["html"] = "<p>Seit 1999 liefern wir <strong>europaweit</strong>.</p><script>alert('x')</script><ul><li>Kostenlose Rücksendung</li><li>30 Tage Rückgaberecht</li></ul>",
        }));
        await Service.PublishAsync(text, 1);
        var bannerKey = Key("prev");
        await Service.CreateAsync(new NewSection("de-DE", bannerKey, SectionTypes.Banner,
            new JsonObject { ["text"] = "Gratis Versand ab 50 €", ["tone"] = "promo", ["linkUrl"] = "/versand" }));
        var gridKey = Key("prev");
        var grid = await Service.CreateAsync(new NewSection("de-DE", gridKey, SectionTypes.CategoryGrid, new JsonObject
        {
            ["title"] = "Kategorien", ["columns"] = 4,
            ["categoryIds"] = new JsonArray(categories.Select(c => (JsonNode)c.ToString()).ToArray()),
        }));
        await Service.PublishAsync(grid, 1);
        await OpenAsEditorAsync(page, "/content/preview/de-DE");

        var preview = page.Locator("[data-testid=preview]");
        await Expect(preview).ToHaveAttributeAsync("data-mode", "published");
        var heroSection = preview.Locator($"[data-section={heroKey}]");
        await Expect(heroSection.Locator("h2")).ToHaveTextAsync("Autumn sale");
        await Expect(page.Locator($"[data-testid=marker-{heroKey}]")).ToHaveTextAsync("v1");
        var cards = preview.Locator($"[data-section={carouselKey}] .sf-card-name");
        await Expect(cards).ToHaveTextAsync(["Product 1", "Product 0", "Product 2"]);
        // Rich text is rendered from the stored, sanitised HTML: formatting kept, the script gone.
        await Expect(preview.Locator($"[data-section={textKey}] strong")).ToHaveTextAsync("europaweit");
        await Expect(preview.Locator($"[data-section={textKey}] script")).ToHaveCountAsync(0);
        await Expect(preview.Locator($"[data-section={gridKey}] .sf-tile-name")).ToHaveCountAsync(categories.Count);
        // A section never published is not on the published homepage.
        await Expect(preview.Locator($"[data-section={bannerKey}]")).ToHaveCountAsync(0);
        await Expect(preview.Locator($"[data-section={carouselKey}] .sf-card-price").First).ToHaveTextAsync(new Regex("11,00\\s€"));
        await page.SaveReviewScreenshotAsync("content-preview-published");

        await page.GetByText("With current drafts").ClickAsync();

        await Expect(preview).ToHaveAttributeAsync("data-mode", "drafts");
        await Expect(heroSection.Locator("h2")).ToHaveTextAsync("Winter sale");
        await Expect(page.Locator($"[data-testid=marker-{heroKey}]")).ToHaveTextAsync("draft v2");
        await Expect(page.Locator($"[data-testid=marker-{carouselKey}]")).ToHaveTextAsync("v1");
        await Expect(page.Locator($"[data-testid=marker-{bannerKey}]")).ToHaveTextAsync("draft v1 · not live");
        await Expect(preview.Locator($"[data-section={bannerKey}]")).ToContainTextAsync("Gratis Versand ab 50 €");
        Assert.EndsWith("/content/preview/de-DE?drafts=true", page.Url);
        await page.SaveReviewScreenshotAsync("content-preview-drafts");

        // Without a locale the preview opens the first locale the editor may edit (de-DE, en-GB → de-DE).
        await page.GotoAsync("/content/preview");
        await page.WaitForURLAsync(new Regex("/content/preview/de-DE$"));
        await Expect(page.Locator("[data-testid=preview]")).ToHaveAttributeAsync("data-mode", "published");
    });
}
