using Admin.Web.Components.Shared;
using Admin.Web.Features.Releases;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.TestSupport;

namespace Admin.Web.Tests.Releases;

/// <summary>
/// One page of a release's changes (ReleaseService.ChangesAsync, what the release page reads): filtered, counted and
/// paged in the database, in the page's order (type, then as the diff sorts), the page clamped to the last one.
/// </summary>
public sealed class ReleaseChangesTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private ReleaseService _editor = default!;
    private long _id;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await _db.SeedReferenceAsync();
        _editor = _db.ReleaseService(ReleaseFixtures.Editor);
        _id = await _editor.CreateAsync("Paging", null);
        for (var i = 1; i <= 55; i++) await _editor.SaveEntityAsync(_id, ReleaseFixtures.Translation($"paging.key.{i:000}", $"Text {i}"));
        for (var i = 1; i <= 3; i++) await _editor.SaveEntityAsync(_id, ReleaseFixtures.Flag($"paging.flag.{i}", enabled: true));
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_page_has_fifty_changes_types_in_the_console_order_and_counts_of_all_and_of_the_matching()
    {
        var first = await _editor.ChangesAsync(_id, null, new ChangeFilter());

        Assert.Equal(50, first.Items.Count);
        Assert.All(first.Items, c => Assert.Equal(EntityTypes.Translation, c.EntityType));
        Assert.Equal((58, 58, 1, 2), (first.Total, first.Matching, first.Page, first.PageCount));
        Assert.Equal(58, first.Kinds[ChangeKinds.Added]);
        Assert.Equal(55, first.Types[EntityTypes.Translation]);
        Assert.Equal(3, first.MatchingTypes[EntityTypes.FeatureFlag]);
        Assert.Contains("Text 1", first.Items[0].NewPayload);

        var second = await _editor.ChangesAsync(_id, null, new ChangeFilter(Page: 2));
        Assert.Equal(8, second.Items.Count);
        Assert.Equal([.. Enumerable.Repeat(EntityTypes.Translation, 5), .. Enumerable.Repeat(EntityTypes.FeatureFlag, 3)], second.Items.Select(c => c.EntityType));
        Assert.Equal((51, 58), (second.First, second.Last));
        Assert.Empty(first.Items.Select(c => c.EntityId).Intersect(second.Items.Select(c => c.EntityId)));

        var beyond = await _editor.ChangesAsync(_id, null, new ChangeFilter(Page: 99));
        Assert.Equal(2, beyond.Page);
    }

    [Fact]
    public async Task Search_type_and_change_filter_in_the_database_and_the_totals_stay_those_of_the_release()
    {
        var one = await _editor.ChangesAsync(_id, null, new ChangeFilter(Search: "KEY.007"));
        Assert.Equal("paging.key.007", Assert.Single(one.Items).EntityKey);
        Assert.Equal((58, 1), (one.Total, one.Matching));
        Assert.Equal(1, one.MatchingTypes[EntityTypes.Translation]);
        Assert.False(one.MatchingTypes.ContainsKey(EntityTypes.FeatureFlag));

        var flags = await _editor.ChangesAsync(_id, null, new ChangeFilter(Type: EntityTypes.FeatureFlag));
        Assert.Equal(3, flags.Items.Count);

        var none = await _editor.ChangesAsync(_id, null, new ChangeFilter(Change: ChangeKinds.Removed));
        Assert.Empty(none.Items);
        Assert.Equal((58, 0, 1), (none.Total, none.Matching, none.Page));

        var bogus = await _editor.ChangesAsync(_id, null, new ChangeFilter(Type: "bogus"));
        Assert.Equal(0, bogus.Matching);
    }

    [Fact]
    public async Task A_release_that_does_not_exist_has_no_changes()
    {
        var page = await _editor.ChangesAsync(long.MaxValue, null, new ChangeFilter());
        Assert.Equal((0, 0, 1), (page.Total, page.Matching, page.Page));
        Assert.Empty(page.Items);
    }
}

/// <summary>What the release page hands from the prerender to the circuit, within the budget of the circuit's first message.</summary>
public sealed class ReleaseSnapshotTests : IAsyncLifetime
{
    private TestDatabase _db = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await _db.SeedReferenceAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_snapshot_within_the_budget_travels_whole_a_larger_one_is_handed_over_once_in_memory_to_the_same_user()
    {
        var editor = _db.ReleaseService(ReleaseFixtures.Editor);
        var id = await editor.CreateAsync("Snapshot", null);
        for (var i = 1; i <= 3; i++) await editor.SaveEntityAsync(id, ReleaseFixtures.Translation($"snap.{i}", new string('x', 400)));
        using var handoff = new PrerenderHandoff();
        ReleaseState State(ReleaseService service) => new(service, new ReferenceQueries(_db.Factory(ReleaseFixtures.Editor)), handoff);
        var state = State(editor);
        var filter = ReleaseState.FilterFrom(null, null, null, null);
        await state.LoadAsync(id, filter);

        var whole = state.ToSnapshot();
        Assert.Null(whole.Handoff);
        Assert.NotNull(whole.Detail);
        Assert.Equal(3, whole.Changes!.Items.Count);

        // Over the budget only a key travels; the circuit of the same user takes the whole state once.
        var keyed = state.ToSnapshot(budget: 2_000);
        Assert.NotNull(keyed.Handoff);
        Assert.Null(keyed.Detail);
        Assert.Null(keyed.Changes);
        Assert.True(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(keyed).Length < 2_000);
        var restored = State(editor);
        Assert.True(restored.TryRestore(keyed, id, filter));
        Assert.Equal("Snapshot", restored.Release!.Name);
        Assert.Equal(3, restored.Changes.Items.Count);
        Assert.False(State(editor).TryRestore(keyed, id, filter)); // taken already

        // Another user's circuit does not get it (and then loads on its own).
        var other = State(_db.ReleaseService(ReleaseFixtures.Manager));
        Assert.False(other.TryRestore(state.ToSnapshot(budget: 2_000), id, filter));

        Assert.False(State(editor).TryRestore(whole, id + 1, filter));
        Assert.False(State(editor).TryRestore(whole, id, filter with { Page = 2 }));
    }
}
