using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.TestSupport;

namespace Admin.Data.Tests.Content;

public sealed class ContentServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;
    private ContentService Service => Db.ContentService();
    private IReadOnlyList<Guid> _products = [];

    public async Task InitializeAsync() => _products = (await Db.SeedCatalogAsync()).Products;
    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key() => "s-" + Guid.NewGuid().ToString("N")[..10];

    private Task<Guid> CreateHeroAsync(string? key = null) =>
        Service.CreateAsync(new NewSection("en-GB", key ?? Key(), SectionTypes.Hero, ContentFixtures.Hero()));

    [Fact]
    public async Task Create_makes_version_one_as_a_draft_with_the_author()
    {
        var id = await CreateHeroAsync();

        var detail = (await Service.GetAsync(id))!;
        Assert.Equal(SectionStatuses.Draft, detail.Section.Status);
        Assert.Equal(1, detail.Latest.VersionNumber);
        Assert.Equal(1, detail.DraftNumber);
        Assert.Null(detail.PublishedNumber);
        Assert.Equal(ContentFixtures.Editor.Email, detail.Latest.CreatedByEmail);
    }

    [Fact]
    public async Task Save_on_the_newest_version_adds_the_next_number_and_a_stale_save_is_a_conflict_that_writes_nothing()
    {
        var id = await CreateHeroAsync();
        var mine = await Service.SaveDraftAsync(id, 1, ContentFixtures.Hero("Mine"), "my change");
        Assert.Equal(new SaveResult.Saved(2), mine);

        var stale = await Db.ContentService(ContentFixtures.OtherEditor).SaveDraftAsync(id, 1, ContentFixtures.Hero("Theirs"), "based on v1");

        var conflict = Assert.IsType<SaveResult.Conflict>(stale);
        Assert.Equal(2, conflict.Theirs.VersionNumber);
        Assert.Equal("Mine", conflict.Theirs.Content.RootElement.GetProperty("title").GetString());
        Assert.Equal(2, (await Service.GetAsync(id))!.Latest.VersionNumber);
    }

    [Fact]
    public async Task Concurrent_saves_on_the_same_base_produce_one_version_and_conflicts_never_a_duplicate_number()
    {
        var id = await CreateHeroAsync();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Task.Run(() => Db.ContentService().SaveDraftAsync(id, 1, ContentFixtures.Hero($"Edit {i}"), $"edit {i}"))));

        Assert.Single(results.OfType<SaveResult.Saved>());
        Assert.Equal(7, results.OfType<SaveResult.Conflict>().Count());
        var history = await Service.HistoryAsync(id);
        Assert.Equal([2, 1], history.Items.Select(v => v.Number));
    }

    [Fact]
    public async Task Sequential_saves_from_many_writers_number_strictly_increasing_without_gaps()
    {
        var id = await CreateHeroAsync();
        // Each writer retries on conflict with the newest number, as the editor's "save theirs plus mine" does.
        await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
        {
            var service = Db.ContentService();
            for (var attempt = 0; attempt < 50; attempt++)
            {
                var latest = (await service.GetAsync(id))!.Latest.VersionNumber;
                if (await service.SaveDraftAsync(id, latest, ContentFixtures.Hero($"Writer {i}"), $"writer {i}") is SaveResult.Saved) return;
            }
            throw new InvalidOperationException("never saved");
        })));

        var numbers = (await Service.HistoryAsync(id, pageSize: 100)).Items.Select(v => v.Number).ToList();
        Assert.Equal(Enumerable.Range(1, 7).Reverse(), numbers);
    }

    [Fact]
    public async Task Invalid_content_is_refused_field_by_field_and_nothing_is_saved()
    {
        var id = await CreateHeroAsync();
        var bad = new JsonObject { ["title"] = "", ["imageUrl"] = "javascript:alert(1)", ["colour"] = "red" };

        var result = Assert.IsType<SaveResult.Invalid>(await Service.SaveDraftAsync(id, 1, bad, "bad"));

        Assert.Contains(result.Errors, e => e.Field == "title" && e.Message.Contains("required"));
        Assert.Contains(result.Errors, e => e.Field == "imageUrl");
        Assert.Contains(result.Errors, e => e.Field == "colour" && e.Message.Contains("not a field"));
        Assert.Equal(1, (await Service.GetAsync(id))!.Latest.VersionNumber);
    }

    [Fact]
    public async Task Restore_copies_an_old_version_into_a_new_draft_and_keeps_history()
    {
        var id = await CreateHeroAsync();
        await Service.SaveDraftAsync(id, 1, ContentFixtures.Hero("Second"), "second");
        await Service.SaveDraftAsync(id, 2, ContentFixtures.Hero("Third"), "third");

        var restored = Assert.IsType<SaveResult.Saved>(await Service.RestoreAsync(id, 1, 3));

        Assert.Equal(4, restored.VersionNumber);
        var v4 = (await Service.GetVersionAsync(id, 4))!;
        Assert.Equal("Spring sale", v4.Content.RootElement.GetProperty("title").GetString());
        Assert.Equal(1, v4.RestoredFrom);
        Assert.Equal([4, 3, 2, 1], (await Service.HistoryAsync(id)).Items.Select(v => v.Number));
    }

    [Fact]
    public async Task Publish_makes_the_version_live_in_the_delivery_function_with_its_products_in_order()
    {
        var id = await Service.CreateAsync(new NewSection("de-DE", Key(), SectionTypes.ProductCarousel,
            ContentFixtures.Carousel([_products[2], _products[0]])));

        await Service.PublishAsync(id, 1);

        await using var app = await Db.OpenAppAsAdminAsync();
        var json = JsonNode.Parse(await app.ScalarAsync<string>("SELECT content_published_homepage('de-DE')::text"))!.AsArray();
        var section = json.Single(s => s!["id"]!.GetValue<string>() == id.ToString())!;
        Assert.Equal(1, section["version"]!.GetValue<int>());
        Assert.Equal([_products[2].ToString(), _products[0].ToString()], section["products"]!.AsArray().Select(p => p!["id"]!.GetValue<string>()));
        Assert.Null(section["content"]!["productIds"]);
        var detail = (await Service.GetAsync(id))!;
        Assert.Equal((SectionStatuses.Published, 1, (int?)null), (detail.Section.Status, detail.PublishedNumber!.Value, detail.DraftNumber));
    }

    [Fact]
    public async Task A_draft_after_publish_shows_both_numbers_and_unpublish_takes_it_off_the_storefront()
    {
        var id = await CreateHeroAsync();
        await Service.PublishAsync(id, 1);
        await Service.SaveDraftAsync(id, 1, ContentFixtures.Hero("Next"), "next");

        var row = (await Service.ListAsync("en-GB")).Single(r => r.Id == id);
        Assert.Equal((1, 2, 2), (row.PublishedNumber!.Value, row.DraftNumber!.Value, row.VersionCount));

        await Service.UnpublishAsync(id);
        await using var app = await Db.OpenAppAsAdminAsync();
        Assert.DoesNotContain(id.ToString(), await app.ScalarAsync<string>("SELECT content_published_homepage('en-GB')::text"));
    }

    [Fact]
    public async Task Reorder_sets_every_position_at_once_and_refuses_a_stale_list()
    {
        var locale = "nl-NL";
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
            ids.Add(await Service.CreateAsync(new NewSection(locale, Key(), SectionTypes.Hero, ContentFixtures.Hero())));
        var existing = (await Service.ListAsync(locale)).Select(r => r.Id).ToList();
        var reversed = existing.AsEnumerable().Reverse().ToList();

        await Service.ReorderAsync(locale, reversed);

        Assert.Equal(reversed, (await Service.ListAsync(locale)).Select(r => r.Id));
        var error = await Assert.ThrowsAsync<ContentException>(() => Service.ReorderAsync(locale, reversed.Skip(1).ToList()));
        Assert.Contains("Reload", error.Message);
    }

    [Fact]
    public async Task Duplicate_key_in_a_locale_is_refused_with_a_message_naming_the_key()
    {
        var key = Key();
        await CreateHeroAsync(key);
        var error = await Assert.ThrowsAsync<ContentException>(() => CreateHeroAsync(key));
        Assert.Equal("key", error.Field);
    }

    [Fact]
    public async Task Two_workers_fire_each_due_schedule_exactly_once()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 10; i++)
        {
            var id = await CreateHeroAsync();
            await Service.ScheduleAsync(id, 1, DateTimeOffset.UtcNow.AddSeconds(1), null);
            ids.Add(id);
        }
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("UPDATE section_schedules SET publish_at = now() - interval '1 second' WHERE status = 'pending'");

        var handled = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var worker = Db.ContentService(Admin.Data.Session.SessionRoles.SystemJob("scheduler"));
            var total = 0;
            int n;
            while ((n = await worker.RunDueSchedulesAsync(batchSize: 3)) > 0) total += n;
            return total;
        })));

        Assert.True(handled.Sum() >= 10);
        await using var app = await Db.OpenAppAsAdminAsync();
        var audits = await app.ScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = '{ContentAuditActions.SchedulePublished}' AND record_id = ANY(ARRAY[{string.Join(",", ids.Select(i => $"'{i}'"))}])");
        Assert.Equal(10L, audits);
        foreach (var id in ids)
            Assert.Equal(SectionStatuses.Published, (await Service.GetAsync(id))!.Section.Status);
    }

    [Fact]
    public async Task Expired_schedule_takes_its_version_off_the_storefront()
    {
        var id = await CreateHeroAsync();
        await Service.ScheduleAsync(id, 1, DateTimeOffset.UtcNow.AddSeconds(1), DateTimeOffset.UtcNow.AddSeconds(2));
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE section_schedules SET publish_at = now() - interval '2 minutes', expire_at = now() - interval '1 minute' WHERE section_id = '{id}'");

        while (await Service.RunDueSchedulesAsync() > 0) { }

        var detail = (await Service.GetAsync(id))!;
        Assert.Equal(SectionStatuses.Draft, detail.Section.Status);
        Assert.Empty(detail.Schedules);
    }
}
