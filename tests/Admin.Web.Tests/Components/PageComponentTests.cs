using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Components.Pages;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Pages on a real database: the home page's tiles and audit card per role, and the section editor's field
/// validation (shown when a field is left, summed up on save, nothing saved) and its read-only archived state.
/// </summary>
public sealed class PageComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Theory]
    [MemberData(nameof(DemoLogins.Roles), MemberType = typeof(DemoLogins))]
    public void The_home_page_has_a_tile_for_each_area_of_the_role_and_the_audit_card_as_the_role_reads_the_trail(string role)
    {
        SignIn(role, displayName: "Tess Tiles");

        var home = Render<Home>();

        home.WaitForAssertion(() => Assert.Contains("Welcome, Tess Tiles", TextOf(home.Find("h1"))));
        var tiles = home.FindAll("[data-testid=home-tiles] a[data-area]").Select(a => a.GetAttribute("data-area")).ToList();
        Assert.Equal(Areas.All.Where(a => a.Roles.Contains(role)).Select(a => a.Key).ToList(), tiles);
        var title = role switch
        {
            AppRoles.Admin => "Audit events per hour, last 24 hours",
            AppRoles.Dba => "Database actions per hour, last 24 hours",
            _ => null,
        };
        if (title is null)
        {
            Assert.Empty(home.FindAll("[data-testid=audit-title]"));
            return;
        }
        home.WaitForAssertion(() => Assert.Equal(title, TextOf(home.Find("[data-testid=audit-title]"))));
        // A DBA is told why the chart shows only database actions (row-level security hides the rest).
        Assert.Equal(role == AppRoles.Dba, home.FindAll("[data-testid=audit-scope]").Count == 1);
    }

    [Fact]
    public async Task A_javascript_link_is_refused_next_to_the_field_once_it_is_left_and_on_save_nothing_is_saved()
    {
        SignIn(AppRoles.Editor);
        var id = await HeroAsync(NewKey("invalid"));
        var editor = OpenEditor(id);
        var field = Field(editor, "Button link (optional)");

        field.Input("javascript:alert(1)");
        // Not while typing in a field not yet left...
        editor.WaitForAssertion(() => Assert.Contains("Unsaved changes", TextOf(editor.Find("[data-testid=dirty-state]"))));
        Assert.Empty(editor.FindAll("[data-testid=field-error][data-field=ctaUrl]"));
        editor.Find("[data-testid=field-ctaUrl]").FocusOut();

        // ...but as soon as it is left.
        var error = editor.WaitForElement("[data-testid=field-error][data-field=ctaUrl]");
        Assert.Equal("Button link must be an https:// or http:// address, or a site path starting with /.", TextOf(error));
        Assert.Equal("true", Field(editor, "Button link (optional)").GetAttribute("aria-invalid"));
        Assert.Contains("Unsaved changes", TextOf(editor.Find("[data-testid=dirty-state]")));

        await editor.Find("[data-testid=save-draft]").ClickAsync(new());

        Assert.Contains("Button link", TextOf(editor.WaitForElement("[data-testid=error-summary]")));
        Assert.Equal("1", editor.Find("[data-testid=section-editor]").GetAttribute("data-base"));
        Assert.Equal(1, (await Db.ContentService().GetAsync(id))!.Latest.VersionNumber);
    }

    [Fact]
    public async Task A_valid_change_is_saved_as_the_next_version_and_the_editor_says_so()
    {
        SignIn(AppRoles.Editor);
        var id = await HeroAsync(NewKey("valid"));
        var editor = OpenEditor(id);
        Assert.Contains("All changes saved in v1", TextOf(editor.Find("[data-testid=dirty-state]")));

        Field(editor, "Title").Input("Summer sale");
        editor.WaitForAssertion(() => Assert.Contains("Unsaved changes", TextOf(editor.Find("[data-testid=dirty-state]"))));
        await editor.Find("[data-testid=save-draft]").ClickAsync(new());

        editor.WaitForAssertion(() => Assert.Equal("2", editor.Find("[data-testid=section-editor]").GetAttribute("data-base")));
        Assert.Contains("All changes saved in v2", TextOf(editor.Find("[data-testid=dirty-state]")));
        var saved = await Db.ContentService().GetVersionAsync(id, 2);
        Assert.Equal("Summer sale", saved!.Content.RootElement.GetProperty("title").GetString());
        Assert.Equal(User!.Email, saved.CreatedByEmail);
    }

    [Fact]
    public async Task An_archived_section_opens_read_only_with_save_and_publish_disabled()
    {
        SignIn(AppRoles.Editor);
        var id = await HeroAsync(NewKey("archived"));
        await Db.ContentService().ArchiveAsync(id);

        var editor = OpenEditor(id);

        Assert.Contains("This section is archived", TextOf(editor.Find("[data-testid=archived-notice]")));
        Assert.NotNull(editor.Find("[data-testid=save-draft]").GetAttribute("disabled"));
        Assert.NotNull(editor.Find("[data-testid=publish]").GetAttribute("disabled"));
        Assert.NotNull(Field(editor, "Title").GetAttribute("readonly"));
        Assert.True(HasButton(editor, "Restore from archive"));
    }
}
