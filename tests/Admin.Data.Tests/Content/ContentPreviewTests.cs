using System.Data.Common;
using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Admin.Data.Tests.Content;

/// <summary>PreviewAsync: a locale's homepage as published (the delivery function) and with the current drafts.</summary>
public sealed class ContentPreviewTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;
    private ContentService Service => Db.ContentService();
    private IReadOnlyList<Guid> _products = [];
    private IReadOnlyList<Guid> _categories = [];

    public async Task InitializeAsync() => (_products, _categories) = await Db.SeedCatalogAsync(products: 6);
    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key() => "p-" + Guid.NewGuid().ToString("N")[..10];

    private Task<Guid> CreateAsync(string locale, string type, JsonObject content) =>
        Service.CreateAsync(new NewSection(locale, Key(), type, content));

    private static JsonObject Grid(IEnumerable<Guid> ids) => new()
    {
        ["title"] = "Shop by category", ["columns"] = 3,
        ["categoryIds"] = new JsonArray(ids.Select(id => (JsonNode)id.ToString()).ToArray()),
    };

    [Fact]
    public async Task Published_shows_live_versions_and_drafts_show_each_active_sections_newest_version_in_display_order()
    {
        const string locale = "es-ES";
        // hero: published v1, then a draft v2 on top
        var hero = await CreateAsync(locale, SectionTypes.Hero, ContentFixtures.Hero("Live title"));
        await Service.PublishAsync(hero, 1);
        await Service.SaveDraftAsync(hero, 1, ContentFixtures.Hero("Draft title"), "new title");
        // carousel: published as is
        var carousel = await CreateAsync(locale, SectionTypes.ProductCarousel, ContentFixtures.Carousel([_products[3], _products[1]]));
        await Service.PublishAsync(carousel, 1);
        // banner: never published
        var banner = await CreateAsync(locale, SectionTypes.Banner, new JsonObject { ["text"] = "Free delivery", ["tone"] = "promo" });
        // archived section: in neither view
        var archived = await CreateAsync(locale, SectionTypes.Hero, ContentFixtures.Hero("Old"));
        await Service.PublishAsync(archived, 1);
        await Service.ArchiveAsync(archived);

        var published = await Service.PreviewAsync(locale, includeDrafts: false);
        var drafts = await Service.PreviewAsync(locale, includeDrafts: true);

        Assert.Equal([hero, carousel], published.Select(s => s.Id));
        Assert.All(published, s => Assert.False(s.IsDraft));
        Assert.Equal("Live title", published[0].Text("title"));
        Assert.Equal(1, published[0].Version);
        Assert.Equal(["Product 3", "Product 1"], published[1].Products.Select(p => p.Name));
        Assert.Equal(13m, published[1].Products[0].Price);

        Assert.Equal([hero, carousel, banner], drafts.Select(s => s.Id));
        Assert.Equal(("Draft title", 2, 1, true), (drafts[0].Text("title"), drafts[0].Version, drafts[0].PublishedVersion, drafts[0].IsDraft));
        Assert.False(drafts[1].IsDraft);
        Assert.Equal((1, (int?)null, true), (drafts[2].Version, drafts[2].PublishedVersion, drafts[2].IsDraft));
        Assert.Equal("promo", drafts[2].Text("tone"));
        // The id lists are resolved, not passed on.
        Assert.False(drafts[1].Content.TryGetProperty("productIds", out _));
    }

    [Fact]
    public async Task Drafts_resolve_their_own_product_and_category_lists_in_order_without_inactive_items()
    {
        const string locale = "nl-NL";
        var carousel = await CreateAsync(locale, SectionTypes.ProductCarousel, ContentFixtures.Carousel([_products[0]]));
        await Service.PublishAsync(carousel, 1);
        await Service.SaveDraftAsync(carousel, 1, ContentFixtures.Carousel([_products[5], _products[2], _products[4]]), "new picks");
        var grid = await CreateAsync(locale, SectionTypes.CategoryGrid, Grid([_categories[2], _categories[0]]));
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = false WHERE id = '{_products[4]}'");

        var published = await Service.PreviewAsync(locale, includeDrafts: false);
        var drafts = await Service.PreviewAsync(locale, includeDrafts: true);

        Assert.Equal(["Product 0"], published.Single().Products.Select(p => p.Name));
        Assert.Equal(["Product 5", "Product 2"], drafts.Single(s => s.Id == carousel).Products.Select(p => p.Name));
        var categories = drafts.Single(s => s.Id == grid);
        Assert.Equal(["Category 2", "Category 0"], categories.Categories.Select(c => c.Name));
        Assert.Equal(3, categories.Number("columns"));
    }

    [Fact]
    public async Task The_draft_preview_is_one_statement_however_many_sections_link_products()
    {
        const string locale = "en-US";
        for (var i = 0; i < 12; i++)
            await CreateAsync(locale, SectionTypes.ProductCarousel, ContentFixtures.Carousel(_products.Skip(i % 3).Take(3)));
        var counter = new CommandCounter();
        var service = new ContentService(new CountingFactory(Db, counter), new FixedSessionContextSource(ContentFixtures.Editor));

        var drafts = await service.PreviewAsync(locale, includeDrafts: true);

        Assert.Equal(12, drafts.Count);
        Assert.All(drafts, s => Assert.Equal(3, s.Products.Count));
        Assert.Equal(1, counter.Count);
    }

    [Fact]
    public async Task A_locale_without_sections_or_an_unknown_one_previews_as_empty()
    {
        Assert.Empty(await Service.PreviewAsync("fr-FR", includeDrafts: false));
        Assert.Empty(await Service.PreviewAsync("xx-XX", includeDrafts: true));
    }

    [Fact]
    public async Task Linked_names_resolve_products_and_categories_and_mark_inactive_ones()
    {
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE categories SET is_active = false WHERE id = '{_categories[3]}'");

        var names = await Service.LinkedNamesAsync([_products[1], _categories[1], _categories[3], Guid.NewGuid()]);

        Assert.Equal(3, names.Count);
        Assert.Equal("Product 1", names[_products[1]]);
        Assert.Equal("Category 3 (inactive)", names[_categories[3]]);
    }

    /// <summary>Counts the statements EF Core sends (the session-context set/clear runs on the connection, not as EF commands).</summary>
    private sealed class CommandCounter : DbCommandInterceptor
    {
        public int Count;

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
            InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Count);
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }

    private sealed class CountingFactory(TestDatabase db, CommandCounter counter) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => new(new DbContextOptionsBuilder<AdminDbContext>()
            .UseNpgsql(db.AppConnectionString)
            .AddInterceptors(new SessionContextInterceptor(new FixedSessionContextSource(ContentFixtures.Editor)), counter)
            .Options);
    }
    [Fact]
    public async Task A_draft_is_previewed_with_its_active_items_in_its_order_and_its_html_sanitised_as_a_save_would()
    {
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = false WHERE id = '{_products[2]}'");
        var (products, categories) = await Service.PreviewItemsAsync([_products[4], _products[2], _products[0]], [_categories[1]]);
        Assert.Equal([_products[4], _products[0]], products.Select(p => p.Id));
        Assert.Equal([_categories[1]], categories.Select(c => c.Id));
        Assert.Equal(((IReadOnlyList<PreviewProduct>)[], (IReadOnlyList<PreviewCategory>)[]), await Service.PreviewItemsAsync([], []));

        var draft = new JsonObject
        {
            ["title"] = "Spring",
            ["html"] = "<p onclick=\"steal()\">Hello <script>alert(1)</script><a href=\"javascript:x()\">there</a></p>",
        };
        var section = PreviewSection.FromDraft(Guid.NewGuid(), "intro", SectionTypes.RichText, 3, 2, draft, [], []);
        Assert.Equal("Spring", section.Text("title"));
        Assert.Equal(HtmlSanitizer.Sanitize(draft["html"]!.GetValue<string>()), section.Text("html"));
        Assert.DoesNotContain("script", section.Text("html"));
        Assert.DoesNotContain("onclick", section.Text("html"));
        Assert.True(section.IsDraft);

        var carousel = PreviewSection.FromDraft(Guid.NewGuid(), "picks", SectionTypes.ProductCarousel, 1, null,
            ContentFixtures.Carousel([_products[4], _products[0]]), products, []);
        Assert.Null(carousel.Text("productIds"));
        Assert.Equal(2, carousel.Products.Count);
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = true WHERE id = '{_products[2]}'");
    }
}
