using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Content;
using Admin.Web.Tests.Components;

namespace Admin.Web.Tests.Content;

/// <summary>
/// The section editor's state machine without its page: dirty tracking, the JSON view, saving on top of the base
/// version, a conflict answered either way, a newer version loaded or announced, and a new section's creation.
/// </summary>
public sealed class SectionEditorStateTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private readonly List<string> _said = [];

    private SectionEditorState NewState(ContentService? content = null, SaveConflictDialog.Choice answer = SaveConflictDialog.Choice.KeepEditing) =>
        new(content ?? Db.ContentService())
        {
            Done = m => _said.Add("done: " + m),
            Info = m => _said.Add("info: " + m),
            Refused = m => _said.Add("refused: " + m),
            AskConflict = _ => Task.FromResult(answer),
        };

    [Fact]
    public async Task A_change_makes_the_editor_dirty_discarding_cleans_it_and_saving_moves_the_base()
    {
        var id = await HeroAsync(NewKey("state"));
        var state = NewState();
        await state.LoadAsync(id);
        Assert.False(state.HasUnsavedChanges);
        Assert.Equal(1, state.BaseNumber);

        state.Draft!.SetText("title", "Summer sale");
        state.FieldChanged("title");
        Assert.True(state.HasUnsavedChanges);
        state.Discard();
        Assert.False(state.HasUnsavedChanges);

        state.Draft.SetText("title", "Summer sale");
        state.Summary = "New title";
        Assert.Null(await state.SaveAsync());
        Assert.Equal(2, state.BaseNumber);
        Assert.False(state.HasUnsavedChanges);
        Assert.Equal("", state.Summary);
        Assert.Contains("done: Saved as version 2.", _said);
    }

    [Fact]
    public async Task Broken_json_counts_as_unsaved_is_explained_and_is_never_saved()
    {
        var id = await HeroAsync(NewKey("json"));
        var state = NewState();
        await state.LoadAsync(id);
        state.TabChanged(SectionEditorState.JsonTab);
        Assert.Contains("\"title\"", state.JsonText);

        state.JsonChanged("{ \"title\": ");
        Assert.StartsWith("This is not valid JSON (line 1", state.JsonError);
        Assert.True(state.HasUnsavedChanges);
        await state.SaveAsync();
        Assert.Equal(1, state.BaseNumber);
        Assert.StartsWith("refused: The JSON has a mistake", _said.Last());
    }

    [Fact]
    public async Task An_invalid_field_is_shown_once_left_and_every_problem_on_save()
    {
        var id = await HeroAsync(NewKey("invalid"));
        var state = NewState();
        await state.LoadAsync(id);
        state.Draft!.SetText("ctaUrl", "javascript:alert(1)");
        state.FieldChanged("ctaUrl");
        Assert.Empty(state.FieldErrors);

        state.FieldLeft("ctaUrl");
        Assert.True(state.FieldErrors.ContainsKey("ctaUrl"));
        await state.SaveAsync();
        Assert.True(state.ShowAllErrors);
        Assert.Contains(state.AllErrors, e => e.Field == "ctaUrl");
        Assert.Equal(1, state.BaseNumber);
    }

    [Theory]
    [InlineData(SaveConflictDialog.Choice.KeepEditing)]
    [InlineData(SaveConflictDialog.Choice.ReloadTheirs)]
    [InlineData(SaveConflictDialog.Choice.SaveCombined)]
    public async Task A_save_that_lost_the_race_does_what_the_editor_chose(SaveConflictDialog.Choice choice)
    {
        var id = await HeroAsync(NewKey("race"));
        var mine = NewState(answer: choice);
        await mine.LoadAsync(id);
        mine.Draft!.SetText("title", "My better title");
        var theirs = ContentFixtures.Hero();
        theirs["subtitle"] = "Their new subtitle";
        await Db.ContentService(ContentFixtures.OtherEditor).SaveDraftAsync(id, 1, theirs, "Their change");

        await mine.SaveAsync();

        switch (choice)
        {
            case SaveConflictDialog.Choice.KeepEditing:
                Assert.Equal(1, mine.BaseNumber);
                Assert.True(mine.HasUnsavedChanges);
                break;
            case SaveConflictDialog.Choice.ReloadTheirs:
                Assert.Equal(2, mine.BaseNumber);
                Assert.False(mine.HasUnsavedChanges);
                Assert.Equal("Their new subtitle", mine.Draft.Text("subtitle"));
                break;
            case SaveConflictDialog.Choice.SaveCombined:
                Assert.Equal(3, mine.BaseNumber);
                Assert.Equal("My better title", mine.Draft.Text("title"));
                Assert.Equal("Their new subtitle", mine.Draft.Text("subtitle"));
                break;
        }
    }

    [Fact]
    public async Task A_newer_version_is_loaded_when_nothing_is_lost_and_only_announced_otherwise()
    {
        var id = await HeroAsync(NewKey("newer"));
        var clean = NewState();
        var dirty = NewState();
        await clean.LoadAsync(id);
        await dirty.LoadAsync(id);
        dirty.Draft!.SetText("title", "Unsaved");
        await Db.ContentService(ContentFixtures.OtherEditor).SaveDraftAsync(id, 1, ContentFixtures.Hero("Theirs"), "Their change");

        await clean.SyncAsync();
        await dirty.SyncAsync();

        Assert.Equal(2, clean.BaseNumber);
        Assert.True(clean.Notice?.Loaded);
        Assert.Equal(1, dirty.BaseNumber);
        Assert.False(dirty.Notice?.Loaded);
        Assert.True(dirty.HasUnsavedChanges);
    }

    [Fact]
    public async Task A_new_section_needs_its_type_locale_and_key_and_is_created_on_first_save()
    {
        var state = NewState();
        await state.StartNewAsync("no-such-type", Locale, "x");
        Assert.Equal("Choose a section type first", state.Problem?.Title);

        var key = NewKey("fresh");
        await state.StartNewAsync(SectionTypes.Banner, Locale, key);
        Assert.Null(state.Problem);
        Assert.True(state.IsNew);
        state.Draft!.SetText("text", "Free delivery this week");

        var created = await state.SaveAsync();

        Assert.NotNull(created);
        Assert.Equal(key, (await Db.ContentService().GetAsync(created.Value))!.Section.SectionKey);
        Assert.False(state.HasUnsavedChanges);
    }
}
