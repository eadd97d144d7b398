using System.Text.Json.Nodes;
using Admin.Data.Releases;
using Admin.TestSupport;
using static Admin.TestSupport.ReleaseFixtures;

namespace Admin.Data.Tests.Releases;

/// <summary>
/// The diff against live reads each change's recorded base (entity_version_bases) while nothing touching the entity
/// was deployed or rolled back since, and computes the entity afresh otherwise. A base is altered here as the owner
/// to see which of the two the diff used.
/// </summary>
public sealed class ReleaseDiffBasesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;
    private ReleaseService EditorService => Db.ReleaseService(Editor);
    private ReleaseService ManagerService => Db.ReleaseService(Manager);

    public Task InitializeAsync() => Db.SeedReferenceAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key() => "b" + Guid.NewGuid().ToString("N")[..10];

    private async Task<ReleaseChange> ChangeAsync(long release, Guid entity) => (await EditorService.DiffAsync(release)).Single(c => c.EntityId == entity);

    private async Task<long> VersionIdAsync(long release, Guid entity) => (await EditorService.GetVersionAsync(release, entity))!.Id;

    private async Task SetRecordedPathsAsync(long version, string paths)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"UPDATE entity_version_bases SET changed_paths = '{paths}' WHERE version_id = {version}");
    }

    [Fact]
    public async Task A_fresh_base_is_read_and_a_stale_one_is_computed_again_until_a_submit_records_it_anew()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Bases first " + key, Flag(key, true, 10));
        await ManagerService.DeployAsync(first);
        var flag = (await EditorService.DiffAsync(first)).Single().EntityId;

        var draft = await EditorService.CreateAsync("Bases draft " + key, "");
        await EditorService.SaveEntityAsync(draft, Flag(key, true, 50, flag));
        Assert.Equal(["$.rules.percentage"], (await ChangeAsync(draft, flag)).ChangedPaths);

        // The diff reads the recorded paths while the base is fresh.
        var version = await VersionIdAsync(draft, flag);
        await SetRecordedPathsAsync(version, "{$.recorded}");
        Assert.Equal(["$.recorded"], (await ChangeAsync(draft, flag)).ChangedPaths);

        // Another release changes the flag's live version: the base is stale, the diff compares with the new one.
        var other = await Db.ApprovedReleaseAsync("Bases other " + key, Flag(key, false, 20, flag));
        await ManagerService.DeployAsync(other, "test: the draft overlaps");
        var afterDeploy = await ChangeAsync(draft, flag);
        Assert.Equal(["$.enabled", "$.rules.percentage"], afterDeploy.ChangedPaths);
        Assert.Equal(other, afterDeploy.OldReleaseId);

        // Rolled back: live is the first release again, and the base (older than both) is still not trusted.
        await ManagerService.RollbackAsync(other, "test");
        var afterRollback = await ChangeAsync(draft, flag);
        Assert.Equal(["$.rules.percentage"], afterRollback.ChangedPaths);
        Assert.Equal(first, afterRollback.OldReleaseId);

        // Submitting re-reads every base: the altered paths are gone for good.
        await SetRecordedPathsAsync(version, "{$.recorded}");
        await EditorService.SubmitAsync(draft);
        Assert.Equal(["$.rules.percentage"], (await ChangeAsync(draft, flag)).ChangedPaths);
        await using var connection = await Db.OpenAppAsAdminAsync();
        Assert.Equal(await connection.ScalarAsync<long>($"SELECT id FROM entity_versions WHERE release_id = {first}"),
            await connection.ScalarAsync<long>($"SELECT base_version_id FROM entity_version_bases WHERE version_id = {version}"));
        Assert.Equal(await connection.ScalarAsync<long>("SELECT release_live_epoch()"),
            await connection.ScalarAsync<long>($"SELECT live_epoch FROM entity_version_bases WHERE version_id = {version}"));
    }

    [Fact]
    public async Task An_unrelated_deploy_leaves_a_base_fresh_and_editing_a_change_records_it_again()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Unrelated first " + key, Translation(key, "one"));
        await ManagerService.DeployAsync(first);
        var entity = (await EditorService.DiffAsync(first)).Single().EntityId;
        var draft = await EditorService.CreateAsync("Unrelated draft " + key, "");
        await EditorService.SaveEntityAsync(draft, Translation(key, "two", id: entity));
        var version = await VersionIdAsync(draft, entity);
        await SetRecordedPathsAsync(version, "{$.recorded}");

        var unrelated = await Db.ApprovedReleaseAsync("Unrelated " + key, Translation(Key(), "x"));
        await ManagerService.DeployAsync(unrelated);
        Assert.Equal(["$.recorded"], (await ChangeAsync(draft, entity)).ChangedPaths);

        await EditorService.SaveEntityAsync(draft, Translation(key, "three", id: entity));
        var change = await ChangeAsync(draft, entity);
        Assert.Equal(["$.value"], change.ChangedPaths);
        Assert.Equal("three", JsonNode.Parse(change.NewPayload!)!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_removal_is_diffed_from_its_recorded_base_and_a_discarded_change_takes_its_base_along()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Removal first " + key, Page("p-" + key, "Page"), Translation(key, "one"));
        await ManagerService.DeployAsync(first);
        var added = await EditorService.DiffAsync(first);
        var page = added.Single(c => c.EntityType == EntityTypes.Page).EntityId;
        var translation = added.Single(c => c.EntityType == EntityTypes.Translation).EntityId;

        var draft = await EditorService.CreateAsync("Removal draft " + key, "");
        await EditorService.DeleteEntityAsync(draft, page);
        var removed = await ChangeAsync(draft, page);
        Assert.Equal((ChangeKinds.Removed, first), (removed.Change, removed.OldReleaseId));

        // Pointing the recorded base at another deployed version shows the diff took the removal from the base.
        var other = await Db.ApprovedReleaseAsync("Removal other " + key, Translation(Key(), "x"));
        await ManagerService.DeployAsync(other);
        var version = await VersionIdAsync(draft, page);
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"""
                UPDATE entity_version_bases b
                SET base_version_id = v.id, base_release_id = v.release_id, base_deleted = v.is_deleted, base_name = v.entity_name, base_slug = v.slug
                FROM entity_versions v WHERE v.release_id = {other} AND b.version_id = {version}
                """);
        Assert.Equal(other, (await ChangeAsync(draft, page)).OldReleaseId);

        // A change discarded from the draft takes its base with it.
        await EditorService.SaveEntityAsync(draft, Translation(key, "two", id: translation));
        var discarded = await VersionIdAsync(draft, translation);
        await using var admin = await Db.OpenAppAsAdminAsync();
        Assert.Equal(1L, await admin.ScalarAsync<long>($"SELECT count(*) FROM entity_version_bases WHERE version_id = {discarded}"));
        await admin.ExecuteAsync($"DELETE FROM entity_versions WHERE id = {discarded}");
        Assert.Equal(0L, await admin.ScalarAsync<long>($"SELECT count(*) FROM entity_version_bases WHERE version_id = {discarded}"));
    }
    [Fact]
    public async Task A_base_without_its_live_versions_columns_is_computed_again_and_the_page_fetches_its_rows_payloads()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Columns first " + key, Translation(key, "one"));
        await ManagerService.DeployAsync(first);
        var entity = (await EditorService.DiffAsync(first)).Single().EntityId;
        var draft = await EditorService.CreateAsync("Columns draft " + key, "");
        await EditorService.SaveEntityAsync(draft, Translation(key, "two", id: entity));
        var version = await VersionIdAsync(draft, entity);

        // A base recorded before the live version's columns existed (or forged without them) is not trusted.
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($$"""
                UPDATE entity_version_bases SET changed_paths = '{$.recorded}', base_release_id = NULL, base_deleted = NULL, base_name = NULL, base_slug = NULL
                WHERE version_id = {{version}}
                """);
        var change = await ChangeAsync(draft, entity);
        Assert.Equal((ChangeKinds.Modified, first), (change.Change, change.OldReleaseId));
        Assert.Equal(["$.value"], change.ChangedPaths);

        // The page reads the diff without payloads and fetches its own rows' payloads by version id.
        var page = await EditorService.ChangesAsync(draft, null, new ChangeFilter(null, null, null, 1, 50));
        var row = Assert.Single(page.Items);
        Assert.Equal((change.OldPayload, change.NewPayload), (row.OldPayload, row.NewPayload));
        Assert.Contains("\"one\"", row.OldPayload);
        Assert.Contains("\"two\"", row.NewPayload);
    }

    [Fact]
    public async Task Editors_saving_into_one_draft_at_once_each_get_their_base()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Parallel first " + key, Enumerable.Range(0, 8).Select(i => Translation($"{key}-{i}", "live")).ToArray());
        await ManagerService.DeployAsync(first);
        var ids = (await EditorService.DiffAsync(first)).ToDictionary(c => c.EntityKey!, c => c.EntityId);
        var draft = await EditorService.CreateAsync("Parallel draft " + key, "");

        // Eight entities saved at once from eight connections, and one of them twice more at the same moment.
        using var start = new Barrier(10);
        var saves = Enumerable.Range(0, 8).Select(i => ($"{key}-{i}", $"draft {i}"))
            .Append(($"{key}-0", "draft 0 again")).Append(($"{key}-0", "draft 0 again"))
            .Select(s => Task.Run(async () =>
            {
                start.SignalAndWait();
                await Db.ReleaseService(Editor).SaveEntityAsync(draft, Translation(s.Item1, s.Item2, id: ids[s.Item1]));
            }));
        await Task.WhenAll(saves);

        var diff = await EditorService.DiffAsync(draft);
        Assert.Equal(8, diff.Count);
        Assert.All(diff, c => Assert.Equal((ChangeKinds.Modified, first), (c.Change, c.OldReleaseId)));
        Assert.All(diff, c => Assert.Equal(["$.value"], c.ChangedPaths));
        await using var admin = await Db.OpenAppAsAdminAsync();
        Assert.Equal(8L, await admin.ScalarAsync<long>($"SELECT count(*) FROM entity_version_bases WHERE release_id = {draft} AND base_version_id IS NOT NULL"));
    }
}
