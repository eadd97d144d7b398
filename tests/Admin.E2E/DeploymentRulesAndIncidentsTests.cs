using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Admin.TestSupport;
using Admin.Web.Components;
using Admin.Web.Components.Layout;

namespace Admin.E2E;

/// <summary>
/// Issue 18's two flows in the browser: a freeze window set by an admin refuses a start until a release manager
/// overrides it with a reason (audited); an incident opened on a deployment and resolved shows in the dashboard's
/// change failure rate and time to restore.
/// </summary>
public sealed class DeploymentRulesAndIncidentsTests(AppFixture app) : BrowserTest(app)
{
    private async Task<HttpClient> CiClientAsync()
    {
        var token = await App.Database.NewTokenAsync("e2e-ci-" + Guid.NewGuid().ToString("N")[..6]);
        var client = new HttpClient { BaseAddress = App.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);
        return client;
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient ci, string path, object body)
    {
        using var response = await ci.PostAsync(path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    /// <summary>Light, then dark (the theme cookie and a reload), as <paramref name="name"/> and <paramref name="name"/>-dark.</summary>
    private async Task SaveLightAndDarkAsync(IPage page, string name, string ready)
    {
        await page.SaveReviewScreenshotAsync(name);
        await page.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ShellExtensions.ThemeCookie, Value = ThemePreference.DarkValue, Url = App.BaseUrl.ToString() }]);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await page.Locator(ready).First.WaitForAsync();
        await page.SaveReviewScreenshotAsync(name + "-dark");
        await page.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = ShellExtensions.ThemeCookie, Value = ThemePreference.LightValue, Url = App.BaseUrl.ToString() }]);
    }

    private static async Task ChooseAsync(IPage page, ILocator select, string option)
    {
        await select.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = option, Exact = true }).ClickAsync();
    }

    [Fact]
    public Task An_admin_freezes_an_environment_a_start_is_refused_and_a_release_manager_overrides_it_with_a_reason() => RunAsync(async page =>
    {
        var env = "e2e-frz-" + Guid.NewGuid().ToString("N")[..6];
        await using (var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"INSERT INTO deploy_environments (name, display_order) VALUES ('{env}', 99)");

        // The admin adds a deny window from yesterday 00:00 to tomorrow 23:59 (UTC): it covers now.
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.GotoAsync("/deployments/rules");
        await page.WaitForInteractiveShellAsync();
        var rules = page.GetByTestId($"rules-{env}");
        await rules.GetByRole(AriaRole.Button, new() { Name = "Add window" }).ClickAsync();
        var window = rules.GetByTestId("rules-window");
        var today = (int)DateTime.UtcNow.DayOfWeek is 0 ? 7 : (int)DateTime.UtcNow.DayOfWeek;   // ISO: 1 Monday .. 7 Sunday
        static string Day(int iso) => new[] { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" }[iso - 1];
        await window.GetByLabel("Label").FillAsync("E2E freeze");
        await ChooseAsync(page, window.GetByLabel("From day"), Day(today == 1 ? 7 : today - 1));
        await window.GetByLabel("From (HH:mm)").FillAsync("00:00");
        await ChooseAsync(page, window.GetByLabel("To day"), Day(today == 7 ? 1 : today + 1));
        await window.GetByLabel("To (HH:mm)").FillAsync("23:59");
        await window.GetByLabel("Time zone").FillAsync("UTC");
        await rules.GetByRole(AriaRole.Button, new() { Name = $"Save {env}" }).ClickAsync();
        await Expect(page.GetByText($"Rules of {env} saved.")).ToBeVisibleAsync();
        await SaveLightAndDarkAsync(page, "deployments-rules-admin", $"[data-testid=rules-{env}]");

        // CI reports a deployment there; its start is refused, naming the rule.
        using var ci = await CiClientAsync();
        var externalId = "e2e-frz-" + Guid.NewGuid().ToString("N")[..8];
        var (created, body) = await PostAsync(ci, "/api/deployments", new { externalId, service = "frozen-svc", environment = env, version = "1.0.0", commitSha = "abcdef12" });
        Assert.Equal(HttpStatusCode.Created, created);
        var id = body["id"]!.GetValue<long>();
        var (refused, refusal) = await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "in_progress" });
        Assert.Equal(HttpStatusCode.Conflict, refused);
        Assert.Equal("freeze", refusal["rule"]!.GetValue<string>());
        Assert.Contains("E2E freeze", refusal["detail"]!.GetValue<string>());

        // The release manager sees why and overrides with a reason; the rules page is read-only for them.
        var rm = await NewPageAsync();
        await LoginAsync(rm, DemoUserWithRole(AppRoles.ReleaseManager));
        await rm.GotoAsync("/deployments/rules");
        await Expect(rm.GetByTestId($"rules-readonly-{env}")).ToContainTextAsync("Deny “E2E freeze”");
        await Expect(rm.GetByTestId($"rules-{env}").GetByRole(AriaRole.Textbox)).ToHaveCountAsync(0);
        await rm.SaveReviewScreenshotAsync("deployments-rules-release-manager");
        await rm.GotoAsync($"/deployments/{id}");
        await rm.WaitForInteractiveShellAsync();
        await Expect(rm.GetByTestId("rules-refusal")).ToContainTextAsync("E2E freeze");
        await SaveLightAndDarkAsync(rm, "deployments-freeze-refusal", "[data-testid=rules-refusal]");
        await rm.GetByLabel("Reason for overriding the freeze").FillAsync("hotfix for the checkout outage");
        await rm.GetByTestId("override-freeze").ClickAsync();
        await Expect(rm.GetByTestId("rules-override")).ToContainTextAsync("hotfix for the checkout outage");

        var (started, _) = await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "in_progress" });
        Assert.Equal(HttpStatusCode.OK, started);
        await Expect(rm.Locator("[data-testid=deployment-status] [data-status]")).ToHaveAttributeAsync("data-status", "in_progress");

        // The admin finds the override in the audit trail, with its reason.
        await page.GotoAsync($"/audit?table=deployments&record={id}");
        var row = page.Locator("[data-testid=audit-row][data-action='deployment.freeze_overridden']");
        await Expect(row).ToHaveCountAsync(1);
        await page.GetByTestId("audit-table").Locator("tr", new() { Has = row }).GetByTestId("audit-expand").ClickAsync();
        await Expect(page.GetByTestId("audit-table")).ToContainTextAsync("hotfix for the checkout outage");
    });

    [Fact]
    public Task A_release_manager_opens_and_resolves_an_incident_and_the_dashboard_counts_it() => RunAsync(async page =>
    {
        var service = "e2e-inc-" + Guid.NewGuid().ToString("N")[..6];
        using var ci = await CiClientAsync();
        var externalId = service + "-1";
        Assert.Equal(HttpStatusCode.Created, (await PostAsync(ci, "/api/deployments",
            new { externalId, service, environment = "staging", version = "2.0.0", commitSha = "abcdef34" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "in_progress" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "succeeded" })).Status);

        await LoginAsync(page, DemoUserWithRole(AppRoles.ReleaseManager));
        var metrics = $"/deployments/metrics?environment=staging&service={service}";
        await page.GotoAsync(metrics);
        await Expect(page.Locator("[data-kpi=change-failure] .value")).ToHaveTextAsync("0 %");
        await Expect(page.Locator("[data-kpi=restore] [data-level]")).ToHaveAttributeAsync("data-level", "None");

        await page.GotoAsync("/deployments/incidents");
        await page.WaitForInteractiveShellAsync();
        await page.GetByTestId("incident-title").FillAsync("Checkout returns 500");
        await ChooseAsync(page, page.GetByLabel("Severity").First, "SEV1 · critical");
        await page.GetByTestId("incident-service").FillAsync(service);
        await ChooseAsync(page, page.GetByTestId("incident-environment"), "staging");
        await page.GetByTestId("incident-caused-by").FillAsync(externalId);
        await page.GetByTestId("open-incident").ClickAsync();
        var row = page.GetByTestId("incidents-grid").Locator("tbody tr", new() { HasText = "Checkout returns 500" });
        await Expect(row).ToContainTextAsync("Open");
        await SaveLightAndDarkAsync(page, "deployments-incidents", "[data-testid=incidents-grid]");

        await row.GetByRole(AriaRole.Button, new() { Name = "Resolve" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);                                   // the list shows open incidents by default
        // The filter is the address: resolved incidents of this service.
        await page.GotoAsync($"/deployments/incidents?status=resolved&service={service}");
        await Expect(page.GetByTestId("incidents-grid").Locator("tbody tr", new() { HasText = "Checkout returns 500" })).ToContainTextAsync("Resolved");

        await page.GotoAsync(metrics);
        await Expect(page.Locator("[data-kpi=change-failure] .value")).ToHaveTextAsync("100 %");
        await Expect(page.Locator("[data-kpi=restore] [data-level]")).ToHaveAttributeAsync("data-level", "Elite");
        await Expect(page.Locator("[data-kpi=incidents]")).ToContainTextAsync("0 open");
    });
}
