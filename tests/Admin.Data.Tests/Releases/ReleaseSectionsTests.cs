using Admin.Data.Content;
using Admin.Data.Releases;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;
using static Admin.TestSupport.ReleaseFixtures;

namespace Admin.Data.Tests.Releases;

/// <summary>
/// Homepage sections in releases: a release carries section versions (and take-downs) beside its entities; the diff
/// compares them with what is published, the conflict check blocks stale, unreviewed, archived and dead-linked ones,
/// the deploy publishes them all or none, and a rollback puts back what it replaced where nobody published since.
/// </summary>
public sealed class ReleaseSectionsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly SessionContext Admin = new(Guid.Parse("00000000-0000-0000-0000-0000000000a1"), "admin@test.local", ["Admin"], [], [], "test");
    private TestDatabase Db => fixture.Database;
    private ReleaseService EditorService => Db.ReleaseService(Editor);
    private ReleaseService ManagerService => Db.ReleaseService(Manager);
    private ContentService Content => Db.ContentService();
    private IReadOnlyList<Guid> _products = [];

    public async Task InitializeAsync() => _products = (await Db.SeedCatalogAsync()).Products;

    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>A hero section published at version 1.</summary>
    private async Task<Guid> PublishedHeroAsync(string locale = "en-GB", string title = "Spring sale")
    {
        var id = await Content.CreateAsync(new NewSection(locale, Key("hero"), SectionTypes.Hero, ContentFixtures.Hero(title)));
        await Content.PublishAsync(id, 1);
        return id;
    }

    private async Task<long> ApproveAsync(long id)
    {
        await EditorService.SubmitAsync(id);
        await ManagerService.ApproveAsync(id);
        return id;
    }

    private async Task<T> OwnerScalarAsync<T>(string sql)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<T>(sql);
    }

    private async Task<(string Status, int? Published)> StateAsync(Guid section)
    {
        var detail = (await Content.GetAsync(section))!;
        return (detail.Section.Status, detail.PublishedNumber);
    }

    [Fact]
    public async Task A_release_publishes_its_sections_with_its_entities_at_deploy_and_puts_them_back_at_rollback()
    {
        var changed = await PublishedHeroAsync(title: "Spring sale");
        await Content.SaveDraftAsync(changed, 1, ContentFixtures.Hero("Summer sale"), "summer");
        var added = await Content.CreateAsync(new NewSection("en-GB", Key("carousel"), SectionTypes.ProductCarousel, ContentFixtures.Carousel(_products.Take(3))));
        var takenDown = await PublishedHeroAsync(title: "Winter");
        var untouched = await PublishedHeroAsync(title: "Autumn");

        var id = await EditorService.CreateAsync("Summer homepage", "");
        await EditorService.SaveEntityAsync(id, Translation(Key("home.title"), "Summer"));
        await EditorService.AddSectionAsync(id, changed, 2);
        await EditorService.AddSectionAsync(id, added, 1);
        await EditorService.AddSectionAsync(id, takenDown, null);
        await EditorService.AddSectionAsync(id, untouched, 1);
        Assert.Equal(5, (await EditorService.GetAsync(id))!.Changes);
        Assert.Equal([id], (await EditorService.SectionReleasesAsync(changed)).Select(r => r.ReleaseId));

        // The diff: modified with the changed path, added, removed; a version equal to the published one is no change.
        var diff = (await EditorService.DiffAsync(id)).Where(c => c.EntityType == EntityTypes.HomepageSection).ToDictionary(c => c.EntityId);
        Assert.Equal(3, diff.Count);
        Assert.Equal(ChangeKinds.Modified, diff[changed].Change);
        Assert.Equal(["$.title"], diff[changed].ChangedPaths);
        Assert.Contains("Spring sale", diff[changed].OldPayload);
        Assert.Contains("Summer sale", diff[changed].NewPayload);
        Assert.Equal(ChangeKinds.Added, diff[added].Change);
        Assert.Equal(ChangeKinds.Removed, diff[takenDown].Change);
        var page = await EditorService.ChangesAsync(id, null, new ChangeFilter(Type: EntityTypes.HomepageSection));
        Assert.Equal((4, 3), (page.Total, page.Matching));
        Assert.Contains(page.Items, c => c.EntityId == changed && c.NewPayload!.Contains("Summer sale") && c.OldPayload!.Contains("Spring sale"));

        await ApproveAsync(id);
        Assert.Empty((await ManagerService.ConflictsAsync(id)).Where(c => c.IsBlocking));
        // A release manager may not edit sections, yet the deploy publishes them (in its own transaction).
        await ManagerService.DeployAsync(id);

        Assert.Equal((SectionStatuses.Published, (int?)2), await StateAsync(changed));
        Assert.Equal((SectionStatuses.Published, (int?)1), await StateAsync(added));
        Assert.Equal((SectionStatuses.Draft, (int?)null), await StateAsync(takenDown));
        Assert.Equal(3L, await OwnerScalarAsync<long>($"SELECT count(*) FROM section_products WHERE section_id = '{added}'"));
        Assert.Equal(3L, await OwnerScalarAsync<long>($"""
            SELECT count(*) FROM audit_events WHERE action IN ('content.published', 'content.unpublished')
              AND (new_data ->> 'release')::bigint = {id} AND actor_email = 'manager@test.local'
            """));
        // Against the state just before it, the deployed release still shows what it changed.
        Assert.Equal(3, (await EditorService.DiffAsync(id)).Count(c => c.EntityType == EntityTypes.HomepageSection));

        // An editor publishes the changed section again directly: the rollback leaves it alone.
        await Content.PublishAsync(changed, 1);
        var preview = (await ManagerService.RollbackPreviewAsync(id)).Where(p => p.EntityType == EntityTypes.HomepageSection).ToDictionary(p => p.EntityId);
        Assert.Equal(["removed", "restored"], new[] { preview[added].Change, preview[takenDown].Change });
        Assert.False(preview.ContainsKey(changed));

        await ManagerService.RollbackAsync(id, "Wrong campaign");
        Assert.Equal((SectionStatuses.Published, (int?)1), await StateAsync(changed));
        Assert.Equal((SectionStatuses.Draft, (int?)null), await StateAsync(added));
        Assert.Equal((SectionStatuses.Published, (int?)1), await StateAsync(takenDown));
        Assert.Equal(0L, await OwnerScalarAsync<long>($"SELECT count(*) FROM section_products WHERE section_id = '{added}'"));
    }

    [Fact]
    public async Task The_conflict_check_blocks_a_stale_section_an_unreviewed_version_and_an_archived_section_and_warns_of_parallel_work()
    {
        var stale = await PublishedHeroAsync();
        await Content.SaveDraftAsync(stale, 1, ContentFixtures.Hero("In the release"), "v2");
        var id = await EditorService.CreateAsync("Stale", "");
        await EditorService.AddSectionAsync(id, stale, 2);
        var other = await EditorService.CreateAsync("Parallel", "");
        await EditorService.AddSectionAsync(other, stale, 2);

        var conflicts = await EditorService.ConflictsAsync(id);
        var parallel = Assert.Single(conflicts);
        Assert.Equal(("parallel_work", "warning", (long?)other), (parallel.Kind, parallel.Severity, parallel.OtherReleaseId));

        // Published directly after the change was written: blocking until the release is rebased.
        await Content.SaveDraftAsync(stale, 2, ContentFixtures.Hero("Published directly"), "v3");
        await Content.PublishAsync(stale, 3);
        var staleBase = Assert.Single((await EditorService.ConflictsAsync(id)).Where(c => c.IsBlocking));
        Assert.Equal("stale_base", staleBase.Kind);
        Assert.Contains("published at version 3", staleBase.Message);
        Assert.Contains("against version 1", staleBase.Message);
        // The diff compares with what is published now.
        Assert.Equal("Published directly", System.Text.Json.Nodes.JsonNode.Parse(
            Assert.Single(await EditorService.DiffAsync(id)).OldPayload!)!["title"]!.GetValue<string>());
        await EditorService.RebaseAsync(id);
        Assert.DoesNotContain(await EditorService.ConflictsAsync(id), c => c.IsBlocking);

        // Review on for the locale: an unapproved version blocks, and no override deploys it.
        var reviewed = await PublishedHeroAsync("fr-FR");
        await Content.SaveDraftAsync(reviewed, 1, ContentFixtures.Hero("Needs review"), "v2");
        await new ContentReviews(Db.Factory(Admin), new FixedSessionContextSource(Admin)).SetRequiredAsync("fr-FR", true);
        var gated = await EditorService.CreateAsync("Gated", "");
        await EditorService.AddSectionAsync(gated, reviewed, 2);
        Assert.Equal("review_required", Assert.Single((await EditorService.ConflictsAsync(gated)).Where(c => c.IsBlocking)).Kind);
        await ApproveAsync(gated);
        Assert.Contains("blocking conflict", (await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(gated))).Message);
        var refused = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(gated, "ship it anyway"));
        Assert.Contains("review is on for fr-FR", refused.Message);
        Assert.Contains("No override", refused.Message);
        Assert.Equal(ReleaseStatuses.Approved, (await ManagerService.GetAsync(gated))!.Release.Status);
        Assert.Equal((int?)1, (await StateAsync(reviewed)).Published);

        // Archived: blocking.
        var archived = await PublishedHeroAsync();
        var third = await EditorService.CreateAsync("Archived", "");
        await EditorService.AddSectionAsync(third, archived, 1);
        await Content.SaveDraftAsync(archived, 1, ContentFixtures.Hero("Later"), "v2");
        await EditorService.AddSectionAsync(third, archived, 2);
        await Content.ArchiveAsync(archived);
        Assert.Contains(await EditorService.ConflictsAsync(third), c => c.Kind == "section_archived" && c.IsBlocking);
    }

    [Fact]
    public async Task A_deploy_that_cannot_publish_one_section_publishes_none()
    {
        var first = await PublishedHeroAsync();
        await Content.SaveDraftAsync(first, 1, ContentFixtures.Hero("First, new"), "v2");
        var carousel = await Content.CreateAsync(new NewSection("en-GB", Key("carousel"), SectionTypes.ProductCarousel, ContentFixtures.Carousel(_products.Take(2))));
        var id = await EditorService.CreateAsync("All or nothing", "");
        await EditorService.AddSectionAsync(id, first, 2);
        await EditorService.AddSectionAsync(id, carousel, 1);
        await ApproveAsync(id);

        // A linked product is deactivated after approval.
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = false WHERE id = '{_products[0]}'");
        try
        {
            var refused = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(id, "override"));
            Assert.Contains("links to inactive products", refused.Message);
            Assert.Equal((int?)1, (await StateAsync(first)).Published);
            Assert.Equal(SectionStatuses.Draft, (await StateAsync(carousel)).Status);
            Assert.Equal(ReleaseStatuses.Approved, (await ManagerService.GetAsync(id))!.Release.Status);
        }
        finally
        {
            await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
            await owner.ExecuteAsync($"UPDATE products SET is_active = true WHERE id = '{_products[0]}'");
        }
        await ManagerService.DeployAsync(id);
        Assert.Equal((int?)2, (await StateAsync(first)).Published);
    }

    [Fact]
    public async Task Only_those_who_prepare_releases_add_sections_within_their_locales_and_only_to_a_draft()
    {
        var german = await PublishedHeroAsync("de-DE");
        var id = await EditorService.CreateAsync("Scopes", "");

        Assert.Contains("Editor, ReleaseManager or Admin", (await Assert.ThrowsAsync<ReleaseException>(() => Db.ReleaseService(Dba).AddSectionAsync(id, german, 1))).Message);
        var englishOnly = new SessionContext(Guid.NewGuid(), "en@test.local", ["Editor"], ContentFixtures.TestBrands, ["en-GB"], "test");
        var outside = await Assert.ThrowsAnyAsync<Exception>(() => Db.ReleaseService(englishOnly).AddSectionAsync(id, german, 1));
        Assert.Contains("42501", outside.ToString());
        Assert.Contains("no version 9", (await Assert.ThrowsAsync<ReleaseException>(() => EditorService.AddSectionAsync(id, german, 9))).Message);
        var unpublished = await Content.CreateAsync(new NewSection("en-GB", Key("new"), SectionTypes.Hero, ContentFixtures.Hero()));
        Assert.Contains("nothing to take down", (await Assert.ThrowsAsync<ReleaseException>(() => EditorService.AddSectionAsync(id, unpublished, null))).Message);

        // Plain SQL: another section's version is refused; the kept columns cannot be forged.
        await using (var connection = await Db.OpenAsync(TestPostgres.AppRole))
        {
            await connection.SetSessionAsync(Editor);
            var wrong = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync($"""
                INSERT INTO release_sections (release_id, section_id, version_id, locale, section_key, section_type)
                SELECT {id}, '{german}', v.id, '', '', '' FROM section_versions v WHERE v.section_id = '{unpublished}'
                """));
            Assert.Equal("release_sections_version_of_section", wrong.ConstraintName);
            await connection.ExecuteAsync($"""
                INSERT INTO release_sections (release_id, section_id, version_id, locale, section_key, section_type, base_version_id, applied_at)
                SELECT {id}, '{german}', v.id, 'en-GB', 'forged', 'banner', gen_random_uuid(), now() FROM section_versions v WHERE v.section_id = '{german}'
                """);
        }
        Assert.Equal("de-DE|hero|true|true", await OwnerScalarAsync<string>($"""
            SELECT rs.locale || '|' || rs.section_type || '|' || (rs.base_version_id = hs.published_version_id) || '|' || (rs.applied_at IS NULL)
            FROM release_sections rs JOIN homepage_sections hs ON hs.id = rs.section_id WHERE rs.release_id = {id}
            """));

        await EditorService.SubmitAsync(id);
        Assert.Contains("only a draft", (await Assert.ThrowsAsync<ReleaseException>(() => EditorService.AddSectionAsync(id, german, 1))).Message);
        await using (var connection = await Db.OpenAsync(TestPostgres.AppRole))
        {
            await connection.SetSessionAsync(Editor);
            var notDraft = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync($"DELETE FROM release_sections WHERE release_id = {id}"));
            Assert.Equal("release_sections_release_draft", notDraft.ConstraintName);
        }
        Assert.Equal(1L, await OwnerScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = 'release.section_added' AND new_data ->> 'release_id' = '{id}'"));
    }

    [Fact]
    public async Task Concurrent_adds_keep_one_change_and_a_deploy_racing_a_direct_publish_leaves_one_published_version()
    {
        var section = await PublishedHeroAsync();
        await Content.SaveDraftAsync(section, 1, ContentFixtures.Hero("Two"), "v2");
        await Content.SaveDraftAsync(section, 2, ContentFixtures.Hero("Three"), "v3");
        var id = await EditorService.CreateAsync("Race", "");

        // Ten saves of the same section into one draft at once: each succeeds, one change remains.
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Db.ReleaseService(i % 2 == 0 ? Editor : ContentFixtures.OtherEditor)
            .AddSectionAsync(id, section, 2 + i % 2)));
        Assert.Equal(1L, await OwnerScalarAsync<long>($"SELECT count(*) FROM release_sections WHERE release_id = {id}"));
        await EditorService.AddSectionAsync(id, section, 2);
        await ApproveAsync(id);

        // The deploy and an editor's publish of v3 at once: they queue on the section's lock. Either order is fine
        // (a deploy after the publish is refused: its base is stale); the section ends with exactly one live version.
        var deploy = ManagerService.DeployAsync(id);
        var publish = Content.PublishAsync(section, 3);
        var outcome = await Task.WhenAll(Outcome(deploy), Outcome(publish));
        Assert.Null(outcome[1]);
        Assert.True(outcome[0] is null || outcome[0]!.Contains("blocking conflict"), outcome[0]);
        Assert.Equal(1L, await OwnerScalarAsync<long>($"""
            SELECT count(*) FROM section_versions v JOIN homepage_sections s ON s.id = v.section_id
            WHERE v.section_id = '{section}' AND v.is_published AND v.id = s.published_version_id
            """));
        // The one live is the last one published, whoever published it (the audit trail's order).
        Assert.Equal((await StateAsync(section)).Published, await OwnerScalarAsync<int>($"""
            SELECT (new_data ->> 'version')::int FROM audit_events
            WHERE action = 'content.published' AND record_id = '{section}' ORDER BY id DESC LIMIT 1
            """));

        static async Task<string?> Outcome(Task work)
        {
            try { await work; return null; }
            catch (Exception e) when (e is ReleaseException or ContentException) { return e.Message; }
        }
    }
}
