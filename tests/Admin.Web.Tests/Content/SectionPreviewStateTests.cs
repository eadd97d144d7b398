using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Content;

namespace Admin.Web.Tests.Content;

/// <summary>The editor's live preview without a browser: each change shows at once, and only new links read the database.</summary>
public sealed class SectionPreviewStateTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private IReadOnlyList<Guid> _products = [];

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        (_products, _) = await _db.SeedCatalogAsync(products: 4);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Typing_shows_each_change_without_reading_and_a_new_product_is_read_once()
    {
        var state = new SectionPreviewState(_db.ContentService());
        var draft = new SectionDraft(SectionTypes.ProductCarousel, ContentFixtures.Carousel([_products[1]]));
        var id = Guid.NewGuid();

        Assert.True(await state.ShowAsync(draft, id, "picks", 2, 1));
        Assert.Equal(1, state.ItemReads);
        Assert.Equal([_products[1]], state.Section!.Products.Select(p => p.Id));

        foreach (var title in new[] { "B", "Be", "Bes", "Best" })
        {
            draft.SetText("title", title);
            Assert.True(await state.ShowAsync(draft, id, "picks", 2, 1));
            Assert.Equal(title, state.Section!.Text("title"));
        }
        Assert.False(await state.ShowAsync(draft, id, "picks", 2, 1)); // a render without a change
        Assert.Equal(1, state.ItemReads);

        draft.SetIds("productIds", [_products[3], _products[1]]);
        await state.ShowAsync(draft, id, "picks", 2, 1);
        Assert.Equal([_products[3], _products[1]], state.Section!.Products.Select(p => p.Id));
        Assert.Equal(2, state.ItemReads);
        Assert.True(state.Section.IsDraft);
    }

    [Fact]
    public async Task A_rich_text_draft_is_shown_sanitised()
    {
        var state = new SectionPreviewState(_db.ContentService());
        var draft = new SectionDraft(SectionTypes.RichText, new JsonObject { ["title"] = "About", ["html"] = "<p>Hi</p>" });
        draft.SetText("html", "<p>Hi <img src=x onerror=alert(1)><b>there</b></p>");

        await state.ShowAsync(draft, Guid.Empty, "about", 1, null);

        Assert.Equal("<p>Hi <b>there</b></p>", state.Section!.Text("html"));
        Assert.Equal(0, state.ItemReads);
    }
}
