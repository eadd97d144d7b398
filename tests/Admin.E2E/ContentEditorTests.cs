using System.Text.RegularExpressions;
using Admin.Data.Content;
using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>
/// The content editor's main screens in a real browser: the section list per locale and the section editor, with
/// live updates between two people and the conflict dialog on a stale save. Refused input (a field's message once it is
/// left, the summary on save) is tested without a browser: Components/PageComponentTests.
/// </summary>
public sealed partial class ContentEditorTests(AppFixture app) : BrowserTest(app)
{
    private const string Locale = "en-GB";

    [Fact]
    public Task An_editor_creates_a_section_edits_it_twice_and_publishes_while_another_user_watches_the_list_update_live() => RunAsync(async page =>
    {
        var key = NewKey("spring");
        var watcher = await NewPageAsync();
        await LoginAsync(watcher, DemoUserWithRole(AppRoles.Admin));
        // With a filter set: live reloads keep it.
        await watcher.GotoAsync($"/content?locale={Locale}&type=hero");
        await watcher.WaitForInteractiveShellAsync();
        // Set on the page itself: a reload would lose it, so it proves the list updated in place.
        await watcher.EvaluateAsync("() => { window.e2eNoReload = true; }");

        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await page.GotoAsync("/content");
        await page.WaitForInteractiveShellAsync();
        // The editor's first locale in scope is the default, and the choice is kept in the address.
        await Expect(page.GetByTestId("locale-picker")).ToHaveValueAsync(new Regex(Locale));

        await page.ClickAsync("[data-testid=new-section]");
        var dialog = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("new-section-dialog") });
        await dialog.Locator("[data-testid=new-section-key]").FillAsync(key);
        await dialog.GetByRole(AriaRole.Radio, new() { Name = "Hero" }).CheckAsync();
        await page.SaveReviewScreenshotAsync("content-new-section-dialog");
        await dialog.Locator("[data-testid=new-section-continue]").ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("/content/sections/new"));
        await Expect(page.Locator("[data-testid=editor-key]")).ToHaveTextAsync(key);
        await FillAsync(page, "title", "Spring sale");
        // The live preview follows the typing before anything is saved, at the width picked.
        var preview = page.GetByTestId("live-preview");
        await Expect(preview.Locator(".sf-hero-title")).ToHaveTextAsync("Spring sale");
        await Field(page, "title").PressSequentiallyAsync("!");
        await Expect(preview.Locator(".sf-hero-title")).ToHaveTextAsync("Spring sale!");
        await FillAsync(page, "title", "Spring sale");
        await preview.GetByTestId("preview-width").GetByText("Phone", new() { Exact = true }).ClickAsync();
        await Expect(preview.Locator("[data-width]")).ToHaveAttributeAsync("data-width", "390");
        await FillAsync(page, "imageUrl", "https://cdn.example.com/spring.jpg");
        await FillAsync(page, "ctaText", "Shop now");
        await FillAsync(page, "ctaUrl", "/sale");
        await page.ClickAsync("[data-testid=save-draft]");

        await Expect(page).ToHaveURLAsync(SectionUrl());
        await ExpectBaseAsync(page, 1);
        await Expect(page.Locator("[data-testid=draft-number]")).ToHaveTextAsync("v1");
        var watcherRow = Row(watcher, key);
        await Expect(watcherRow).ToBeVisibleAsync();
        await Expect(watcherRow.GetByTestId("status-badge")).ToHaveTextAsync("Draft");

        await FillAsync(page, "title", "Spring sale: 20% off");
        await page.Locator("[data-testid=change-summary]").FillAsync("Discount in the title");
        await SaveAsync(page, 2);
        await FillAsync(page, "subtitle", "Only this weekend");
        await SaveAsync(page, 3);
        await Expect(page.Locator("[data-testid=draft-number]")).ToHaveTextAsync("v3");
        await Expect(page.Locator("[data-testid=version-count]")).ToHaveTextAsync("3");
        await DismissNotificationsAsync(page);
        await page.SaveReviewScreenshotAsync("content-editor");

        await page.ClickAsync("[data-testid=publish]");
        await Expect(page.Locator("[data-testid=published-number]")).ToHaveTextAsync("v3");
        await Expect(page.Locator("[data-testid=live-status]")).ToContainTextAsync("Version 3 is live");

        // The storefront's delivery API serves the published version (its cache was invalidated by the publish).
        var delivered = await page.APIRequest.GetAsync($"/api/content/homepage/{Locale}");
        Assert.Equal(200, delivered.Status);
        var body = await delivered.TextAsync();
        Assert.Contains($"\"key\":\"{key}\"", body);
        Assert.Contains("Only this weekend", body);

        await Expect(watcherRow.Locator("[data-col=published]")).ToHaveTextAsync("v3");
        await Expect(watcherRow.GetByTestId("status-badge")).ToHaveTextAsync("Published");
        await Expect(watcherRow.Locator("[data-col=versions]")).ToHaveTextAsync("3");
        Assert.True(await watcher.EvaluateAsync<bool>("() => window.e2eNoReload === true"), "the watcher's list page was reloaded");
        await Expect(watcher).ToHaveURLAsync(new Regex("type=hero"));
        await Expect(watcher.GetByTestId("type-filter")).ToHaveValueAsync("Hero");
        await watcher.SaveReviewScreenshotAsync("content-list");

        await page.GetByRole(AriaRole.Button, new() { Name = "Light or dark theme" }).ClickAsync();
        await Expect(page.Locator(".shell")).ToHaveAttributeAsync("data-theme", "dark");
        await DismissNotificationsAsync(page);
        await page.SaveReviewScreenshotAsync("content-editor-dark");
    });

    [Fact]
    public Task A_stale_save_shows_the_conflict_dialog_and_saving_theirs_plus_mine_makes_the_next_version() => RunAsync(async mine =>
    {
        var id = await App.Database.ContentService().CreateAsync(new NewSection(Locale, NewKey("conflict"), SectionTypes.Hero, ContentFixtures.Hero("Original title")));
        var editor = DemoUserWithRole(AppRoles.Editor);
        var admin = DemoUserWithRole(AppRoles.Admin);
        var theirs = await NewPageAsync();
        await LoginAsync(theirs, editor);
        await LoginAsync(mine, admin);
        await OpenEditorAsync(theirs, id);
        await OpenEditorAsync(mine, id);

        // Each sees the other, through the presence heartbeats that travel through PostgreSQL.
        await Expect(mine.Locator("[data-testid=presence]")).ToContainTextAsync($"Also editing: {editor.Email}");
        await Expect(theirs.Locator("[data-testid=presence]")).ToContainTextAsync(admin.Email);

        await FillAsync(mine, "title", "My better title");
        await FillAsync(theirs, "subtitle", "Their new subtitle");
        await SaveAsync(theirs, 2);

        // The one still editing v1 hears about v2 before saving.
        await Expect(mine.Locator("[data-testid=newer-version-notice]")).ToContainTextAsync($"Version 2 was saved by {editor.Email}");
        await mine.ClickAsync("[data-testid=save-draft]");
        var dialog = mine.GetByRole(AriaRole.Dialog).Filter(new() { Has = mine.GetByTestId("conflict-dialog") });
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(dialog.Locator("tr[data-field=title]")).ToContainTextAsync("My better title");
        await Expect(dialog.Locator("tr[data-field=title]")).ToHaveAttributeAsync("data-state", "Mine");
        await Expect(dialog.Locator("tr[data-field=subtitle]")).ToContainTextAsync("Their new subtitle");
        await Expect(dialog.Locator("tr[data-field=subtitle]")).ToHaveAttributeAsync("data-state", "Theirs");
        await mine.SaveReviewScreenshotAsync("content-conflict-dialog");

        await dialog.Locator("[data-testid=conflict-save-combined]").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0);
        await ExpectBaseAsync(mine, 3);
        await Expect(Field(mine, "title")).ToHaveValueAsync("My better title");
        await Expect(Field(mine, "subtitle")).ToHaveValueAsync("Their new subtitle");

        var saved = await App.Database.ContentService().GetVersionAsync(id, 3);
        Assert.NotNull(saved);
        Assert.Equal(admin.Email, saved.CreatedByEmail);
        var content = ContentJson.ToObject(saved.Content);
        Assert.Equal("My better title", (string?)content["title"]);
        Assert.Equal("Their new subtitle", (string?)content["subtitle"]);
        // The other editor had nothing unsaved, so their editor moved on to v3 by itself.
        await ExpectBaseAsync(theirs, 3);
    });

    [Fact]
    public Task Products_are_picked_from_the_catalog_and_saved_in_the_order_shown() => RunAsync(async page =>
    {
        var (products, _) = await App.Database.SeedCatalogAsync();
        var service = App.Database.ContentService();
        var id = await service.CreateAsync(new NewSection(Locale, NewKey("carousel"), SectionTypes.ProductCarousel, ContentFixtures.Carousel([products[0]])));
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(page, id);

        var items = page.Locator("[data-testid=linked-item]");
        await Expect(items).ToHaveTextAsync([new Regex("Product 0")]);
        await page.GetByLabel("Add product").FillAsync("Product 3");
        await page.GetByRole(AriaRole.Listbox, new() { Name = "Matching products" }).GetByRole(AriaRole.Option).Filter(new() { HasText = "Product 3" }).First.ClickAsync();
        await Expect(items).ToHaveCountAsync(2);
        await page.GetByRole(AriaRole.Button, new() { Name = "Move Product 3 up" }).ClickAsync();
        await Expect(items).ToHaveTextAsync([new Regex("Product 3"), new Regex("Product 0")]);
        await Expect(page.GetByTestId("live-preview").Locator(".sf-card-name")).ToHaveTextAsync(["Product 3", "Product 0"]);
        await SaveAsync(page, 2);
        await DismissNotificationsAsync(page);
        await page.SaveReviewScreenshotAsync("content-editor-carousel");

        var saved = await service.GetVersionAsync(id, 2);
        Assert.Equal([products[3], products[0]], SectionSchemas.LinkedIds(saved!.Content, "productIds"));
    });

    [Fact]
    public Task The_list_filters_through_the_address_reorders_with_one_save_archives_and_duplicates() => RunAsync(async page =>
    {
        const string locale = "es-ES";
        var service = App.Database.ContentService(ContentFixtures.Editor with { Locales = [locale] });
        var keys = new[] { NewKey("alpha"), NewKey("bravo"), NewKey("charlie") };
        var ids = new List<Guid>();
        foreach (var key in keys)
            ids.Add(await service.CreateAsync(new NewSection(locale, key, SectionTypes.Hero, ContentFixtures.Hero($"Title of {key}"))));
        await service.ScheduleAsync(ids[2], 1, DateTimeOffset.UtcNow.AddDays(2), null);
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.GotoAsync($"/content?locale={locale}");
        await page.WaitForInteractiveShellAsync();
        var keyLinks = page.Locator("[data-testid=sections-grid] [data-testid=section-link]");
        await Expect(keyLinks).ToHaveTextAsync(keys);
        await Expect(Row(page, keys[2]).Locator("[data-testid=schedule-marker]")).ToContainTextAsync("UTC");

        // Filters are part of the address, so the filtered list can be shared as a link.
        await page.Locator("[data-testid=search]").FillAsync("bravo");
        await Expect(page).ToHaveURLAsync(new Regex("q=bravo"));
        await Expect(keyLinks).ToHaveTextAsync([keys[1]]);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await Expect(keyLinks).ToHaveTextAsync([keys[1]]);
        await Expect(page.Locator("[data-testid=search]")).ToHaveValueAsync("bravo");
        await page.ClickAsync("[data-testid=clear-filters]");
        await Expect(keyLinks).ToHaveTextAsync(keys);

        // Reorder with the keyboard: focus follows the moved row, so Enter twice moves it up twice.
        await page.ClickAsync("[data-testid=reorder]");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Move {keys[2]} up" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(keyLinks).ToHaveTextAsync([keys[0], keys[2], keys[1]]);
        await page.Keyboard.PressAsync("Enter");
        await Expect(keyLinks).ToHaveTextAsync([keys[2], keys[0], keys[1]]);
        // Or with the mouse (MudDropContainer): a row dragged down onto another takes its place.
        await Row(page, keys[2]).DragToAsync(Row(page, keys[0]));
        await Expect(keyLinks).ToHaveTextAsync([keys[0], keys[2], keys[1]]);
        await page.SaveReviewScreenshotAsync("content-list-reorder");
        await page.ClickAsync("[data-testid=save-order]");
        await Expect(page.Locator("[data-testid=reorder]")).ToBeVisibleAsync();
        await Expect(keyLinks).ToHaveTextAsync([keys[0], keys[2], keys[1]]);
        var stored = await service.ListAsync(locale);
        Assert.Equal([ids[0], ids[2], ids[1]], stored.Select(s => s.Id));

        await Row(page, keys[0]).Locator("[data-testid=archive]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Archive", Exact = true }).ClickAsync();
        await Expect(Row(page, keys[0]).GetByTestId("status-badge")).ToHaveTextAsync("Archived");
        await Expect(Row(page, keys[0]).Locator("[data-testid=unarchive]")).ToBeVisibleAsync();

        await Row(page, keys[1]).Locator("[data-testid=duplicate]").ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog).Filter(new() { Has = page.GetByTestId("duplicate-dialog") });
        var newKey = dialog.Locator("[data-testid=duplicate-key]");
        await Expect(newKey).ToHaveValueAsync($"{keys[1]}-copy");
        // A key the locale already has is caught in the dialog.
        await newKey.FillAsync(keys[2]);
        await dialog.Locator("[data-testid=duplicate-confirm]").ClickAsync();
        await Expect(dialog.Locator("[data-testid=key-taken]")).ToHaveTextAsync(new Regex($"es-ES already has a section with the key {keys[2]}"));
        await newKey.FillAsync($"{keys[1]}-copy");
        await dialog.Locator("[data-testid=duplicate-confirm]").ClickAsync();
        await Expect(page).ToHaveURLAsync(SectionUrl());
        await Expect(page.Locator("[data-testid=editor-key]")).ToHaveTextAsync($"{keys[1]}-copy");
        await Expect(Field(page, "title")).ToHaveValueAsync($"Title of {keys[1]}");
    });

    [Fact]
    public Task Leaving_the_editor_with_unsaved_changes_asks_first() => RunAsync(async page =>
    {
        var id = await App.Database.ContentService().CreateAsync(new NewSection(Locale, NewKey("guard"), SectionTypes.Hero, ContentFixtures.Hero()));
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(page, id);
        await FillAsync(page, "title", "Changed but not saved");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sections in en-GB" }).ClickAsync();
        var stay = page.GetByRole(AriaRole.Button, new() { Name = "Stay and keep editing" });
        await Expect(stay).ToBeVisibleAsync();
        await stay.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex($"/content/sections/{id}$"));
        await Expect(Field(page, "title")).ToHaveValueAsync("Changed but not saved");

        await page.GetByRole(AriaRole.Link, new() { Name = "Sections in en-GB" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Leave without saving" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/content\\?locale=en-GB$"));
        Assert.Equal(1, (await App.Database.ContentService().GetAsync(id))!.Latest.VersionNumber);
    });

    [Fact]
    public Task Unsaved_changes_are_kept_while_typing_and_offered_again_in_a_new_browser() => RunAsync(async page =>
    {
        var id = await App.Database.ContentService().CreateAsync(new NewSection(Locale, NewKey("autosave"), SectionTypes.Hero, ContentFixtures.Hero()));
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(page, id);
        await FillAsync(page, "title", "Typed, never saved");
        // Kept within the autosave interval (3 s), without the editor doing anything.
        await Expect(page.GetByTestId("autosaved")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        // Another browser (as after a closed tab or a killed instance), the same editor.
        var later = await NewPageAsync();
        await LoginAsync(later, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(later, id);
        await Expect(later.GetByTestId("working-copy-notice")).ToContainTextAsync("You have unsaved changes");
        await Expect(Field(later, "title")).ToHaveValueAsync("Spring sale");
        await later.SaveReviewScreenshotAsync("content-working-copy-offered");
        await later.GetByTestId("restore-working-copy").ClickAsync();
        await Expect(Field(later, "title")).ToHaveValueAsync("Typed, never saved");
        await Expect(later.GetByTestId("dirty-state")).ToContainTextAsync("Unsaved changes");
        Assert.Equal(1, (await App.Database.ContentService().GetAsync(id))!.Latest.VersionNumber);
    });

    [Fact]
    public Task A_schedule_is_picked_in_the_browsers_time_zone_kept_in_utc_and_shown_with_the_zone_name() => RunAsync(async page =>
    {
        var key = NewKey("timed");
        var service = App.Database.ContentService();
        var id = await service.CreateAsync(new NewSection(Locale, key, SectionTypes.Hero, ContentFixtures.Hero()));
        // This browser lives in Berlin (UTC+1 in January), whatever the machine's zone.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Emulation.setTimezoneOverride", new Dictionary<string, object> { ["timezoneId"] = "Europe/Berlin" });
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(page, id);
        var zone = page.Locator("[data-testid=schedule-zone]");
        await Expect(zone).ToContainTextAsync(new Regex(@"Times are in Europe/Berlin \(UTC\+0[12]:00\)"));

        var publishAt = page.GetByLabel("Goes live at");
        await publishAt.FillAsync("2030-01-15T10:00");
        await publishAt.PressAsync("Tab");
        await Expect(zone).ToContainTextAsync("Goes live at 2030-01-15 09:00 UTC");
        await page.ClickAsync("[data-testid=schedule]");

        var open = page.Locator("[data-testid=open-schedule]");
        await Expect(open).ToContainTextAsync("v1 goes live 15 Jan 2030, 10:00 Europe/Berlin (UTC+01:00)");
        var schedule = Assert.Single((await service.GetAsync(id))!.Schedules);
        Assert.Equal(new DateTimeOffset(2030, 1, 15, 9, 0, 0, TimeSpan.Zero), schedule.PublishAt);

        await page.GetByRole(AriaRole.Link, new() { Name = "Sections in en-GB" }).ClickAsync();
        var marker = Row(page, key).Locator("[data-testid=schedule-marker]");
        await Expect(marker).ToContainTextAsync("15 Jan 2030");
        await Expect(marker).ToContainTextAsync("10:00 Europe/Berlin");
        await DismissNotificationsAsync(page);
        await page.SaveReviewScreenshotAsync("content-list-scheduled");

        await Row(page, key).Locator("[data-testid=section-link]").ClickAsync();
        await open.Locator("[data-testid=cancel-schedule]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel the schedule", Exact = true }).ClickAsync();
        await Expect(open).ToHaveCountAsync(0);
        Assert.Empty((await service.GetAsync(id))!.Schedules);
    });

    [Fact]
    public Task Rich_text_is_edited_in_the_html_editor_or_as_json_and_saved_sanitised() => RunAsync(async page =>
    {
        var service = App.Database.ContentService();
        var id = await service.CreateAsync(new NewSection(Locale, NewKey("richtext"), SectionTypes.RichText,
            new() { ["title"] = "About us", ["html"] = "<p>We sell <strong>good</strong> things.</p>" }));
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await OpenEditorAsync(page, id);
        var state = page.Locator("[data-testid=dirty-state]");
        // Loading the HTML editor is not a change.
        await Expect(state).ToContainTextAsync("All changes saved in v1");

        // The editor (TipTap) is a labelled textbox with a toolbar of labelled buttons with shortcuts.
        var editable = page.GetByRole(AriaRole.Textbox, new() { Name = "Text", Exact = true });
        await Expect(editable).ToHaveAttributeAsync("contenteditable", "true");
        await editable.ClickAsync();
        await page.Keyboard.PressAsync("Control+End");
        await page.Keyboard.TypeAsync(" Since 1999.");
        await Expect(state).ToContainTextAsync("Unsaved changes");
        var toolbar = page.GetByRole(AriaRole.Toolbar, new() { Name = "Formatting of Text" });
        var bold = toolbar.GetByRole(AriaRole.Button, new() { Name = "Bold", Exact = true });
        await Expect(bold).ToHaveAttributeAsync("aria-keyshortcuts", "Control+B");
        for (var i = 0; i < 5; i++) await page.Keyboard.PressAsync("Shift+ArrowLeft");
        await page.Keyboard.PressAsync("Control+b");
        await Expect(bold).ToHaveAttributeAsync("aria-pressed", "true");
        await page.Keyboard.PressAsync("Control+b");
        await Expect(bold).ToHaveAttributeAsync("aria-pressed", "false");
        await page.Keyboard.PressAsync("End");
        // A javascript: link is refused with a message; nothing is linked.
        await toolbar.GetByRole(AriaRole.Button, new() { Name = "Link", Exact = true }).ClickAsync();
        var address = page.GetByRole(AriaRole.Textbox, new() { Name = "Link address" });
        await address.FillAsync("javascript:alert(1)");
        await address.PressAsync("Enter");
        await Expect(page.GetByTestId("rich-text-message")).ToContainTextAsync("This link is not allowed");
        await address.PressAsync("Escape");
        await Expect(editable.Locator("a")).ToHaveCountAsync(0);
        // The source view shows the HTML.
        await toolbar.GetByRole(AriaRole.Button, new() { Name = "HTML source" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = "Text as HTML" })).ToHaveValueAsync(new Regex("<strong>good</strong> things. Since 1999."));
        await toolbar.GetByRole(AriaRole.Button, new() { Name = "HTML source" }).ClickAsync();
        await Expect(editable).ToBeVisibleAsync();
        await DismissNotificationsAsync(page);
        await page.SaveReviewScreenshotAsync("content-editor-rich-text");
        // Ctrl+S saves without leaving the keyboard.
        await page.Keyboard.PressAsync("Control+s");
        await ExpectBaseAsync(page, 2);
        Assert.Contains("Since 1999.", (string?)ContentJson.ToObject((await service.GetVersionAsync(id, 2))!.Content)["html"]);

        // The JSON view edits the same content; broken JSON is explained and never saved.
        await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
        var json = page.Locator("[data-testid=json-editor]");
        await Expect(json).ToHaveValueAsync(new Regex("Since 1999"));
        await json.FillAsync("{ \"title\": \"About us\", \"html\": ");
        await json.BlurAsync();
        await Expect(page.Locator("[data-testid=json-error]")).ToContainTextAsync("This is not valid JSON (line 1");
        await page.ClickAsync("[data-testid=save-draft]");
        await ExpectBaseAsync(page, 2);

        await json.FillAsync("{ \"title\": \"About us\", \"html\": \"<p onclick='x()'>Hi</p><script>alert(1)</script>\", \"colour\": \"red\" }");
        await json.BlurAsync();
        await Expect(page.Locator("[data-testid=json-problems]")).ToContainTextAsync("'colour' is not a field of a Rich text section.");
        await page.ClickAsync("[data-testid=save-draft]");
        await Expect(page.Locator("[data-testid=error-summary]")).ToContainTextAsync("colour");
        await ExpectBaseAsync(page, 2);

        await json.FillAsync("{ \"title\": \"About us\", \"html\": \"<p onclick='x()'>Hi</p><script>alert(1)</script>\" }");
        await json.BlurAsync();
        await page.ClickAsync("[data-testid=save-draft]");
        await ExpectBaseAsync(page, 3);
        Assert.Equal("<p>Hi</p>", (string?)ContentJson.ToObject((await service.GetVersionAsync(id, 3))!.Content)["html"]);
        await Expect(json).ToHaveValueAsync(new Regex("\"html\": \"<p>Hi</p>\""));
    });

    // ------------------------------------------------------------------------------------------------ helpers

    private static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static async Task OpenEditorAsync(IPage page, Guid id)
    {
        await page.GotoAsync($"/content/sections/{id}");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=section-editor]")).ToBeVisibleAsync();
    }

    private static ILocator Field(IPage page, string name) => page.Locator($"[data-testid=field-{name}] :is(input, textarea)").First;

    private static Task FillAsync(IPage page, string field, string value) => Field(page, field).FillAsync(value);

    private static async Task SaveAsync(IPage page, int expectedVersion)
    {
        await page.ClickAsync("[data-testid=save-draft]");
        await ExpectBaseAsync(page, expectedVersion);
        await Expect(page.Locator("[data-testid=dirty-state]")).ToContainTextAsync($"All changes saved in v{expectedVersion}");
    }

    private static Task ExpectBaseAsync(IPage page, int version) =>
        Expect(page.Locator("[data-testid=section-editor]")).ToHaveAttributeAsync("data-base", version.ToString());

    /// <summary>Review screenshots show the page, not the toasts of the steps before.</summary>
    private static async Task DismissNotificationsAsync(IPage page)
    {
        // Snackbars are alerts outside the page's shell; they also close by themselves, so one may be gone when clicked.
        var items = page.Locator("[role=alert]:not(.shell [role=alert]):visible");
        for (var i = 0; i < 10 && await items.CountAsync() > 0; i++)
        {
            try { await items.First.GetByRole(AriaRole.Button, new() { Name = "Close" }).ClickAsync(new() { Timeout = 1000 }); }
            catch (TimeoutException) { }
        }
        await Expect(items).ToHaveCountAsync(0);
    }

    /// <summary>A section's row: a table row, or while reordering an item of the list.</summary>
    private static ILocator Row(IPage page, string key) =>
        page.GetByTestId("sections-grid").GetByRole(AriaRole.Row).Or(page.GetByTestId("sections-grid").GetByRole(AriaRole.Listitem)).Filter(new() { HasText = key });

    [GeneratedRegex("/content/sections/[0-9a-f-]{36}$")]
    private static partial Regex SectionUrl();
}
