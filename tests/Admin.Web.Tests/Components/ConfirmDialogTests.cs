using Admin.Web.Components.Shared;
using System.Text.Json;
using MudBlazor;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Dialogs that combine: the content editor's save-conflict dialog (their version against mine, field by field). The
/// release actions' reason dialog is tested in ReleaseComponentTests.
/// </summary>
public sealed class ConfirmDialogTests : ComponentTestContext
{
    public ConfirmDialogTests() => SignIn(AppRoles.ReleaseManager);

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
