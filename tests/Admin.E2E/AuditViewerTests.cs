using Admin.Web.Components;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>
/// The audit viewer and row-level security in the browser: an editor refused by PostgreSQL sees why, an admin watching
/// the denials' live tail sees it arrive and follows it to the request's audit trail; filters live in the address,
/// rows expand to their old/new data, a DBA sees only database actions, exports download.
/// </summary>
public sealed partial class AuditViewerTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task An_editor_refused_by_the_database_sees_why_and_an_admin_watching_the_live_tail_sees_the_denial_appear() => RunAsync(async admin =>
    {
        await LoginAsync(admin, DemoUserWithRole(AppRoles.Admin));
        await admin.GotoAsync("/audit?tab=denials");
        await admin.WaitForInteractiveShellAsync();
        await Expect(admin.Locator("[data-testid=tail-state]")).ToHaveAttributeAsync("data-state", "live");

        // Gloria edits globex only; she tries to put a page of acme into her release.
        var slug = "e2e-acme-" + Guid.NewGuid().ToString("N")[..6];
        var editor = await NewPageAsync();
        await LoginAsync(editor, DemoSeeder.Users.Single(u => u.Email == "editor.globex@admin.local"));
        await editor.GotoAsync("/releases");
        await editor.WaitForInteractiveShellAsync();
        await editor.ClickAsync("[data-testid=new-release]");
        await editor.Locator("[data-testid=release-name]").FillAsync("Globex pages " + slug);
        await editor.ClickAsync("[data-testid=new-release-create]");
        await Expect(editor).ToHaveURLAsync(ReleaseUrl());
        await editor.WaitForInteractiveShellAsync();
        await editor.ClickAsync("[data-testid=add-change]");
        var dialog = editor.Locator("[data-testid=entity-dialog]");
        await dialog.GetByLabel("Type", new() { Exact = true }).ClickAsync();
        // Exactly "Page": the release just named "Globex pages …" is an option of another select on the page.
        await editor.GetByRole(AriaRole.Option, new() { Name = "Page", Exact = true }).ClickAsync();
        await dialog.Locator("[data-testid=entity-brand]").FillAsync("acme");
        await dialog.Locator("[data-testid=entity-slug]").FillAsync(slug);
        await dialog.Locator("[data-testid=entity-title]").FillAsync("About Acme, by Globex");
        await dialog.Locator("[data-testid=entity-body]").FillAsync("<p>Not ours to write.</p>");
        var clock = Stopwatch.StartNew();
        await dialog.Locator("[data-testid=entity-save]").ClickAsync();

        var error = dialog.Locator("[data-testid=entity-error]");
        await Expect(error).ToContainTextAsync($"You edit brands [globex]; this page ({slug}) belongs to acme. Ask an admin for access to acme.");
        await Expect(error).ToContainTextAsync("Reference: circuit:");
        await editor.SaveReviewScreenshotAsync("rls-denial-editor");

        // The admin's tail shows it without a reload, with the same hint.
        var row = admin.GetByRole(AriaRole.Row).Filter(new() { Has = admin.GetByTestId("denial-row"), HasText = slug });
        await Expect(row).ToBeVisibleAsync(new() { Timeout = 5000 });
        Console.WriteLine($"Denial from the editor's click to the admin's live tail: {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        await Expect(row.Locator("[data-testid=denial-hint]")).ToContainTextAsync("belongs to acme");
        await Expect(row).ToContainTextAsync("entity_versions_insert_scope");
        await Expect(row).ToContainTextAsync("editor.globex@admin.local");
        await admin.SaveReviewScreenshotAsync("rls-denials-tail");

        // The request's audit trail: what Gloria's session did (she created the release).
        await row.Locator("[data-testid=denial-trail]").ClickAsync();
        await Expect(admin).ToHaveURLAsync(new Regex("/audit\\?request=circuit"));
        await Expect(admin.Locator("[data-testid=audit-row][data-action='release.created']")).ToBeVisibleAsync();
    });

    [Fact]
    public Task Filters_live_in_the_address_rows_expand_to_old_and_new_data_and_a_dba_sees_only_database_actions() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.GotoAsync("/audit");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=audit-row]").First).ToBeVisibleAsync();

        await page.Locator("[data-testid=filter-action]").FillAsync("release.");
        await page.ClickAsync("[data-testid=filter-apply]");
        await Expect(page).ToHaveURLAsync(new Regex("action=release\\."));
        var rows = page.Locator("[data-testid=audit-row]");
        await Expect(rows.First).ToHaveAttributeAsync("data-action", new Regex("^release\\."));
        // The address changes before the filtered page is read; wait until no row of the unfiltered page is left.
        await Expect(page.Locator("[data-testid=audit-row]:not([data-action^='release.'])")).ToHaveCountAsync(0);
        foreach (var action in await rows.EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.action)"))
            Assert.StartsWith("release.", action);

        // A shared link opens the same view; a row shows its old and new data side by side.
        var shared = page.Url;
        var other = await NewPageAsync();
        await LoginAsync(other, DemoUserWithRole(AppRoles.Admin));
        await other.GotoAsync(shared);
        await other.WaitForInteractiveShellAsync();
        await Expect(other.Locator("[data-testid=filter-action]")).ToHaveValueAsync("release.");
        // Narrowed to one action (other tests' releases may push approvals off the first page of "release.").
        await other.GetByLabel("Action", new() { Exact = true }).FillAsync("release.approved");
        await other.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
        await Expect(other).ToHaveURLAsync(new Regex("action=release\\.approved"));
        var updated = other.GetByRole(AriaRole.Row).Filter(new() { Has = other.Locator("[data-testid=audit-row][data-action='release.approved']") }).First;
        await updated.Locator("[data-testid=audit-expand]").ClickAsync();
        var detail = other.Locator("[data-testid=audit-detail]");
        await Expect(detail.Locator("[data-testid=payload-diff] tr.changed[data-path='$.status']")).ToBeVisibleAsync();
        await other.SaveReviewScreenshotAsync("audit-viewer-expanded");
        await other.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = "dark", Url = App.BaseUrl.ToString() }]);
        await other.ReloadAsync();
        await other.WaitForInteractiveShellAsync();
        await Expect(other.GetByTestId("audit-row").First).ToBeVisibleAsync();
        await other.SaveReviewScreenshotAsync("audit-viewer-dark");

        var download = await other.RunAndWaitForDownloadAsync(() => other.ClickAsync("[data-testid=export-csv]"));
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.StartsWith("id,occurred_at,actor_id,actor_email,actor_roles,action,", csv);
        Assert.Contains(",release.approved,", csv);
        Assert.DoesNotContain(",auth.login,", csv);

        // The DBA's view: database actions only, said plainly.
        var dba = await NewPageAsync();
        await LoginAsync(dba, DemoUserWithRole(AppRoles.Dba));
        await dba.GotoAsync("/audit");
        await dba.WaitForInteractiveShellAsync();
        await Expect(dba.GetByText("As a DBA you see the database actions")).ToBeVisibleAsync();
        foreach (var action in await dba.Locator("[data-testid=audit-row]").EvaluateAllAsync<string[]>("rs => rs.map(r => r.dataset.action)"))
            Assert.StartsWith("database.", action);
        await dba.SaveReviewScreenshotAsync("audit-viewer-dba");
    });

    [Fact]
    public Task A_dbas_paused_tail_counts_only_the_events_row_level_security_lets_a_dba_read() => RunAsync(async dba =>
    {
        await LoginAsync(dba, DemoUserWithRole(AppRoles.Dba));
        await dba.GotoAsync("/audit?tail=paused");
        await dba.WaitForInteractiveShellAsync();
        await Expect(dba.Locator("[data-testid=tail-state]")).ToHaveAttributeAsync("data-state", "paused");

        // Three events the DBA may not read (an admin's password reset, sign-ins), then one database action.
        await using (var sql = await App.Database.OpenAppAsAdminAsync())
        {
            foreach (var action in new[] { "user.password_reset", "auth.login_failed", "auth.login" })
                await sql.ExecuteAsync($"SELECT audit_write('{action}')");
            await sql.ExecuteAsync("SELECT audit_write('database.statistics_reset')");
        }

        var pending = dba.Locator("[data-testid=tail-pending]");
        await Expect(pending).ToHaveTextAsync(new Regex("(^|\\D)1 new"));
        await Task.Delay(500); // an event counted late would still show
        await Expect(pending).ToHaveTextAsync(new Regex("(^|\\D)1 new"));
        await pending.ClickAsync();
        await Expect(dba.Locator("[data-testid=audit-row]").First).ToHaveAttributeAsync("data-action", "database.statistics_reset");
    });

    [GeneratedRegex("/releases/([0-9]+)$")]
    private static partial Regex ReleaseUrl();
}
