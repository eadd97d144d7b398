using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Content;

namespace Admin.Web.Tests.Content;

public sealed class SectionDraftTests
{
    [Fact]
    public void A_draft_is_dirty_only_when_its_content_means_something_else()
    {
        var saved = ContentFixtures.Hero();
        saved.Remove("ctaText");
        var draft = new SectionDraft(SectionTypes.Hero, saved);
        Assert.False(draft.IsDirty);

        // An optional field typed into and emptied again is no change (the server stores no empty fields).
        draft.SetText("ctaText", "");
        Assert.False(draft.IsDirty);

        draft.SetText("title", "Autumn sale");
        Assert.True(draft.IsDirty);
        Assert.Equal(["title"], draft.ChangedFields());

        draft.Reset(draft.Content);
        Assert.False(draft.IsDirty);
    }

    [Fact]
    public void Theirs_plus_mine_keeps_their_changes_and_takes_mine_where_i_changed_a_field()
    {
        var draft = new SectionDraft(SectionTypes.Hero, ContentFixtures.Hero("Original"));
        draft.SetText("title", "Mine");
        draft.SetText("ctaText", ""); // cleared on purpose: a change too
        var theirs = ContentFixtures.Hero("Theirs");
        theirs["subtitle"] = "Their subtitle";

        var combined = draft.CombineWith(theirs);

        Assert.Equal("Mine", (string?)combined["title"]);
        Assert.Equal("Their subtitle", (string?)combined["subtitle"]);
        Assert.Equal("", (string?)combined["ctaText"]);
        Assert.Equal("https://cdn.example.com/hero.jpg", (string?)combined["imageUrl"]);
    }

    [Fact]
    public void Fields_read_safely_whatever_the_json_view_put_there()
    {
        var draft = new SectionDraft(SectionTypes.CategoryGrid, new JsonObject
        {
            ["title"] = 42, ["columns"] = "three", ["categoryIds"] = new JsonArray("not-a-guid", Guid.Empty.ToString()),
        });

        Assert.Equal("42", draft.Text("title"));
        Assert.Null(draft.Number("columns"));
        Assert.Empty(draft.Ids("categoryIds"));
        Assert.Contains(draft.Validate(), e => e.Field == "title");
    }
}
