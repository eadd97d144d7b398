using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.TestSupport;

namespace Admin.Data.Tests.Content;

/// <summary>The comparison engine on its own (no database): what an editor sees when comparing two versions.</summary>
public sealed class ContentDiffTests
{
    private static JsonDocument Doc(JsonObject content) => ContentJson.ToDocument(content);

    private static FieldComparison Field(IReadOnlyList<FieldComparison> fields, string name) => fields.Single(f => f.Field == name);

    private static string Side(FieldComparison field, SegmentKind changed) =>
        string.Concat(field.Segments.Where(s => s.Kind is SegmentKind.Unchanged || s.Kind == changed).Select(s => s.Text));

    [Fact]
    public void One_word_changed_in_a_sentence_is_the_only_highlight_and_both_sides_read_as_they_were()
    {
        var left = ContentFixtures.Hero();
        left["subtitle"] = "Everything must go, today only.";
        var right = ContentFixtures.Hero();
        right["subtitle"] = "Everything must go, tomorrow only.";

        var fields = ContentDiff.Compare(SectionTypes.Hero, Doc(left), Doc(right));

        var subtitle = Field(fields, "subtitle");
        Assert.Equal((ChangeKind.Changed, "Subtitle"), (subtitle.Change, subtitle.Label));
        Assert.Equal(
            [new(SegmentKind.Unchanged, "Everything must go, "), new(SegmentKind.Deleted, "today"), new(SegmentKind.Inserted, "tomorrow"), new(SegmentKind.Unchanged, " only.")],
            subtitle.Segments);
        Assert.Equal("Everything must go, today only.", Side(subtitle, SegmentKind.Deleted));
        Assert.Equal("Everything must go, tomorrow only.", Side(subtitle, SegmentKind.Inserted));
        // Every schema field is listed in schema order with its label; the others did not change.
        Assert.Equal(["title", "subtitle", "imageUrl", "ctaText", "ctaUrl"], fields.Select(f => f.Field));
        Assert.All(fields.Where(f => f.Field != "subtitle"), f => Assert.Equal(ChangeKind.Unchanged, f.Change));
    }

    [Fact]
    public void Punctuation_splits_words_so_a_changed_comma_does_not_mark_the_word_before_it()
    {
        var segments = ContentDiff.Words("Shop now, save more", "Shop now! Save more");

        // "now" is untouched; the comma, the space and the re-capitalised word are one readable change.
        Assert.Equal(
            [new(SegmentKind.Unchanged, "Shop now"), new(SegmentKind.Deleted, ", save"), new(SegmentKind.Inserted, "! Save"), new(SegmentKind.Unchanged, " more")],
            segments);
    }

    [Fact]
    public void Neighbouring_changed_words_read_as_one_change_not_a_patchwork()
    {
        var segments = ContentDiff.Words("the quick brown fox jumps", "the slow red fox jumps");

        Assert.Equal(
            [new(SegmentKind.Unchanged, "the "), new(SegmentKind.Deleted, "quick brown"), new(SegmentKind.Inserted, "slow red"), new(SegmentKind.Unchanged, " fox jumps")],
            segments);
    }

    [Fact]
    public void Html_formatting_only_change_keeps_the_text_unchanged_and_says_the_markup_changed()
    {
        var left = new JsonObject { ["title"] = "About us", ["html"] = "<p>We ship across Europe.</p><p>Free returns.</p>" };
        var right = new JsonObject { ["title"] = "About us", ["html"] = "<p>We ship across <strong>Europe</strong>.</p><p>Free returns.</p>" };

        var html = Field(ContentDiff.Compare(SectionTypes.RichText, Doc(left), Doc(right)), "html");

        Assert.Equal(ChangeKind.Changed, html.Change);
        Assert.True(html.MarkupChanged);
        Assert.True(html.FormattingOnly);
        Assert.Equal("We ship across Europe.\nFree returns.", html.LeftText);
        Assert.All(html.Segments, s => Assert.Equal(SegmentKind.Unchanged, s.Kind));
        Assert.Contains(html.MarkupSegments!, s => s.Kind == SegmentKind.Inserted && s.Text.Contains("<strong>"));
    }

    [Fact]
    public void Html_text_change_compares_the_visible_text_not_the_tags()
    {
        var left = new JsonObject { ["html"] = "<p>Delivery in <em>3</em> days</p>" };
        var right = new JsonObject { ["html"] = "<p>Delivery in <em>2</em> days</p>" };

        var html = Field(ContentDiff.Compare(SectionTypes.RichText, Doc(left), Doc(right)), "html");

        Assert.False(html.FormattingOnly);
        Assert.Equal(["3"], html.Segments.Where(s => s.Kind == SegmentKind.Deleted).Select(s => s.Text));
        Assert.Equal(["2"], html.Segments.Where(s => s.Kind == SegmentKind.Inserted).Select(s => s.Text));
        Assert.DoesNotContain(html.Segments, s => s.Text.Contains('<'));
    }

    [Fact]
    public void Reordered_products_show_which_moved_and_added_and_removed_ones_by_name()
    {
        var (a, b, c, d) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var names = new Dictionary<Guid, string> { [a] = "Anorak", [b] = "Boots", [c] = "Cap", [d] = "Dress" };

        var products = Field(ContentDiff.Compare(SectionTypes.ProductCarousel,
            Doc(ContentFixtures.Carousel([a, b, c])), Doc(ContentFixtures.Carousel([b, a, d])), names), "productIds");

        Assert.Equal(ChangeKind.Changed, products.Change);
        Assert.Equal("Products", products.Label);
        var byName = products.Items!.ToDictionary(i => i.Name);
        // One of Anorak/Boots moved (the other kept its relative order); Dress is new; Cap is gone.
        Assert.Single(products.Items!, i => i.Change == ItemChange.Moved);
        Assert.Single(products.Items!, i => i.Change == ItemChange.Unchanged);
        Assert.Equal((ItemChange.Added, null, 3), (byName["Dress"].Change, byName["Dress"].LeftPosition, byName["Dress"].RightPosition));
        Assert.Equal((ItemChange.Removed, 3, null), (byName["Cap"].Change, byName["Cap"].LeftPosition, byName["Cap"].RightPosition));
        Assert.Equal("Anorak\nBoots\nCap", products.LeftText);
        Assert.Equal("Boots\nAnorak\nDress", products.RightText);
    }

    [Fact]
    public void An_item_inserted_at_the_front_moves_nothing_else()
    {
        var (a, b, c, d) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        var products = Field(ContentDiff.Compare(SectionTypes.ProductCarousel,
            Doc(ContentFixtures.Carousel([a, b, c])), Doc(ContentFixtures.Carousel([d, a, b, c]))), "productIds");

        Assert.Equal([ItemChange.Added, ItemChange.Unchanged, ItemChange.Unchanged, ItemChange.Unchanged], products.Items!.Select(i => i.Change));
        // Without a name the id still identifies the item.
        Assert.StartsWith("unknown ", products.Items![0].Name);
    }

    [Fact]
    public void A_field_added_in_the_newer_version_is_added_and_a_dropped_one_removed()
    {
        var left = ContentFixtures.Hero();
        left.Remove("ctaText");
        var right = ContentFixtures.Hero();
        right.Remove("subtitle");

        var fields = ContentDiff.Compare(SectionTypes.Hero, Doc(left), Doc(right));

        var cta = Field(fields, "ctaText");
        Assert.Equal((ChangeKind.Added, null, "Shop now"), (cta.Change, cta.LeftText, cta.RightText));
        Assert.Equal([new DiffSegment(SegmentKind.Inserted, "Shop now")], cta.Segments);
        var subtitle = Field(fields, "subtitle");
        Assert.Equal((ChangeKind.Removed, "Everything must go", null), (subtitle.Change, subtitle.LeftText, subtitle.RightText));
    }

    [Fact]
    public void Fields_the_schema_does_not_know_still_show_under_their_own_name()
    {
        var left = ContentFixtures.Hero();
        left["legacyBadge"] = "NEW";
        left["legacyStyle"] = new JsonObject { ["colour"] = "red" };
        var right = ContentFixtures.Hero();

        var fields = ContentDiff.Compare(SectionTypes.Hero, Doc(left), Doc(right));

        var badge = Field(fields, "legacyBadge");
        Assert.True(badge.IsExtra);
        Assert.Equal(("legacyBadge", ChangeKind.Removed, "NEW"), (badge.Label, badge.Change, badge.LeftText));
        Assert.Contains("\"colour\": \"red\"", Field(fields, "legacyStyle").LeftText);
    }

    [Fact]
    public void Numbers_compare_as_values()
    {
        var ids = new JsonArray(Guid.NewGuid().ToString());
        var left = new JsonObject { ["title"] = "Shop by category", ["columns"] = 3, ["categoryIds"] = ids.DeepClone() };
        var right = new JsonObject { ["title"] = "Shop by category", ["columns"] = 4, ["categoryIds"] = ids.DeepClone() };

        var fields = ContentDiff.Compare(SectionTypes.CategoryGrid, Doc(left), Doc(right));

        Assert.Equal((ChangeKind.Changed, "3", "4"), (Field(fields, "columns").Change, Field(fields, "columns").LeftText, Field(fields, "columns").RightText));
        Assert.Equal(ChangeKind.Unchanged, Field(fields, "categoryIds").Change);
    }
}
