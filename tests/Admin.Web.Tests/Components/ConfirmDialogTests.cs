using Admin.Web.Components.Shared;
using System.Text.Json;
using MudBlazor;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Admin.Web.Features.Releases;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Dialogs that confirm or combine: the release actions' reason dialog (a reason required for a rollback) and the
/// content editor's save-conflict dialog (their version against mine, field by field).
/// </summary>
public sealed class ConfirmDialogTests : ComponentTestContext
{
    public ConfirmDialogTests() => SignIn(AppRoles.ReleaseManager);

    private Task<OpenedDialog> RollbackAsync() => OpenDialogAsync<ReasonDialog>("Roll back", new()
    {
        [nameof(ReasonDialog.Message)] = "Every change of this release goes back to what was live before it.",
        [nameof(ReasonDialog.ReasonLabel)] = "Why roll back?",
        [nameof(ReasonDialog.OkText)] = "Roll back",
    });

    [Fact]
    public async Task A_rollback_without_a_reason_is_refused_in_the_dialog_until_one_is_given()
    {
        var dialog = await RollbackAsync();
        Assert.Empty(dialog.Host.FindAll("[data-testid=reason-error]"));

        Button(dialog.Host, "Roll back").Click();
        Assert.True(dialog.IsOpen);
        Assert.Equal("A reason is required.", Normalise(dialog.Host.Find("[data-testid=reason-error]").TextContent));

        // Typing takes the message away; the reason is returned trimmed.
        dialog.Host.Find("textarea[data-testid=reason]").Change("  Wrong greeting ");
        dialog.Host.WaitForAssertion(() => Assert.Empty(dialog.Host.FindAll("[data-testid=reason-error]")));
        Button(dialog.Host, "Roll back").Click();
        Assert.Equal("Wrong greeting", dialog.Result);
    }

    [Fact]
    public async Task A_reason_of_blanks_is_no_reason()
    {
        var dialog = await RollbackAsync();
        dialog.Host.Find("textarea[data-testid=reason]").Change("   ");

        Button(dialog.Host, "Roll back").Click();

        Assert.True(dialog.IsOpen);
        Assert.NotEmpty(dialog.Host.FindAll("[data-testid=reason-error]"));
    }

    [Fact]
    public async Task A_confirmation_that_asks_no_reason_confirms_with_an_empty_one_and_cancel_with_none()
    {
        var confirm = await OpenDialogAsync<ReasonDialog>("Submit", new() { [nameof(ReasonDialog.Message)] = "Submit for review?", [nameof(ReasonDialog.OkText)] = "Submit" });
        Assert.Empty(confirm.Host.FindAll("textarea"));
        Button(confirm.Host, "Submit").Click();
        Assert.Equal("", confirm.Result);

        var cancelled = await RollbackAsync();
        cancelled.Host.Find("textarea[data-testid=reason]").Change("Wrong greeting");
        Button(cancelled.Host, "Cancel").Click();
        Assert.Null(cancelled.Result);
    }

    // ---------------------------------------------------------------------------------------------- save conflict

    /// <summary>I loaded v1 and changed the title; they saved v2 with a new subtitle; we both changed the CTA text, differently.</summary>
    private Task<ShownDialog> ConflictAsync()
    {
        var loaded = ContentFixtures.Hero("Original title");
        var draft = new SectionDraft(SectionTypes.Hero, loaded);
        draft.SetText("title", "My better title");
        draft.SetText("ctaText", "Buy mine");
        var theirs = ContentFixtures.Hero("Original title");
        theirs["subtitle"] = "Their new subtitle";
        theirs["ctaText"] = "Buy theirs";
        var version = new SectionVersion
        {
            VersionNumber = 2, Content = JsonDocument.Parse(theirs.ToJsonString()), CreatedByEmail = "other@test.local",
            ChangeSummary = "New subtitle", CreatedAt = DateTimeOffset.UtcNow,
        };
        return ShowDialogAsync("Someone saved meanwhile", new DialogParameters<SaveConflictDialog>
        {
            { d => d.Draft, draft },
            { d => d.Theirs, version },
            { d => d.BaseNumber, 1 },
            { d => d.Catalog, CatalogOptions.None },
            { d => d.Clock, new BrowserClock(JSInterop.JSRuntime) },
        });
    }

    [Fact]
    public async Task The_conflict_dialog_shows_whose_change_each_field_keeps()
    {
        var dialog = await ConflictAsync();

        var states = dialog.Host.FindAll("[data-testid=conflict-dialog] tr[data-field]")
            .ToDictionary(r => r.GetAttribute("data-field")!, r => r.GetAttribute("data-state"));
        Assert.Equal("Mine", states["title"]);
        Assert.Equal("Theirs", states["subtitle"]);
        Assert.Equal("Both", states["ctaText"]);
        Assert.Equal("Same", states["imageUrl"]);
        var both = dialog.Host.Find("tr[data-field=ctaText]");
        Assert.Contains("both changed: yours is kept", both.TextContent);
        Assert.Contains("other@test.local saved version 2", dialog.Text);
    }

    [Fact]
    public async Task The_conflict_dialog_closes_with_the_choice_made()
    {
        var combined = await ConflictAsync();
        Button(combined.Host, "Save theirs plus mine as v3").Click();
        Assert.Equal(SaveConflictDialog.Choice.SaveCombined, (await combined.ClosedAsync())!.Data);

        var reload = await ConflictAsync();
        reload.Host.Find("[data-testid=conflict-reload]").Click();
        Assert.Equal(SaveConflictDialog.Choice.ReloadTheirs, (await reload.ClosedAsync())!.Data);

        var keepEditing = await ConflictAsync();
        Button(keepEditing.Host, "Keep editing").Click();
        Assert.True((await keepEditing.ClosedAsync())!.Canceled);
    }
}
