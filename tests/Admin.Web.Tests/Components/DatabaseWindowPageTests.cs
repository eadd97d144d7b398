using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Index use over a window and tables compared across two windows (issue 16), from samples planted for the console
/// target long ago: the window, filter, comparison and order come from the address, and the headers write them back.
/// </summary>
public sealed class DatabaseWindowPageTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private static readonly DateTimeOffset T = new(2026, 9, 14, 8, 0, 0, TimeSpan.Zero);

    private async Task PlantAsync()
    {
        await using var connection = await Db.OpenAppAsAdminAsync();
        // Running totals as the sampler writes them, at 08:00, 09:00 and 10:00 (the windows below read them).
        await using var command = new NpgsqlCommand("""
            DELETE FROM monitoring_index_samples WHERE target = 'console' AND index_name LIKE 'bunit_iw%';
            DELETE FROM monitoring_table_samples WHERE target = 'console' AND table_name LIKE 'bunit_tc%';
            INSERT INTO monitoring_index_samples (target, schema_name, table_name, index_name, taken_at, idx_scan, idx_scan_total,
                                                  idx_tup_read, idx_tup_fetch, idx_tup_read_total, idx_tup_fetch_total)
            VALUES ('console', 'public', 'bunit_iw', 'bunit_iw_busy', @t, 10, 10, 100, 90, 100, 90),
                   ('console', 'public', 'bunit_iw', 'bunit_iw_busy', @t + interval '1 hour', 25, 25, 400, 300, 400, 300),
                   ('console', 'public', 'bunit_iw', 'bunit_iw_some', @t, 1, 1, 1, 1, 1, 1),
                   ('console', 'public', 'bunit_iw', 'bunit_iw_some', @t + interval '1 hour', 3, 3, 7, 7, 7, 7),
                   ('console', 'public', 'bunit_iw', 'bunit_iw_idle', @t, 5, 5, 50, 50, 50, 50),
                   ('console', 'public', 'bunit_iw', 'bunit_iw_idle', @t + interval '1 hour', 5, 5, 50, 50, 50, 50);
            INSERT INTO monitoring_table_samples (target, schema_name, table_name, taken_at, total_bytes, live_tuples, dead_tuples,
                                                  seq_scan, idx_scan, seq_scan_total, idx_scan_total,
                                                  n_tup_ins, n_tup_upd, n_tup_del, n_tup_ins_total, n_tup_upd_total, n_tup_del_total)
            SELECT 'console', 'public', name, @t + h * interval '1 hour', 8192 * (1 + ins), ins, 0, 0, 0, 0, 0, 0, 0, 0, ins, 0, 0
              FROM (VALUES ('bunit_tc_faster', 0, 0), ('bunit_tc_faster', 1, 10), ('bunit_tc_faster', 2, 50),
                           ('bunit_tc_slower', 0, 0), ('bunit_tc_slower', 1, 20), ('bunit_tc_slower', 2, 25)) v(name, h, ins);
            """, connection);
        command.Parameters.AddWithValue("t", T);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Index_use_over_a_window_from_the_address_flags_unused_indexes_and_sorts_by_its_figures()
    {
        await PlantAsync();
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/database/indexes?window=2026-09-14T08:30Z/2026-09-14T09:30Z&q=bunit_iw&sort=read&dir=desc");
        var page = Render<IndexesPage>();

        var grid = page.WaitForElement("[data-testid=index-window-grid]");
        Assert.Equal(["bunit_iw_busy", "bunit_iw_some", "bunit_iw_idle"], page.FindAll("[data-testid=index-name]").Select(e => e.TextContent));
        var busy = grid.QuerySelectorAll("tbody tr")[0];
        Assert.Equal(["15", "300", "210"], busy.QuerySelectorAll("[data-column=scans], [data-column=read], [data-column=fetched]").Select(e => e.TextContent));
        Assert.Equal(["bunit_iw_idle"], page.FindAll("[data-testid=index-unused-in-window]").Select(e => e.Closest("td")!.QuerySelector("[data-testid=index-name]")!.TextContent));
        Assert.Contains("not on the target now", busy.TextContent);

        // The headers and filters keep the window in the address.
        var scans = page.Find("a[data-sort=scans]");
        Assert.Contains("window=2026-09-14T08:30Z/2026-09-14T09:30Z", Uri.UnescapeDataString(scans.GetAttribute("href")!));
        Assert.Equal("desc", page.Find("a[data-sort=read]").GetAttribute("data-sort-dir"));
        var unused = page.Find("[data-testid=index-filter] [data-filter=unused]");
        Assert.Contains("window=", Uri.UnescapeDataString(unused.GetAttribute("href")!));

        navigation.NavigateTo("/database/indexes?window=2026-09-14T08:30Z/2026-09-14T09:30Z&q=bunit_iw&show=unused");
        page.WaitForAssertion(() => Assert.Equal(["bunit_iw_idle"], page.FindAll("[data-testid=index-name]").Select(e => e.TextContent)));

        // A window the address does not make sense of: a message and the figures since the reset, not an error.
        navigation.NavigateTo("/database/indexes?window=2026-09-14T09:30Z/2026-09-14T08:30Z");
        page.WaitForAssertion(() => Assert.Contains("is not understood", page.Find("[data-testid=window-problem]").TextContent));
        page.WaitForElement("[data-testid=index-grid]");
        Assert.Empty(page.FindAll("[data-testid=index-window-grid]"));
    }

    [Fact]
    public async Task Tables_compared_with_the_window_before_are_ordered_by_the_change_from_the_address()
    {
        await PlantAsync();
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/database/tables?window=2026-09-14T09:01Z/2026-09-14T10:01Z&compare=prev&change=ins");
        var page = Render<TablesPage>();

        var grid = page.WaitForElement("[data-testid=tables-compare-grid]");
        string[] Names() => page.Find("[data-testid=tables-compare-grid]").QuerySelectorAll("tbody tr [data-table]").Select(e => e.GetAttribute("data-table")!).ToArray();
        Assert.Equal(["public.bunit_tc_faster", "public.bunit_tc_slower"], Names());
        var inserts = grid.QuerySelectorAll("tbody tr")[0].QuerySelector("[data-figure=ins]")!;
        Assert.Equal("+30", inserts.QuerySelector("[data-testid=table-change]")!.TextContent);
        Assert.Equal("10 → 40", inserts.QuerySelector(".db-split")!.TextContent);
        Assert.Contains("2 tables", page.Find("[data-testid=tables-compare-summary]").TextContent);

        // The sorted header turns the order round and keeps window and comparison.
        var header = page.Find("a[data-sort=ins]");
        Assert.Equal("desc", header.GetAttribute("data-sort-dir"));
        var href = Uri.UnescapeDataString(header.GetAttribute("href")!);
        Assert.Contains("dir=asc", href);
        Assert.Contains("compare=prev", href);
        Assert.Contains("window=2026-09-14T09:01Z/2026-09-14T10:01Z", href);
        navigation.NavigateTo(href);
        page.WaitForAssertion(() => Assert.Equal(["public.bunit_tc_slower", "public.bunit_tc_faster"], Names()));

        navigation.NavigateTo("/database/tables?compare=prev");
        page.WaitForAssertion(() => Assert.Contains("A comparison needs a window", page.Find("[data-testid=window-problem]").TextContent));
    }
}
