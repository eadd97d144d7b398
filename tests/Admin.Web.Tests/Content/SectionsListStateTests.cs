using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Content;
using Admin.Web.Tests.Components;

namespace Admin.Web.Tests.Content;

/// <summary>
/// The sections list's state without its page: the address's filters (unknown values ignored, the user's first locale
/// scope by default), live events of the shown locale only, and reordering moved by buttons and drops then saved whole.
/// </summary>
public sealed class SectionsListStateTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Fact]
    public async Task The_address_filters_the_list_and_unknown_values_are_ignored()
    {
        var key = NewKey("find");
        await HeroAsync(key);
        var state = new SectionsListState(Db.ContentService());
        await state.StartAsync(["xx-XX", Locale]);

        await state.ApplyAddressAsync("zz-ZZ", "nonsense", "nonsense", "  " + key + " ");
        Assert.Equal(Locale, state.Locale);
        Assert.Null(state.Status);
        Assert.Null(state.Type);
        Assert.Equal(key, state.AppliedSearch);
        Assert.Equal([key], state.Rows.Select(r => r.Key));
        Assert.True(state.HasFilters);

        Assert.True(state.Concerns($"update:{Locale}"));
        Assert.False(state.Concerns("update:de-DE"));
    }

    [Fact]
    public async Task Reordering_moves_by_buttons_and_drops_notes_live_changes_and_saves_the_whole_order()
    {
        // A locale of its own, so the other tests' sections do not join the order.
        const string locale = "nl-NL";
        var content = Db.ContentService();
        var keys = new[] { NewKey("a"), NewKey("b"), NewKey("c") };
        foreach (var k in keys) await content.CreateAsync(new NewSection(locale, k, SectionTypes.Hero, ContentFixtures.Hero()));
        var state = new SectionsListState(content);
        await state.StartAsync([locale]);
        await state.ApplyAddressAsync(locale, null, null, null);
        Assert.Equal(keys, state.Rows.Select(r => r.Key));

        state.StartReorder();
        var (a, c) = (state.Order[0], state.Order[2]);
        Assert.False(state.Move(a, -1));
        Assert.True(state.Move(a, 1));
        state.Drop(c, 0);
        Assert.Equal([keys[2], keys[1], keys[0]], state.Order.Select(o => o.Key));
        Assert.True(state.OrderChanged);

        await state.OnChangedAsync(CancellationToken.None);
        Assert.True(state.ChangedWhileReordering);
        Assert.Equal(keys, state.Rows.Select(r => r.Key)); // not reloaded under the editor's hands

        await state.SaveOrderAsync();
        Assert.False(state.Reordering);
        Assert.Equal([keys[2], keys[1], keys[0]], state.Rows.Select(r => r.Key));
        Assert.Equal([keys[2], keys[1], keys[0]], (await content.ListAsync(locale)).Select(r => r.Key));
    }
}
