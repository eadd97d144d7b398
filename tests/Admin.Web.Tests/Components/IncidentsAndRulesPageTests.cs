using Admin.Data.Deployments;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The incidents page reads its filter from the address (status, severity, environment, service, start range) and
/// pages on the server, newest start first; the environment rules page is a form for admins and plain text for
/// release managers, who may not change the rules.
/// </summary>
public sealed class IncidentsAndRulesPageTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 2, 0, 0, 0, TimeSpan.Zero);

    /// <summary>55 incidents of a new service on staging (one an hour from T0; every 5th sev1, every 3rd resolved) and one on production.</summary>
    private async Task<string> PlantAsync()
    {
        var service = NewKey("inc");
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"""
            INSERT INTO deploy_incidents (title, severity, service, environment, started_at, resolved_at, created_by_email)
            SELECT 'Incident ' || g, CASE WHEN g % 5 = 0 THEN 'sev1' ELSE 'sev3' END, '{service}', 'staging',
                   '{T0:O}'::timestamptz + make_interval(hours => g), CASE WHEN g % 3 = 0 THEN '{T0:O}'::timestamptz + make_interval(hours => g, mins => 30) END,
                   'rm@test.local'
            FROM generate_series(1, 55) g;
            INSERT INTO deploy_incidents (title, severity, service, environment, started_at, created_by_email)
            VALUES ('Production one', 'sev1', '{service}', 'production', '{T0.AddHours(2):O}', 'rm@test.local');
            """);
        return service;
    }

    private IRenderedComponent<IncidentsPage> Open(string query)
    {
        SignIn(AppRoles.ReleaseManager);
        RenderMudProviders();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/deployments/incidents?" + query);
        return Render<IncidentsPage>();
    }

    private static List<string> Titles(IRenderedComponent<IncidentsPage> page) =>
        page.FindAll("[data-testid=incidents-grid] tbody tr td:first-child").Select(td => TextOf(td)).Select(t => t[(t.IndexOf(' ') + 1)..]).ToList(); // "#id title"

    [Fact]
    public async Task The_incidents_list_is_filtered_as_the_address_says_and_paged_on_the_server()
    {
        var service = await PlantAsync();
        var page = Open($"status=all&environment=staging&service={service}");

        page.WaitForAssertion(() => Assert.Equal(50, Titles(page).Count));
        Assert.Equal("Incident 55", Titles(page)[0]);                        // newest start first
        Assert.Equal("Incident 6", Titles(page)[^1]);
        Assert.Contains("Page 1", page.Find("[data-testid=incidents-pager]").TextContent);
        await page.Find("[data-testid=incidents-older]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(["Incident 5", "Incident 4", "Incident 3", "Incident 2", "Incident 1"], Titles(page)));
        Assert.True(page.Find("[data-testid=incidents-older]").HasAttribute("disabled"));

        // Open (the default) sev1 on staging, started on the first day (hours 1–23 of T0's day): 5, 10, 20 (15 is resolved).
        var filtered = Open($"severity=sev1&environment=staging&service={service}&from={T0:yyyy-MM-dd}&to={T0:yyyy-MM-dd}");
        filtered.WaitForAssertion(() => Assert.Equal(["Incident 20", "Incident 10", "Incident 5"], Titles(filtered)));
        var resolved = Open($"status=resolved&service={service}&severity=sev1");
        resolved.WaitForAssertion(() => Assert.Equal(["Incident 45", "Incident 30", "Incident 15"], Titles(resolved)));
        var production = Open($"environment=production&service={service}");
        production.WaitForAssertion(() => Assert.Equal("Production one", Assert.Single(Titles(production))));
    }

    [Fact]
    public void The_filter_round_trips_through_the_address_and_bad_values_are_ignored()
    {
        var filter = new IncidentFilter(IncidentFilter.Resolved, "sev2", "staging", "shop-api", T0, T0.AddDays(3));
        var uri = IncidentFilterQuery.ToUri("/deployments/incidents", filter);
        Assert.Equal("/deployments/incidents?status=resolved&severity=sev2&environment=staging&service=shop-api&from=2025-06-02&to=2025-06-04", uri);
        var q = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + uri).Query);
        Assert.Equal(filter, IncidentFilterQuery.FromQuery(q["status"], q["severity"], q["environment"], q["service"], q["from"], q["to"]));
        // No status is open; "all" is every incident; unknown values are dropped, not passed on.
        Assert.Equal("/deployments/incidents", IncidentFilterQuery.ToUri("/deployments/incidents", new IncidentFilter()));
        Assert.Equal("/deployments/incidents?status=all", IncidentFilterQuery.ToUri("/deployments/incidents", new IncidentFilter(Status: null)));
        Assert.Equal(new IncidentFilter(), IncidentFilterQuery.FromQuery("bogus", "critical", " ", null, "2025-13-01", "yesterday"));
    }

    [Fact]
    public async Task A_range_that_ends_before_it_starts_is_a_message_not_an_error_page()
    {
        await PlantAsync();
        var page = Open("from=2025-06-05&to=2025-06-01");
        page.WaitForAssertion(() => Assert.Contains("The end of the range must be after its start.", TextOf(page.Find("[data-testid=incident-filter-error]"))));
    }

    [Fact]
    public void A_release_manager_reads_the_rules_as_text_and_an_admin_gets_the_form()
    {
        SignIn(AppRoles.ReleaseManager);
        RenderMudProviders();
        var read = Render<EnvironmentRulesPage>();
        read.WaitForElement("[data-testid=rules-readonly-production]");
        Assert.Empty(read.FindAll("input, select, textarea, [role=switch], [role=combobox]"));
        Assert.Empty(read.FindAll("button"));
        var production = read.Find("[data-testid=rules-readonly-production]");
        Assert.Equal(("Requires approval (four eyes)", "Yes"), (TextOf(production.QuerySelectorAll("dt")[0]), TextOf(production.QuerySelectorAll("dd")[0])));
        Assert.Contains("Only admins change them.", read.Markup);

        SignIn(AppRoles.Admin);
        var edit = Render<EnvironmentRulesPage>();
        edit.WaitForElement("[data-testid=rules-production] input");
        Assert.Empty(edit.FindAll("[data-testid^=rules-readonly]"));
        Assert.True(HasButton(edit, "Save production"));
    }
}
