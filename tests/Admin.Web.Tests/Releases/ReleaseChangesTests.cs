using Admin.Web.Components.Shared;
using Admin.Web.Features.Releases;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.Data.Session;
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

/// <summary>
/// The release page's prerender starts its read and hands the running read to the circuit: taken once, by the same
/// user, for the same release and filters; the read acts for the user after the request is over.
/// </summary>
public sealed class ReleasePrerenderTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private long _id;
    private readonly PrerenderHandoff _handoff = new();
    private static readonly ChangeFilter Filter = ReleaseState.FilterFrom(null, null, null, null);

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await _db.SeedReferenceAsync();
        var editor = _db.ReleaseService(ReleaseFixtures.Editor);
        _id = await editor.CreateAsync("Handed over", null);
        for (var i = 1; i <= 3; i++) await editor.SaveEntityAsync(_id, ReleaseFixtures.Translation($"handoff.{i}", $"text {i}"));
    }

    public async Task DisposeAsync()
    {
        _handoff.Dispose();
        await _db.DisposeAsync();
    }

    private ReleaseState State(ReleaseService service) => new(service, new ReferenceQueries(_db.Factory(ReleaseFixtures.Editor)), _handoff);

    /// <summary>A request's user, gone when the request is over (as IHttpContextAccessor's is).</summary>
    private sealed class RequestSession(SessionContext user) : ISessionContextSource
    {
        public SessionContext Current { get; set; } = user;
    }

    [Fact]
    public async Task The_circuit_of_the_same_user_takes_the_prerenders_read_once_and_it_was_read_as_that_user()
    {
        var request = new RequestSession(ReleaseFixtures.Editor);
        var prerender = State(new ReleaseService(new SessionDbContexts(_db.AppDataSource, request), request, _db.AppDataSource)).StartForCircuit(_id, Filter);
        request.Current = SessionContext.Anonymous; // the HTML went out: the request has no user any more
        Assert.True(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(prerender).Length < 500);

        var circuit = State(_db.ReleaseService(ReleaseFixtures.Editor));
        Assert.True(await circuit.TryTakeOverAsync(prerender, _id, Filter));
        Assert.Equal("Handed over", circuit.Release!.Name);
        // Counted by the release read's second statement, which runs after the request is over: as the editor still.
        Assert.Equal(3, circuit.Detail!.Changes);
        Assert.Equal(3, circuit.Changes.Items.Count);
        Assert.Empty(circuit.Locales); // not part of the handed-over read: the change editor asks for them
        Assert.NotEmpty(await circuit.LocalesAsync());
        Assert.False(await State(_db.ReleaseService(ReleaseFixtures.Editor)).TryTakeOverAsync(prerender, _id, Filter)); // taken already
    }

    [Fact]
    public async Task Another_user_release_or_filter_is_not_handed_the_read_and_then_reads_itself()
    {
        var editor = _db.ReleaseService(ReleaseFixtures.Editor);
        Assert.False(await State(_db.ReleaseService(ReleaseFixtures.Manager)).TryTakeOverAsync(State(editor).StartForCircuit(_id, Filter), _id, Filter));
        Assert.False(await State(editor).TryTakeOverAsync(State(editor).StartForCircuit(_id, Filter), _id + 1, Filter));
        Assert.False(await State(editor).TryTakeOverAsync(State(editor).StartForCircuit(_id, Filter), _id, Filter with { Page = 2 }));
        Assert.False(await State(editor).TryTakeOverAsync(null, _id, Filter));

        var itself = State(editor);
        await itself.LoadAsync(_id, Filter);
        Assert.Equal(3, itself.Changes.Items.Count);
    }

    [Fact]
    public async Task The_prerender_shows_a_read_that_finishes_within_its_wait_and_leaves_a_slower_one_to_the_circuit()
    {
        var editor = _db.ReleaseService(ReleaseFixtures.Editor);
        var waited = State(editor);
        waited.StartForCircuit(_id, Filter);
        await waited.ShowIfReadyAsync(TimeSpan.FromSeconds(30));
        Assert.True(waited.Loaded);
        Assert.Equal(3, waited.Changes.Items.Count);

        var hurried = State(editor);
        var prerender = hurried.StartForCircuit(_id, Filter);
        await hurried.ShowIfReadyAsync(TimeSpan.Zero); // the read needs round trips: not done at once
        Assert.False(hurried.Loaded);
        Assert.Null(hurried.Detail);
        Assert.True(await State(editor).TryTakeOverAsync(prerender, _id, Filter));
    }
}
