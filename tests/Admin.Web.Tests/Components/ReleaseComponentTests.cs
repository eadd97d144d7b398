using Admin.Data.Releases;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Audit;
using Admin.Web.Features.Releases;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The releases and audit components on MudBlazor: the reason dialog (a reason required for a rollback), the new-release
/// dialog, the release page's page of changes and its actions per role, and the audit viewer's labelled filters.
/// </summary>
public sealed class ReleaseComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private Task<ShownDialog> RollbackAsync() => ShowDialogAsync("Roll back", new DialogParameters<ReasonDialog>
    {
        { d => d.Message, "Every change of this release goes back to what was live before it." },
        { d => d.ReasonLabel, "Why roll back?" },
        { d => d.OkText, "Roll back" },
    });

    [Fact]
    public async Task A_rollback_without_a_reason_is_refused_in_the_dialog_until_one_is_given()
    {
        SignIn(AppRoles.ReleaseManager);
        var dialog = await RollbackAsync();
        Assert.Empty(dialog.Host.FindAll("[data-testid=reason-error]"));

        Button(dialog.Host, "Roll back").Click();
        Assert.True(dialog.IsOpen);
        Assert.Equal("A reason is required.", Normalise(dialog.Host.Find("[data-testid=reason-error]").TextContent));

        // Typing takes the message away; the reason is returned trimmed. The field is found by its label.
        await Field(dialog.Host, "Why roll back?").InputAsync(new ChangeEventArgs { Value = "  Wrong greeting " });
        dialog.Host.WaitForAssertion(() => Assert.Empty(dialog.Host.FindAll("[data-testid=reason-error]")));
        Button(dialog.Host, "Roll back").Click();
        Assert.Equal("Wrong greeting", (await dialog.ClosedAsync())!.Data);
    }

    [Fact]
    public async Task A_reason_of_blanks_is_no_reason()
    {
        SignIn(AppRoles.ReleaseManager);
        var dialog = await RollbackAsync();
        await dialog.Host.Find("textarea[data-testid=reason]").InputAsync(new ChangeEventArgs { Value = "   " });

        Button(dialog.Host, "Roll back").Click();

        Assert.True(dialog.IsOpen);
        Assert.NotEmpty(dialog.Host.FindAll("[data-testid=reason-error]"));
    }

    [Fact]
    public async Task A_confirmation_that_asks_no_reason_confirms_with_an_empty_one_and_cancel_with_none()
    {
        SignIn(AppRoles.ReleaseManager);
        var confirm = await ShowDialogAsync("Submit", new DialogParameters<ReasonDialog> { { d => d.Message, "Submit for review?" }, { d => d.OkText, "Submit" } });
        Assert.Empty(confirm.Host.FindAll("textarea"));
        Button(confirm.Host, "Submit").Click();
        Assert.Equal("", (await confirm.ClosedAsync())!.Data);

        var cancelled = await RollbackAsync();
        await cancelled.Host.Find("textarea[data-testid=reason]").InputAsync(new ChangeEventArgs { Value = "Wrong greeting" });
        Button(cancelled.Host, "Cancel").Click();
        Assert.True((await cancelled.ClosedAsync())!.Canceled);
    }

    [Fact]
    public async Task A_new_release_needs_a_name_and_closes_with_the_new_drafts_id()
    {
        SignIn(AppRoles.Editor);
        var dialog = await ShowDialogAsync<NewReleaseDialog>("New release");

        Button(dialog.Host, "Create draft").Click();
        dialog.Host.WaitForAssertion(() => Assert.NotEmpty(dialog.Host.FindAll("[data-testid=new-release-error]")));
        Assert.True(dialog.IsOpen);

        await Field(dialog.Host, "Name").InputAsync(new ChangeEventArgs { Value = "From bUnit" });
        Button(dialog.Host, "Create draft").Click();
        var id = Assert.IsType<long>((await dialog.ClosedAsync())!.Data);
        Assert.Equal("From bUnit", (await Db.ReleaseService(ReleaseFixtures.Manager).GetAsync(id))!.Release.Name);
    }

    private async Task<long> ReleaseWithChangesAsync(int count)
    {
        var editor = Db.ReleaseService(ReleaseFixtures.Editor);
        var id = await editor.CreateAsync($"bUnit {Guid.NewGuid():N}"[..14], null);
        for (var i = 1; i <= count; i++) await editor.SaveEntityAsync(id, ReleaseFixtures.Translation($"bunit.{id}.{i:000}", $"Text {i}"));
        return id;
    }

    [Fact]
    public async Task The_release_page_shows_fifty_changes_of_a_larger_release_with_its_counts_and_the_editors_actions()
    {
        var id = await ReleaseWithChangesAsync(55);
        SignIn(TestUser.WithRole(AppRoles.Editor) with { Id = ReleaseFixtures.Editor.UserId!.Value });
        RenderMudProviders();

        var page = Render<ReleasePage>(p => p.Add(c => c.Id, id));

        page.WaitForAssertion(() => Assert.Equal(50, page.FindAll("[data-testid=change]").Count));
        Assert.Equal("1–50 of 55", TextOf(page.Find("[data-testid=change-range]")));
        Assert.Equal("55 changes: 55 added", TextOf(page.Find("[data-testid=change-summary]")));
        Assert.Contains("Translations (55)", TextOf(page.Find("[data-testid=change-group] h3")));
        Assert.Equal("DRAFT", page.Find("[data-testid=release-status]").GetAttribute("data-status"));
        Assert.False(Button(page, "Add change").HasAttribute("disabled"));
        Assert.False(HasButton(page, "Approve"));
        // Icon-only buttons are named for the change they act on; the pager's buttons say where they go.
        Assert.True(HasButton(page, $"Take bunit.{id}.001 out of the release"));
        Assert.True(Button(page, "Previous page").HasAttribute("disabled"));
        Assert.False(Button(page, "Next page").HasAttribute("disabled"));
        Assert.Equal("Search changes", TextOf(page.FindAll("label").First(l => l.TextContent.Contains("Search"))));
    }

    [Fact]
    public async Task Submitting_asks_first_and_says_when_it_is_done()
    {
        var id = await ReleaseWithChangesAsync(1);
        SignIn(TestUser.WithRole(AppRoles.Editor) with { Id = ReleaseFixtures.Editor.UserId!.Value });
        var providers = RenderMudProviders();
        var page = Render<ReleasePage>(p => p.Add(c => c.Id, id));
        page.WaitForElement("[data-testid=submit]");

        await page.InvokeAsync(() => page.Find("[data-testid=submit]").Click());
        providers.WaitForAssertion(() => Assert.Contains("The release is frozen for review", TextOf(providers.Find(DialogRole))));
        Button(providers, "Submit").Click();

        page.WaitForAssertion(() => Assert.Equal("IN_REVIEW", page.Find("[data-testid=release-status]").GetAttribute("data-status")));
        providers.WaitForAssertion(() => Assert.Contains("Submitted for review", providers.Markup));
    }

    [Fact]
    public async Task The_audit_viewers_filters_are_the_kits_fields_with_labels_and_apply_goes_to_the_address()
    {
        SignIn(AppRoles.Admin);
        RenderMudProviders();
        var viewer = Render<AuditViewerPage>();
        viewer.WaitForAssertion(() => Assert.NotEmpty(viewer.FindAll("[data-testid=tail-state]")));

        // As a person does: type into each field (leaving it), then apply.
        await Field(viewer, "Action").InputAsync(new ChangeEventArgs { Value = "release." });
        await Field(viewer, "Actor").InputAsync(new ChangeEventArgs { Value = "editor@admin.local" });
        viewer.Find("[data-testid=audit-filters]").Submit();

        var navigation = Services.GetRequiredService<NavigationManager>();
        viewer.WaitForAssertion(() =>
        {
            var uri = Uri.UnescapeDataString(navigation.Uri);
            Assert.Contains("action=release.", uri);
            Assert.Contains("actor=editor@admin.local", uri);
        });
        Assert.NotNull(Field(viewer, "Request id"));
        Assert.NotNull(Field(viewer, "Text in the JSON"));
    }
}
