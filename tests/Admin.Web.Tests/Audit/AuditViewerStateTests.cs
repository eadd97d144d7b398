using Admin.Data.Audit;
using Admin.Data.Live;
using Admin.Web.Features.Account;
using Admin.Web.Features.Audit;
using MudBlazor;

namespace Admin.Web.Tests.Audit;

/// <summary>The audit viewer's state without a page: the filter form to the address, and what a live event does.</summary>
public sealed class AuditViewerStateTests
{
    private static AuditViewerState State() => new(new AuditSearch(null!), TimeProvider.System);

    [Fact]
    public void The_form_applies_as_a_view_from_the_first_page_with_picked_dates_as_whole_utc_days()
    {
        var state = State();
        state.Form.Actor = "  editor@admin.local ";
        state.Form.Action = "release.";
        state.Form.Range = "24h";
        Assert.Equal(new AuditView(Range: "24h", Actor: "editor@admin.local", Action: "release."), state.Applied());

        state.Form.Dates = new DateRange(new DateTime(2026, 12, 1), new DateTime(2026, 12, 3));
        var dated = state.Applied();
        Assert.Null(dated.Range);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), dated.From);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero), dated.To);

        // And back: the view's dates fill the picker with the same days.
        var form = AuditFilterForm.From(dated);
        Assert.Equal((new DateTime(2026, 12, 1), new DateTime(2026, 12, 3)), (form.Dates!.Start, form.Dates.End));
        Assert.Equal("", AuditFilterForm.From(new AuditView()).Range);
    }

    [Fact]
    public void A_live_event_reloads_the_live_tail_is_counted_when_paused_and_ignored_on_another_tab_or_an_older_page()
    {
        var audit = new LiveEvent(Areas.Audit.Key, "1", "release.created");
        var denial = new LiveEvent(Areas.Audit.Key, "2", LiveReaders.DenialKind);

        var state = State();
        state.SetView(new AuditView());
        Assert.Equal(TailAction.Reload, state.OnEvent(audit));
        Assert.Equal(TailAction.Ignore, state.OnEvent(denial));

        state.SetView(new AuditView(Tab: AuditView.DenialsTab, Paused: true));
        Assert.Equal(TailAction.Count, state.OnEvent(denial));
        Assert.Equal(TailAction.Ignore, state.OnEvent(audit));
        Assert.Equal(1, state.Pending);

        state.SetView(new AuditView(Before: "1_1"));
        Assert.Equal(TailAction.Ignore, state.OnEvent(audit));
    }
}
