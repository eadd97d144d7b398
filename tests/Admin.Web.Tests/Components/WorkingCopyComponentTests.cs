using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The section editor keeps unsaved changes as the editor's working copy and offers them on the next visit: restore
/// puts them into the form (still unsaved), discard removes them, saving a version removes them too.
/// </summary>
public sealed class WorkingCopyComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Fact]
    public async Task Unsaved_changes_are_kept_offered_on_the_next_visit_restored_into_the_form_and_gone_after_saving()
    {
        var user = SignIn(AppRoles.Editor);
        var id = await HeroAsync(NewKey("copy"));
        var content = Db.ContentService(user.Session);
        var first = OpenEditor(id);
        Field(first, "Title").Input("Typed before the tab closed");
        first.WaitForAssertion(() => Assert.Contains("Unsaved changes", TextOf(first.Find("[data-testid=dirty-state]"))));

        // The page's timer calls this every few seconds; here the test calls it.
        await first.InvokeAsync(() => first.Instance.AutosaveAsync());
        Assert.Equal("Typed before the tab closed", (await content.WorkingCopyAsync(id))!.Content["title"]!.GetValue<string>());

        // The next visit (a new page, as after a closed tab or a dead instance) offers it.
        await DisposeComponentsAsync();
        var second = OpenEditor(id);
        Assert.Contains("You have unsaved changes", TextOf(second.WaitForElement("[data-testid=working-copy-notice]")));
        Assert.Equal("Spring sale", Field(second, "Title").GetAttribute("value"));
        await second.Find("[data-testid=restore-working-copy]").ClickAsync(new());
        second.WaitForAssertion(() => Assert.Equal("Typed before the tab closed", Field(second, "Title").GetAttribute("value")));
        Assert.Empty(second.FindAll("[data-testid=working-copy-notice]"));
        Assert.Contains("Unsaved changes", TextOf(second.Find("[data-testid=dirty-state]")));

        await second.Find("[data-testid=save-draft]").ClickAsync(new());
        second.WaitForAssertion(() => Assert.Equal("2", second.Find("[data-testid=section-editor]").GetAttribute("data-base")));
        Assert.Null(await content.WorkingCopyAsync(id));
    }

    [Fact]
    public async Task A_discarded_copy_is_not_offered_again()
    {
        var user = SignIn(AppRoles.Editor);
        var id = await HeroAsync(NewKey("drop"));
        var content = Db.ContentService(user.Session);
        await content.SaveWorkingCopyAsync(id, 1, ContentFixtures.Hero("Not wanted"));

        var editor = OpenEditor(id);
        editor.WaitForElement("[data-testid=working-copy-notice]");
        await editor.Find("[data-testid=discard-working-copy]").ClickAsync(new());

        editor.WaitForAssertion(() => Assert.Empty(editor.FindAll("[data-testid=working-copy-notice]")));
        Assert.Null(await content.WorkingCopyAsync(id));
        Assert.Contains("All changes saved in v1", TextOf(editor.Find("[data-testid=dirty-state]")));
    }
}
