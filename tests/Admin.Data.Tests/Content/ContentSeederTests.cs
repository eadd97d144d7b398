using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.Data.Reference;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Content;

/// <summary>The demo content seed: complete, idempotent, and consistent the way ContentService keeps content.</summary>
public sealed class ContentSeederTests : IAsyncLifetime
{
    private TestDatabase _db = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        await ReferenceData.SeedAsync(owner);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    private async Task<ContentSeedResult> SeedAsync(ContentSeedShape shape)
    {
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        return await ContentSeeder.SeedAsync(owner, shape);
    }

    [Fact]
    public async Task Small_seed_gives_every_locale_the_showcase_and_a_second_run_adds_nothing()
    {
        var first = await SeedAsync(ContentSeedShape.Small);
        var second = await SeedAsync(ContentSeedShape.Small);

        Assert.Equal(new ContentSeedResult(40, 10, 5 * 8, 5 * 17, 5), first);
        Assert.Equal(new ContentSeedResult(0, 0, 0, 0, 0), second);
        await using var app = await _db.OpenAppAsAdminAsync();
        foreach (var locale in ContentSeeder.Locales)
        {
            var shape = await app.ScalarAsync<string>($"""
                SELECT string_agg(section_type || '/' || status || '/' || latest_version_number
                                  || CASE WHEN draft_version_id IS NOT NULL AND status = 'published' THEN '+draft' ELSE '' END, ' ' ORDER BY display_order)
                FROM homepage_sections WHERE locale = '{locale}'
                """);
            Assert.Equal("hero/published/2 banner/published/1 product_carousel/published/3 category_grid/published/2 " +
                         "rich_text/published/2+draft product_carousel/published/4 banner/draft/1 hero/archived/2", shape);
            Assert.Equal(1L, await app.ScalarAsync<long>($"""
                SELECT count(*) FROM section_schedules ss JOIN homepage_sections hs ON hs.id = ss.section_id
                WHERE hs.locale = '{locale}' AND ss.status = 'pending' AND ss.publish_at > now()
                """));
        }
        await AssertConsistentAsync();
    }

    [Fact]
    public async Task Seeded_sections_work_with_the_content_service_and_the_delivery_function()
    {
        await SeedAsync(ContentSeedShape.Small);
        var service = _db.ContentService();
        var list = await service.ListAsync("de-DE");
        var story = list.Single(s => s.Key == "brand-story");
        Assert.Equal((1, 2), (story.PublishedNumber!.Value, story.DraftNumber!.Value));
        Assert.NotNull(story.LastChangedBy);
        Assert.Single(list, s => s.HasSchedule);

        Assert.Equal(new SaveResult.Saved(3), await service.SaveDraftAsync(story.Id, 2,
            ContentJson.ToObject((await service.GetVersionAsync(story.Id, 2))!.Content), "Checked the seed"));
        await service.PublishAsync(story.Id, 3);

        await using var app = await _db.OpenAppAsAdminAsync();
        var homepage = JsonNode.Parse(await app.ScalarAsync<string>("SELECT content_published_homepage('de-DE')::text"))!.AsArray();
        Assert.Equal(["hero-main", "free-delivery", "bestsellers", "shop-by-category", "brand-story", "new-arrivals"],
            homepage.Select(s => s!["key"]!.GetValue<string>()));
        Assert.Equal(8, homepage.Single(s => s!["key"]!.GetValue<string>() == "bestsellers")!["products"]!.AsArray().Count);
        Assert.Equal("Die Herbst-Essentials sind da", homepage[0]!["content"]!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Large_shape_at_reduced_size_fills_every_locale_to_its_target_consistently()
    {
        var shape = new ContentSeedShape(SectionsPerLocale: 40, Versions: 2_000, Products: 60, Categories: 20);

        var first = await SeedAsync(shape);
        var again = await SeedAsync(shape);

        Assert.Equal((60, 20, 5 * 40), (first.Products, first.Categories, first.Sections));
        Assert.Equal(new ContentSeedResult(0, 0, 0, 0, 0), again);
        await using var app = await _db.OpenAppAsAdminAsync();
        Assert.Equal(2_000L, await app.ScalarAsync<long>("SELECT count(*) FROM section_versions"));
        Assert.Equal("40 40 40 40 40", await app.ScalarAsync<string>("SELECT string_agg(n::text, ' ') FROM (SELECT count(*) AS n FROM homepage_sections GROUP BY locale) x"));
        // Every status across every type (the storefront gets carousels and grids, not only heroes).
        Assert.Equal(15L, await app.ScalarAsync<long>("SELECT count(DISTINCT (section_type, status)) FROM homepage_sections WHERE section_key ~ '-[0-9]{3}$'"));
        // Generated sections: about the same number of versions each, at least two.
        Assert.True(await app.ScalarAsync<int>("SELECT min(latest_version_number) FROM homepage_sections WHERE section_key ~ '-[0-9]{3}$'") >= 2);
        Assert.True(await app.ScalarAsync<long>("SELECT count(*) FROM section_products") > 0);
        Assert.True(await app.ScalarAsync<long>("SELECT count(*) FROM section_categories") > 0);
        await AssertConsistentAsync();
    }

    /// <summary>Everything ContentService relies on, checked over every seeded section and version.</summary>
    private async Task AssertConsistentAsync()
    {
        await using var app = await _db.OpenAppAsAdminAsync();
        (string What, string Sql)[] violations =
        [
            ("version numbers 1..latest without gaps", """
                SELECT count(*) FROM homepage_sections hs
                JOIN LATERAL (SELECT count(*) AS n, min(version_number) AS lo, max(version_number) AS hi FROM section_versions WHERE section_id = hs.id) v ON true
                WHERE v.n <> hs.latest_version_number OR v.lo <> 1 OR v.hi <> hs.latest_version_number
                """),
            ("versions created in number order", """
                SELECT count(*) FROM (SELECT created_at < lag(created_at) OVER (PARTITION BY section_id ORDER BY version_number) AS backwards FROM section_versions) x
                WHERE backwards
                """),
            ("draft pointer is the latest version of the section", """
                SELECT count(*) FROM homepage_sections hs LEFT JOIN section_versions d ON d.id = hs.draft_version_id
                WHERE (hs.draft_version_id IS NOT NULL AND (d.section_id IS DISTINCT FROM hs.id OR d.version_number <> hs.latest_version_number))
                   OR (hs.status <> 'published' AND hs.draft_version_id IS NULL)
                """),
            ("published pointer, status and the one published marker agree", """
                SELECT count(*) FROM homepage_sections hs
                LEFT JOIN section_versions p ON p.id = hs.published_version_id
                JOIN LATERAL (SELECT count(*) FILTER (WHERE is_published) AS marked FROM section_versions WHERE section_id = hs.id) m ON true
                WHERE (hs.status = 'published') <> (hs.published_version_id IS NOT NULL)
                   OR (hs.published_version_id IS NOT NULL AND (p.section_id <> hs.id OR NOT p.is_published OR p.published_at IS NULL
                       OR m.marked <> 1 OR (hs.draft_version_id IS NULL) <> (p.version_number = hs.latest_version_number)))
                   OR (hs.published_version_id IS NULL AND m.marked <> 0)
                """),
            ("active unless archived", "SELECT count(*) FROM homepage_sections WHERE is_active = (status = 'archived')"),
            ("display orders dense per locale", """
                SELECT count(*) FROM (SELECT display_order, row_number() OVER (PARTITION BY locale ORDER BY display_order) - 1 AS expected FROM homepage_sections) x
                WHERE display_order <> expected
                """),
            ("links of published sections follow the published version, and only those", """
                SELECT count(*) FROM homepage_sections hs
                LEFT JOIN section_versions p ON p.id = hs.published_version_id
                WHERE coalesce((SELECT jsonb_agg(product_id::text ORDER BY display_order) FROM section_products WHERE section_id = hs.id), '[]')
                          <> CASE WHEN hs.status = 'published' THEN coalesce(p.content -> 'productIds', '[]') ELSE '[]' END
                   OR coalesce((SELECT jsonb_agg(category_id::text ORDER BY display_order) FROM section_categories WHERE section_id = hs.id), '[]')
                          <> CASE WHEN hs.status = 'published' THEN coalesce(p.content -> 'categoryIds', '[]') ELSE '[]' END
                """),
            ("schedules point at a version of their section", """
                SELECT count(*) FROM section_schedules ss JOIN section_versions v ON v.id = ss.version_id WHERE v.section_id <> ss.section_id
                """),
        ];
        foreach (var (what, sql) in violations)
            Assert.True(await app.ScalarAsync<long>(sql) == 0, $"violated: {what}");

        // Every version is content the editor could have saved: valid, and already in normalised form.
        await using var read = new NpgsqlCommand("SELECT hs.section_type, sv.content::text FROM section_versions sv JOIN homepage_sections hs ON hs.id = sv.section_id", app);
        await using var reader = await read.ExecuteReaderAsync();
        var checkedVersions = 0;
        while (await reader.ReadAsync())
        {
            var content = JsonNode.Parse(reader.GetString(1))!.AsObject();
            var (normalised, errors) = SectionSchemas.Validate(reader.GetString(0), content);
            Assert.True(errors.Count == 0, $"{reader.GetString(1)}: {string.Join("; ", errors.Select(e => e.Message))}");
            Assert.True(JsonNode.DeepEquals(normalised, content), $"not normalised: {reader.GetString(1)} vs {normalised.ToJsonString()}");
            checkedVersions++;
        }
        Assert.True(checkedVersions > 0);
    }
}
