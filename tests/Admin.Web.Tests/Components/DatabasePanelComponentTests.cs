using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The Database area's components on MudBlazor against a real database: EXPLAIN ANALYZE offered to DBAs only, after a
/// confirmation, with the buttons disabled while a statement runs; the activity list's rows carry their pid and a
/// session is terminated only after the confirmation, with a "done" message; the slow-query list's reset likewise; the
/// index list's order and filter come from the address; two windows of the sampled history compared from the address,
/// which the change headers and the custom range write back.
/// </summary>
public sealed class DatabasePanelComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private IRenderedComponent<ExplainPanel> RenderExplain() =>
        Render<ExplainPanel>(p => p.Add(c => c.Target, MonitoringTarget.ConsoleTargetName));

    [Theory]
    [InlineData(AppRoles.Dba, true)]
    [InlineData(AppRoles.Admin, false)]
    public void Explain_analyze_is_offered_to_a_dba_only(string role, bool offered)
    {
        SignIn(role);

        var panel = RenderExplain();

        Assert.True(HasButton(panel, "Explain"));
        Assert.Equal(offered, HasButton(panel, "Explain analyze…"));
        Assert.Equal(offered, panel.Markup.Contains("ANALYZE executes the statement"));
    }

    [Fact]
    public async Task Explain_shows_the_estimated_plan_of_a_pasted_statement()
    {
        SignIn(AppRoles.Admin);
        var panel = RenderExplain();
        Field(panel, "Statement to explain").Input("SELECT action, count(*) FROM audit_events GROUP BY action");

        await Button(panel, "Explain").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("estimates only", panel.Find("[data-testid=explain-facts]").TextContent));
        Assert.Contains("audit_events", panel.Find("[data-testid=explain-plan]").TextContent);
    }

    [Fact]
    public async Task Cancelling_the_analyze_confirmation_runs_and_audits_nothing()
    {
        SignIn(AppRoles.Dba);
        var providers = RenderMudProviders();
        var panel = RenderExplain();
        Field(panel, "Statement to explain").Input("SELECT count(*) FROM audit_events");

        var click = Button(panel, "Explain analyze…").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("Run the statement?", providers.Markup));
        Assert.Contains("records it in the audit trail", TextOf(providers.Find(DialogRole)));
        Button(providers, "Cancel").Click();
        await click;

        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll(DialogRole)));
        Assert.Empty(panel.FindAll("[data-testid=explain-facts]"));
        Assert.Equal(0, await AuditCountAsync("database.explain_analyzed"));
    }

    [Fact]
    public async Task While_a_confirmed_analyze_runs_both_buttons_are_disabled_and_the_run_is_audited()
    {
        SignIn(AppRoles.Dba);
        var providers = RenderMudProviders();
        var panel = RenderExplain();
        Field(panel, "Statement to explain").Input("SELECT pg_sleep(0.8)");
        Assert.Null(Button(panel, "Explain").GetAttribute("disabled"));

        var click = Button(panel, "Explain analyze…").ClickAsync(new());
        providers.WaitForAssertion(() => Button(providers, "Run EXPLAIN ANALYZE"));
        Button(providers, "Run EXPLAIN ANALYZE").Click();

        panel.WaitForAssertion(() =>
        {
            Assert.NotNull(Button(panel, "Explain").GetAttribute("disabled"));
            Assert.NotNull(Button(panel, "Explain analyze…").GetAttribute("disabled"));
        });
        await click.WaitAsync(TimeSpan.FromSeconds(20));
        panel.WaitForAssertion(() => Assert.Contains("execution", panel.Find("[data-testid=explain-facts]").TextContent));
        Assert.Null(Button(panel, "Explain").GetAttribute("disabled"));
        Assert.Null(Button(panel, "Explain analyze…").GetAttribute("disabled"));
        Assert.Equal(1, await AuditCountAsync("database.explain_analyzed"));
    }

    [Fact]
    public async Task An_activity_row_carries_its_pid_and_a_session_is_terminated_only_after_confirming()
    {
        SignIn(AppRoles.Dba);
        await using var sleeper = await TestSession.OpenAsync(Db.Name, "bunit-sleeper");
        var sleeping = sleeper.Start("SELECT pg_sleep(30) /* bunit sleeper */");
        var providers = RenderMudProviders();
        var page = Render<ActivityPage>();

        page.WaitForAssertion(() => Assert.Contains("pg_sleep(30)", RowOf(page, sleeper.Pid).TextContent), TimeSpan.FromSeconds(15));
        Assert.Contains("bunit-sleeper", RowOf(page, sleeper.Pid).TextContent);

        // Keeping it signals nothing.
        var keep = Button(page, $"Terminate session {sleeper.Pid}").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains($"Terminate session {sleeper.Pid}?", providers.Markup));
        Assert.Contains("SELECT pg_sleep(30)", TextOf(providers.Find(DialogRole)));
        Button(providers, "Cancel").Click();
        await keep;
        Assert.Equal(0, await AuditCountAsync("database.backend_terminated"));

        var terminate = Button(page, $"Terminate session {sleeper.Pid}").ClickAsync(new());
        providers.WaitForAssertion(() => Button(providers, "Terminate"));
        Button(providers, "Terminate").Click();
        await terminate.WaitAsync(TimeSpan.FromSeconds(15));

        providers.WaitForAssertion(() => Assert.Contains($"Session {sleeper.Pid}", providers.Markup));
        Assert.NotNull(await sleeping.WaitAsync(TimeSpan.FromSeconds(10)));
        page.WaitForAssertion(() => Assert.Empty(page.FindAll($"[data-testid=session-pid][data-pid='{sleeper.Pid}']")));
        Assert.Equal(1, await AuditCountAsync("database.backend_terminated"));
    }

    private static AngleSharp.Dom.IElement RowOf(IRenderedComponent<ActivityPage> page, int pid) =>
        page.Find($"[data-testid=session-pid][data-pid='{pid}']").Closest("tr")!;

    [Fact]
    public void An_admin_sees_no_cancel_or_terminate_buttons_on_the_activity_page()
    {
        SignIn(AppRoles.Admin);
        RenderMudProviders();
        var page = Render<ActivityPage>();

        page.WaitForElement("[data-testid=activity-tiles]");
        Assert.Empty(page.FindAll("[data-testid=terminate-backend]"));
        Assert.Contains("for the DBA role only", page.Markup);
    }

    [Fact]
    public async Task The_slow_query_statistics_are_reset_only_after_confirming_and_say_so()
    {
        SignIn(AppRoles.Dba);
        var providers = RenderMudProviders();
        var page = Render<SlowQueriesPage>();
        page.WaitForElement("[data-testid=query-summary]");

        var keep = Button(page, "Reset statistics…").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("recorded in the audit trail", providers.Markup));
        Button(providers, "Cancel").Click();
        await keep;
        Assert.Equal(0, await AuditCountAsync("database.statistics_reset"));

        var reset = Button(page, "Reset statistics…").ClickAsync(new());
        providers.WaitForAssertion(() => Button(providers, "Reset statistics"));
        Button(providers, "Reset statistics").Click();
        await reset.WaitAsync(TimeSpan.FromSeconds(15));

        providers.WaitForAssertion(() => Assert.Contains("Query statistics of console were reset", providers.Markup));
        Assert.Equal(1, await AuditCountAsync("database.statistics_reset"));
    }

    [Fact]
    public void The_index_list_is_filtered_and_sorted_as_the_address_says_and_its_headers_turn_the_order_round()
    {
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/database/indexes?q=audit_events&sort=size&dir=desc");
        var page = Render<IndexesPage>();

        var names = page.WaitForElements("[data-testid=index-name]");
        Assert.NotEmpty(names);
        Assert.Contains("audit_events", page.Find("[data-testid=index-grid]").TextContent);
        var size = page.Find("a[data-sort=size]");
        Assert.Equal("desc", size.GetAttribute("data-sort-dir"));
        Assert.DoesNotContain("dir=desc", size.GetAttribute("href"));
        Assert.Equal("audit_events", Field(page, "Filter indexes").GetAttribute("value"));
        Assert.Equal("true", page.Find("[data-testid=index-filter] [data-filter=all]").GetAttribute("aria-current"));
    }

    /// <summary>Two statements of the console target in two planted hours long ago: one slower in the second, one only in the first, one only in the second.</summary>
    private async Task PlantTwoHoursAsync(DateTimeOffset t)
    {
        await using var connection = await Db.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand("""
            DELETE FROM monitoring_statement_deltas WHERE target = 'console' AND queryid BETWEEN 9160000001 AND 9160000003;
            -- Deltas written into the past (the sampler never does): read them all from the deltas, not the rollups.
            DELETE FROM monitoring_rollup_marks WHERE target = 'console';
            INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
            VALUES ('console', 9160000001, 'SELECT bunit_window_slower', 0, 0, 0, 0, 0, @t, @t),
                   ('console', 9160000002, 'SELECT bunit_window_gone', 0, 0, 0, 0, 0, @t, @t),
                   ('console', 9160000003, 'SELECT bunit_window_new', 0, 0, 0, 0, 0, @t, @t)
            ON CONFLICT DO NOTHING;
            INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read) VALUES
                ('console', 9160000001, @t + interval '10 minutes', 10, 100, 10, 0, 0), ('console', 9160000001, @t + interval '70 minutes', 10, 400, 10, 0, 0),
                ('console', 9160000002, @t + interval '20 minutes', 3, 30, 3, 0, 0), ('console', 9160000003, @t + interval '80 minutes', 4, 8, 4, 0, 0);
            """, connection);
        command.Parameters.AddWithValue("t", t);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Two_windows_from_the_address_are_compared_and_the_headers_and_custom_range_write_the_address_back()
    {
        var t = new DateTimeOffset(2026, 10, 1, 2, 0, 0, TimeSpan.Zero);
        await PlantTwoHoursAsync(t);
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/database/queries?window=2026-10-01T03:00Z/2026-10-01T04:00Z&compare=prev&change=meanpct&q=bunit_window");
        var page = Render<SlowQueriesPage>();

        var grid = page.WaitForElement("[data-testid=compare-grid]");
        var rows = grid.QuerySelectorAll("tbody tr").Select(r => TextOf(r)).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Contains("bunit_window_slower", rows[0]); // +300 % first; new and gone have no %
        Assert.Contains("+300 %", rows[0]);
        Assert.Equal(["gone", "new"], page.FindAll("[data-testid=change-kind]").Select(e => TextOf(e)).Order());
        Assert.Contains("1 new, 1 gone", TextOf(page.Find("[data-testid=compare-summary]")));
        Assert.Equal("false", page.Find("[data-testid=window-custom]").GetAttribute("aria-expanded"));

        // The sorted header turns the order round; the address keeps window, comparison and search.
        var mean = page.Find("a[data-sort=meanpct]");
        Assert.Equal("desc", mean.GetAttribute("data-sort-dir"));
        Assert.Contains("dir=asc", mean.GetAttribute("href"));
        Assert.Contains("compare=prev", mean.GetAttribute("href"));
        Assert.Contains("window=2026-10-01T03", Uri.UnescapeDataString(mean.GetAttribute("href")!));

        // A custom range typed in the browser's zone (Berlin here: UTC+2 in October) is written to the address as UTC from/to.
        await Button(page, "Custom…").ClickAsync(new());
        page.WaitForAssertion(() => Field(page, "From (Europe/Berlin)"));
        Field(page, "From (Europe/Berlin)").Change("2026-10-01T04:00");
        Field(page, "To (Europe/Berlin)").Change("2026-10-01T05:00");
        await Button(page, "Show this window").ClickAsync(new());
        Assert.Contains("window=2026-10-01T02:00Z/2026-10-01T03:00Z", Uri.UnescapeDataString(navigation.Uri));
        Assert.Contains("compare=prev", navigation.Uri);
    }
}
