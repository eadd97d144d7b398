using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data.Releases;
using Admin.TestSupport;
using Npgsql;
using static Admin.TestSupport.ReleaseFixtures;

namespace Admin.Data.Tests.Releases;

public sealed class ReleaseServiceTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;
    private ReleaseService EditorService => Db.ReleaseService(Editor);
    private ReleaseService ManagerService => Db.ReleaseService(Manager);

    public Task InitializeAsync() => Db.SeedReferenceAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static string Key() => "k" + Guid.NewGuid().ToString("N")[..10];

    private async Task<string?> LiveValueAsync(string key)
    {
        var page = await EditorService.LiveAsync(new LiveQuery(Type: EntityTypes.Translation, Key: key));
        var entity = page.Items.SingleOrDefault(e => e.EntityKey == key);
        return entity is null ? null : JsonNode.Parse(entity.Payload)!["value"]!.GetValue<string>();
    }

    // ------------------------------------------------------------------------------------------ constraints

    [Theory]
    [InlineData("translation", null, "en-GB", "key")]
    [InlineData("translation", "a.key", null, "locale")]
    [InlineData("feature_flag", null, null, "key")]
    [InlineData("setting", null, null, "key")]
    [InlineData("page", null, "en-GB", "slug")]
    [InlineData("translation", "bad key!", "en-GB", "key")]
    [InlineData("translation", "a.key", "xx-XX", "locale")]
    public async Task Required_and_invalid_fields_are_refused_with_a_message_naming_the_field(string type, string? key, string? locale, string field)
    {
        var id = await EditorService.CreateAsync("Constraints " + Key(), "");
        var draft = new EntityDraft(null, type, key, locale, null, null, null, null, new JsonObject { ["value"] = "x", ["title"] = "t", ["enabled"] = true });

        var refused = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(id, draft));

        Assert.Equal(field, refused.Field);
        Assert.DoesNotContain("violates", refused.Message);
        Assert.Equal(0, (await EditorService.GetAsync(id))!.Changes);
    }

    [Fact]
    public async Task Uniqueness_per_release_names_the_field_for_translations_flags_and_slugs()
    {
        var id = await EditorService.CreateAsync("Unique " + Key(), "");
        var key = Key();
        await EditorService.SaveEntityAsync(id, Translation(key, "one"));
        await EditorService.SaveEntityAsync(id, Translation(key, "in German", "de-DE"));
        var translation = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(id, Translation(key, "two")));
        Assert.Equal("key", translation.Field);
        Assert.Contains("translation with this key", translation.Message);

        await EditorService.SaveEntityAsync(id, Flag(key, true));
        var flag = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(id, Flag(key, false)));
        Assert.Equal("key", flag.Field);

        await EditorService.SaveEntityAsync(id, Page("about-" + key, "About"));
        var page = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(id, Page("about-" + key, "Other")));
        Assert.Equal("slug", page.Field);
        // Another brand may use the same slug.
        await EditorService.SaveEntityAsync(id, Page("about-" + key, "Globex about", brand: "globex"));
    }

    [Fact]
    public async Task A_release_needs_a_name_and_the_entity_name_is_derived_from_title_or_key()
    {
        var blank = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.CreateAsync("   ", ""));
        Assert.Equal("name", blank.Field);

        var id = await EditorService.CreateAsync("Names " + Key(), "");
        var key = Key();
        var translation = await EditorService.SaveEntityAsync(id, Translation(key, "x"));
        var page = await EditorService.SaveEntityAsync(id, Page("p-" + key, "Our story"));
        Assert.Equal(key, (await EditorService.GetVersionAsync(id, translation))!.EntityName);
        Assert.Equal("Our story", (await EditorService.GetVersionAsync(id, page))!.EntityName);
    }

    [Fact]
    public async Task An_entity_keeps_its_key_and_only_a_draft_takes_changes()
    {
        var key = Key();
        var release = await Db.ApprovedReleaseAsync("Fixed " + key, Translation(key, "v1"));
        var entity = (await EditorService.DiffAsync(release)).Single().EntityId;

        var later = await EditorService.CreateAsync("Rekey " + key, "");
        var rekey = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(later, Translation(Key(), "v2", id: entity)));
        Assert.Equal("key", rekey.Field);

        var approved = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SaveEntityAsync(release, Translation(Key(), "late")));
        Assert.Contains("only a draft", approved.Message);
    }

    // ------------------------------------------------------------------------------------------ workflow, roles, four eyes

    [Fact]
    public async Task Four_eyes_the_author_cannot_approve_in_the_service_nor_in_plain_sql()
    {
        var mine = Db.ReleaseService(Manager);
        var id = await mine.CreateAsync("Own " + Key(), "");
        await mine.SaveEntityAsync(id, Translation(Key(), "x"));
        await mine.SubmitAsync(id);

        var refused = await Assert.ThrowsAsync<ReleaseException>(() => mine.ApproveAsync(id));
        Assert.Contains("Four eyes", refused.Message);

        await using var sql = await Db.OpenAppAsAdminAsync();
        await sql.SetSessionAsync(Manager);
        var pg = await Assert.ThrowsAsync<PostgresException>(() => sql.ExecuteAsync($"UPDATE releases SET status = 'APPROVED' WHERE id = {id}"));
        Assert.Equal("releases_four_eyes", pg.ConstraintName);

        await Db.ReleaseService(OtherManager).ApproveAsync(id);
        var approved = (await mine.GetAsync(id))!.Release;
        Assert.Equal(ReleaseStatuses.Approved, approved.Status);
        Assert.Equal(OtherManager.Email, approved.ApproverEmail);
    }

    [Fact]
    public async Task Editors_prepare_and_submit_but_cannot_approve_deploy_roll_back_or_abandon_and_dba_cannot_even_create()
    {
        var id = await EditorService.CreateAsync("Roles " + Key(), "");
        await EditorService.SaveEntityAsync(id, Translation(Key(), "x"));
        await EditorService.SubmitAsync(id);

        foreach (var action in new Func<Task>[]
                 {
                     () => EditorService.ApproveAsync(id), () => EditorService.DeployAsync(id), () => EditorService.RollbackAsync(id, "r"),
                     () => EditorService.AbandonAsync(id),
                 })
            Assert.Contains("ReleaseManager", (await Assert.ThrowsAsync<ReleaseException>(action)).Message);

        await Assert.ThrowsAsync<ReleaseException>(() => Db.ReleaseService(Dba).CreateAsync("nope", ""));

        // The trigger refuses an editor's plain-SQL approval too.
        await using var sql = await Db.OpenAppAsAdminAsync();
        await sql.SetSessionAsync(OtherEditorContext);
        var pg = await Assert.ThrowsAsync<PostgresException>(() => sql.ExecuteAsync($"UPDATE releases SET status = 'APPROVED' WHERE id = {id}"));
        Assert.Equal("releases_role", pg.ConstraintName);
    }

    private static readonly Admin.Data.Session.SessionContext OtherEditorContext = ContentFixtures.OtherEditor;

    [Fact]
    public async Task Invalid_transitions_are_refused_with_the_current_status()
    {
        var id = await EditorService.CreateAsync("Transitions " + Key(), "");
        var empty = await Assert.ThrowsAsync<ReleaseException>(() => EditorService.SubmitAsync(id));
        Assert.Contains("no changes", empty.Message);
        var deploy = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(id));
        Assert.Contains("is draft", deploy.Message);
        var rollback = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.RollbackAsync(id, ""));
        Assert.Equal("reason", rollback.Field);
    }

    // ------------------------------------------------------------------------------------------ deploy, conflicts, rollback

    [Fact]
    public async Task Concurrent_deploys_from_two_connections_get_distinct_consecutive_deploy_seqs()
    {
        for (var round = 0; round < 5; round++)
        {
            var a = await Db.ApprovedReleaseAsync("Concurrent A " + round, Translation(Key(), "a"));
            var b = await Db.ApprovedReleaseAsync("Concurrent B " + round, Translation(Key(), "b"));
            using var start = new Barrier(2);
            await Task.WhenAll(
                Task.Run(async () => { start.SignalAndWait(); await Db.ReleaseService(Manager).DeployAsync(a); }),
                Task.Run(async () => { start.SignalAndWait(); await Db.ReleaseService(OtherManager).DeployAsync(b); }));

            var seqA = (await EditorService.GetAsync(a))!.Release.DeploySeq!.Value;
            var seqB = (await EditorService.GetAsync(b))!.Release.DeploySeq!.Value;
            Assert.NotEqual(seqA, seqB);
            Assert.Equal(1, Math.Abs(seqA - seqB));
        }
    }

    [Fact]
    public async Task Deploy_is_refused_with_blocking_conflicts_unless_overridden_with_a_reason_which_is_audited()
    {
        var key = Key();
        var started = await EditorService.CreateAsync("Stale " + key, "");
        await EditorService.SaveEntityAsync(started, Translation(key, "first"));
        var entity = (await EditorService.DiffAsync(started)).Single().EntityId;
        // Meanwhile another release with the same entity is deployed: the first one's base is now stale.
        var other = await Db.ApprovedReleaseAsync("Newer " + key, Translation(key, "newer", id: entity));
        var parallel = await EditorService.ConflictsAsync(started);
        Assert.Contains(parallel, c => c.Kind == "parallel_work" && c.OtherReleaseId == other && !c.IsBlocking);
        await ManagerService.DeployAsync(other);

        await EditorService.SubmitAsync(started);
        await Db.ReleaseService(OtherManager).ApproveAsync(started);
        var conflicts = await EditorService.ConflictsAsync(started);
        var stale = Assert.Single(conflicts, c => c.Kind == "stale_base");
        Assert.True(stale.IsBlocking);
        Assert.Equal(other, stale.OtherReleaseId);
        Assert.Contains("Deploying would undo that change", stale.Message);

        var refused = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(started));
        Assert.Contains("blocking conflict", refused.Message);
        Assert.Equal("newer", await LiveValueAsync(key));

        await ManagerService.DeployAsync(started, "Hotfix agreed with the content team");
        Assert.Equal("first", await LiveValueAsync(key));
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(1, await owner.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_events WHERE action = 'release.deployed_with_override' AND record_id = '{started}' AND new_data->>'override_reason' LIKE 'Hotfix%'"));
    }

    [Fact]
    public async Task A_deploy_after_the_live_state_changed_since_approval_checks_again_and_is_refused()
    {
        var key = Key();
        var first = await EditorService.CreateAsync("Approved early " + key, "");
        var entity = await EditorService.SaveEntityAsync(first, Translation(key, "first"));
        var second = await EditorService.CreateAsync("Deployed meanwhile " + key, "");
        await EditorService.SaveEntityAsync(second, Translation(key, "second", id: entity));
        await EditorService.SubmitAsync(first);
        await ManagerService.ApproveAsync(first); // clean at approval: the other release is not deployed yet
        await EditorService.SubmitAsync(second);
        await ManagerService.ApproveAsync(second);
        await ManagerService.DeployAsync(second);

        var refused = await Assert.ThrowsAsync<ReleaseException>(() => ManagerService.DeployAsync(first));
        Assert.Contains("blocking conflict", refused.Message);
        Assert.Equal("second", await LiveValueAsync(key));

        // The stored check result cannot be forged from plain SQL.
        await using var sql = await Db.OpenAppAsAdminAsync();
        await sql.SetSessionAsync(Manager);
        var pg = await Assert.ThrowsAsync<PostgresException>(() => sql.ExecuteAsync($"UPDATE releases SET checked_blocking = 0, checked_epoch = 999999 WHERE id = {first}"));
        Assert.Equal("releases_check_fixed", pg.ConstraintName);
    }

    // The check is driven by the smaller side: the releases deployed since the base (fewer changes than R) or R.
    [Theory]
    [InlineData(4, 1)]
    [InlineData(1, 4)]
    public async Task A_stale_base_names_the_latest_release_deployed_since_whichever_side_is_larger(int ownChanges, int laterChanges)
    {
        var key = Key();
        var keys = Enumerable.Range(0, 5).Select(i => $"{key}-{i}").ToArray();
        var first = await Db.ApprovedReleaseAsync("Stale first " + key, keys.Select(k => Translation(k, "first")).ToArray());
        await ManagerService.DeployAsync(first);
        var ids = (await EditorService.DiffAsync(first)).ToDictionary(c => c.EntityKey!, c => c.EntityId);

        var draft = await EditorService.CreateAsync("Stale draft " + key, "");
        foreach (var k in keys.Take(ownChanges)) await EditorService.SaveEntityAsync(draft, Translation(k, "draft", id: ids[k]));
        var older = await Db.ApprovedReleaseAsync("Stale older " + key, Translation(keys[0], "older", id: ids[keys[0]]));
        await ManagerService.DeployAsync(older, "test: overlaps the draft");
        var later = await Db.ApprovedReleaseAsync("Stale later " + key, keys.Take(laterChanges).Select(k => Translation(k, "later", id: ids[k])).ToArray());
        await ManagerService.DeployAsync(later, "test: overlaps the draft");

        var stale = (await EditorService.ConflictsAsync(draft)).Where(c => c.Kind == "stale_base").ToList();
        var expected = keys.Take(Math.Min(ownChanges, laterChanges)).Select(k => (ids[k], (long?)later)).Order();
        Assert.Equal(expected, stale.Select(c => (c.EntityId, c.OtherReleaseId)).Order());
        Assert.All(stale, c => Assert.True(c.IsBlocking && c.Message.Contains("deployed after this release was started"), c.Message));
    }

    [Fact]
    public async Task Collisions_with_live_and_with_open_releases_and_missing_fields_are_explained()
    {
        var key = Key();
        var live = await Db.ApprovedReleaseAsync("Live " + key, Translation(key, "live one"));
        await ManagerService.DeployAsync(live);

        var id = await EditorService.CreateAsync("Collide " + key, "");
        await EditorService.SaveEntityAsync(id, Translation(key, "a second entity with the same key"));
        await EditorService.SaveEntityAsync(id, new EntityDraft(null, EntityTypes.FeatureFlag, "flag-" + key, null, null, null, null, null, new JsonObject { ["rules"] = new JsonObject() }));
        var other = await EditorService.CreateAsync("Collide too " + key, "");
        await EditorService.SaveEntityAsync(other, Flag("flag-" + key, true));

        var conflicts = await EditorService.ConflictsAsync(id);
        Assert.Contains(conflicts, c => c.Kind == "collision_live" && c.IsBlocking && c.OtherReleaseId == live && c.Message.Contains($"key \"{key}\""));
        Assert.Contains(conflicts, c => c.Kind == "collision_open" && !c.IsBlocking && c.OtherReleaseId == other);
        Assert.Contains(conflicts, c => c.Kind == "missing_required" && c.IsBlocking && c.Message.Contains("enabled"));
    }

    [Fact]
    public async Task Diff_lists_added_modified_with_paths_and_removed_against_live_and_between_releases()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Diff base " + key, Translation(key, "hello"), Flag("f-" + key, true, 10), Page("gone-" + key, "Gone"));
        await ManagerService.DeployAsync(first);
        var baseDiff = await EditorService.DiffAsync(first);
        var flagId = baseDiff.Single(c => c.EntityType == EntityTypes.FeatureFlag).EntityId;
        var pageId = baseDiff.Single(c => c.EntityType == EntityTypes.Page).EntityId;
        Assert.All(baseDiff, c => Assert.Equal(ChangeKinds.Added, c.Change));

        var second = await EditorService.CreateAsync("Diff next " + key, "");
        await EditorService.SaveEntityAsync(second, Flag("f-" + key, true, 50, flagId));
        await EditorService.DeleteEntityAsync(second, pageId);
        await EditorService.SaveEntityAsync(second, Translation("new-" + key, "new"));

        var diff = await EditorService.DiffAsync(second);
        Assert.Equal(["$.rules.percentage"], diff.Single(c => c.EntityId == flagId).ChangedPaths);
        Assert.Equal(ChangeKinds.Removed, diff.Single(c => c.EntityId == pageId).Change);
        Assert.Equal(ChangeKinds.Added, diff.Single(c => c.EntityKey == "new-" + key).Change);
        Assert.Equal(3, diff.Count);

        var between = await EditorService.DiffAsync(second, first);
        Assert.Equal(diff.Select(c => (c.EntityId, c.Change)).Order(), between.Where(c => diff.Any(d => d.EntityId == c.EntityId)).Select(c => (c.EntityId, c.Change)).Order());
    }

    [Theory]
    [InlineData("""{"a": 1, "b": {"c": 2}}""", """{"b": {"c": 2}, "a": 1}""", "")]
    [InlineData("""{"beta": 1, "alpha": 2, "gamma": 3}""", """{"gamma": 3, "alpha": 5, "beta": 0}""", "$.alpha,$.beta")]
    [InlineData("""{"enabled": true, "rules": {"percentage": 5, "brands": ["a"]}}""", """{"enabled": true, "rules": {"percentage": 7, "brands": ["a", "b"]}}""", "$.rules.brands,$.rules.percentage")]
    [InlineData("""{"a": null}""", """{}""", "$.a")]
    [InlineData("""{"a": {"x": 1}}""", """{"a": [1]}""", "$.a")]
    [InlineData("""{"a": {}, "z": 1}""", """{"a": {"b": {"c": 1}}, "z": 2}""", "$.a.b,$.z")]
    [InlineData("""{"a": 1}""", """{"b": 1}""", "$.a,$.b")]
    [InlineData("""[1]""", """[2]""", "$")]
    public async Task Changed_paths_name_each_differing_value_in_key_order(string before, string after, string expected)
    {
        await using var connection = await Db.OpenAsync(TestPostgres.AppRole);
        await using var command = new NpgsqlCommand("SELECT array_to_string(jsonb_changed_paths($1::jsonb, $2::jsonb), ',')", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = before });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = after });

        Assert.Equal(expected, (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Rollback_previews_and_restores_the_previous_values_changing_only_status_and_deploy_seq()
    {
        var key = Key();
        var first = await Db.ApprovedReleaseAsync("Before " + key, Translation(key, "before"));
        await ManagerService.DeployAsync(first);
        var entity = (await EditorService.DiffAsync(first)).Single().EntityId;
        var second = await Db.ApprovedReleaseAsync("After " + key, Translation(key, "after", id: entity), Translation("extra-" + key, "extra"));
        await ManagerService.DeployAsync(second);
        Assert.Equal("after", await LiveValueAsync(key));

        var preview = await ManagerService.RollbackPreviewAsync(second);
        Assert.Equal("reverted", preview.Single(p => p.EntityId == entity).Change);
        Assert.Contains("before", preview.Single(p => p.EntityId == entity).RestoredPayload);
        Assert.Equal("removed", preview.Single(p => p.EntityId != entity).Change);

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        var versionsBefore = await owner.ScalarAsync<long>("SELECT count(*) FROM entity_versions");
        await ManagerService.RollbackAsync(second, "Wrong copy");

        Assert.Equal("before", await LiveValueAsync(key));
        Assert.Null(await LiveValueAsync("extra-" + key));
        var rolledBack = (await EditorService.GetAsync(second))!.Release;
        Assert.Equal(ReleaseStatuses.RolledBack, rolledBack.Status);
        Assert.Null(rolledBack.DeploySeq);
        Assert.Equal("Wrong copy", rolledBack.CloseReason);
        Assert.Equal(versionsBefore, await owner.ScalarAsync<long>("SELECT count(*) FROM entity_versions"));
    }

    // ------------------------------------------------------------------------------------------ audit

    [Fact]
    public async Task A_change_made_from_plain_sql_is_audited_with_old_and_new_data_and_the_session_actor()
    {
        var id = await EditorService.CreateAsync("Plain SQL " + Key(), "");
        await using var sql = await Db.OpenAppAsAdminAsync();
        await sql.SetSessionAsync(Editor);
        var versionId = await sql.ScalarAsync<long>($$"""
            INSERT INTO entity_versions (entity_id, entity_type, release_id, entity_key, payload)
            VALUES (gen_random_uuid(), 'setting', {{id}}, 'checkout.timeout', '{"value": 30}') RETURNING id
            """);
        await sql.ExecuteAsync($"UPDATE entity_versions SET payload = '{{\"value\": 45}}' WHERE id = {versionId}");

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        await using var read = new NpgsqlCommand($"""
            SELECT action, actor_email, old_data->'payload'->>'value', new_data->'payload'->>'value'
            FROM audit_events WHERE table_name = 'entity_versions' AND record_id = '{versionId}' ORDER BY id
            """, owner);
        var rows = new List<(string, string, string?, string?)>();
        await using (var reader = await read.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }
        Assert.Equal([("release.entity_added", Editor.Email!, null, "30"), ("release.entity_changed", Editor.Email!, "30", "45")], rows);
        Assert.Equal(1, await owner.ScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE action = 'release.created' AND record_id = '{id}'"));
    }
}
