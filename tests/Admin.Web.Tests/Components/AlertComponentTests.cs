using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The alerts page and bell against a real database: a DBA acknowledges a firing alert (audited), adds a rule through
/// the dialog, which keeps a refused name open with its reason, and the bell counts new events until it is opened.
/// </summary>
public sealed class AlertComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private async Task<long> FireAsync(string metric, double value, string target)
    {
        var changes = await Services.GetRequiredService<AlertEvaluator>()
            .EvaluateAsync(target, new Dictionary<string, double> { [metric] = value }, DateTimeOffset.UtcNow);
        return changes.Single(c => c.Event == "firing").AlertId;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<long>(sql);
    }

    [Fact]
    public async Task A_dba_acknowledges_a_firing_alert_and_it_is_audited()
    {
        var target = NewKey("ack");
        var id = await FireAsync(AlertMetrics.CheckPrefix + "sequences", 2, target);
        SignIn(AppRoles.Dba);
        RenderMudProviders();
        var page = Render<AlertsPage>();

        page.WaitForAssertion(() => Assert.Contains(target, page.Find($"#alert-{id}").Closest("tr")!.TextContent));
        var row = page.Find($"#alert-{id}").Closest("tr")!;
        Assert.Contains("Sequences near exhaustion", row.TextContent);
        Assert.Equal("FAIL", row.QuerySelector("[data-testid=alert-value]")!.TextContent.Trim());
        await page.InvokeAsync(() => page.Find($"#alert-{id}").Closest("tr")!.QuerySelector("[data-testid=acknowledge]")!.ClickAsync(new()));

        page.WaitForAssertion(() => Assert.Contains($"acknowledged by {User!.Email}", page.Find($"#alert-{id}").Closest("tr")!.TextContent));
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM audit_events WHERE action = '{AlertService.Acknowledged}' AND record_id = '{id}'"));
    }

    [Fact]
    public async Task A_new_rule_is_saved_from_the_dialog_and_a_taken_name_keeps_the_dialog_open_with_the_reason()
    {
        SignIn(AppRoles.Dba);
        var providers = RenderMudProviders();
        var navigation = Services.GetRequiredService<Microsoft.AspNetCore.Components.NavigationManager>();
        navigation.NavigateTo("/database/alerts?tab=rules");
        var page = Render<AlertsPage>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=rule]")));

        Task adding = Task.CompletedTask;
        await page.InvokeAsync(() => { adding = Button(page, "New rule").ClickAsync(new()); }); // it waits for the dialog
        providers.WaitForAssertion(() => providers.Find("[data-testid=rule-dialog]"));
        Field(providers, "Name").Input("Blocked queries");
        await providers.Find("[data-testid=rule-save]").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("exists already", providers.Find("[data-testid=rule-error]").TextContent));

        var name = NewKey("rule");
        Field(providers, "Name").Input(name);
        await providers.Find("[data-testid=rule-save]").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Empty(providers.FindAll("[data-testid=rule-dialog]")));
        await adding.WaitAsync(TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() => Assert.Contains(name, page.FindAll("[data-testid=rule]").Select(r => r.TextContent)));
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM alert_rules WHERE name = '{name}' AND metric = 'check:blocked' AND for_seconds = 60"));
    }

    [Fact]
    public async Task The_bell_counts_new_events_for_a_dba_and_opening_it_marks_them_read()
    {
        var target = NewKey("bell");
        await FireAsync(AlertMetrics.CheckPrefix + "invalid-indexes", 2, target);
        SignIn(AppRoles.Dba);
        var providers = RenderMudProviders();
        var bell = Render<AlertBell>();

        bell.WaitForAssertion(() => Assert.Matches(@"Alerts: \d+ new", bell.Markup));
        await bell.InvokeAsync(() => bell.Find("button[aria-label^='Alerts: ']").Click());
        providers.WaitForAssertion(() => Assert.Contains($"Firing: Invalid indexes on {target}", providers.FindAll("[data-testid=alert-bell-item]").Select(TextOf)));
        bell.WaitForAssertion(() => Assert.DoesNotMatch(@"Alerts: \d+ new", bell.Markup));
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM alert_reads WHERE user_id = '{User!.Id}'"));
    }
}
