using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Admin.TestSupport;
using Admin.Web.Components;
using Admin.Web.Components.Layout;

namespace Admin.E2E;

/// <summary>
/// A CI/CD system reports a production deployment with a token; a release manager sees it arrive live, the requester
/// is refused, the release manager approves it, CI reports success, and the dashboard's charts update in place.
/// </summary>
public sealed class DeploymentsTests(AppFixture app) : BrowserTest(app)
{
    private async Task<HttpClient> CiClientAsync()
    {
        var token = await App.Database.NewTokenAsync("e2e-ci");
        var client = new HttpClient { BaseAddress = App.BaseUrl };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Secret);
        return client;
    }

    private static async Task<JsonNode> PostAsync(HttpClient ci, string path, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        using var response = await ci.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>The page again in dark mode (the theme cookie, then a reload), saved as <paramref name="name"/>-dark for review.</summary>
    private async Task SaveDarkReviewScreenshotAsync(IPage page, string name)
    {
        await UseDarkThemeAsync(page);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync(name + "-dark");
    }

    private Task UseDarkThemeAsync(IPage page) =>
        page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = ThemePreference.DarkValue, Url = App.BaseUrl.ToString() }]);

    private static Task<int> UpdatesAsync(ILocator chart) =>
        chart.EvaluateAsync<int>("el => Number(el.dataset.updates || 0)");

    [Fact]
    public Task A_posted_deployment_appears_live_is_refused_to_its_requester_approved_by_a_release_manager_and_charts_update() => RunAsync(async page =>
    {
        using var ci = await CiClientAsync();
        var admin = DemoUserWithRole(AppRoles.Admin);
        var release = DemoUserWithRole(AppRoles.ReleaseManager);
        await LoginAsync(page, release);
        await page.GotoAsync("/deployments");
        await page.WaitForSelectorAsync("[data-testid=deployments-grid]");
        var externalId = "e2e-" + Guid.NewGuid().ToString("N")[..10];

        var created = await PostAsync(ci, "/api/deployments", new
        {
            externalId, service = "storefront", environment = "production", version = "3.1.0", commitSha = "feedbeef1234",
            commitTime = DateTimeOffset.UtcNow.AddHours(-3), releaseId = 4, requestedBy = admin.Email,
        });
        Assert.Equal("awaiting_approval", created["status"]!.GetValue<string>());
        var id = created["id"]!.GetValue<long>();

        // Live: the waiting list shows it without a reload.
        var waiting = page.Locator($"[data-testid=waiting-list] li[data-external-id='{externalId}']");
        await Expect(waiting).ToBeVisibleAsync(new() { Timeout = 5000 });

        // The requester (here the admin named in requestedBy) may not decide.
        var requester = await NewPageAsync();
        await UseDarkThemeAsync(requester); // the requester's view is the approval panel's dark review screenshot
        await LoginAsync(requester, admin);
        await requester.GotoAsync($"/deployments/{id}");
        await Expect(requester.Locator("[data-testid=approval-refusal]")).ToContainTextAsync("You requested this deployment");
        await Expect(requester.Locator("[data-testid=approve]")).ToBeDisabledAsync();

        // The release manager reviews: what will be deployed, the pre-deploy checks, then approves.
        await waiting.Locator("a").ClickAsync();
        await page.WaitForURLAsync($"**/deployments/{id}");
        await Expect(page.Locator("[data-testid=content-release]")).ToContainTextAsync("#4 New checkout rollout");
        await Expect(page.Locator("[data-testid=checks] [data-key]")).ToHaveCountAsync(5);
        await page.SaveReviewScreenshotAsync("deployments-approval");
        await requester.SaveReviewScreenshotAsync("deployments-approval-requester-dark");
        await page.GetByTestId("approval").GetByLabel("Comment").FillAsync("checks green, go");
        // Read the checks before approving: once approved the panel (and its verdict) is gone.
        var overall = await page.Locator("[data-testid=checks-overall]").TextContentAsync();
        await page.Locator("[data-testid=approve]").ClickAsync();
        if (overall == "FAIL") await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Expect(page.Locator("[data-testid=deployment-status] [data-status]")).ToHaveAttributeAsync("data-status", "approved");
        await Expect(page.Locator("[data-testid=timeline] li").Last).ToContainTextAsync("checks green, go");

        // The requester's page follows live.
        await Expect(requester.Locator("[data-testid=deployment-status] [data-status]")).ToHaveAttributeAsync("data-status", "approved");

        // CI finishes the rollout while the release manager watches the dashboard.
        await page.GotoAsync("/deployments/metrics");
        var chart = page.Locator("[data-testid=per-day-chart]");
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        await chart.EvaluateAsync("el => { el.e2eMark = 'original'; }");
        var before = await UpdatesAsync(chart);
        var succeededBefore = await page.Locator("[data-kpi=success] .muted").Last.TextContentAsync();

        await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "in_progress" });
        await PostAsync(ci, $"/api/deployments/{externalId}/status", new { status = "succeeded", message = "rollout complete" });

        await page.WaitForFunctionAsync("before => Number(document.querySelector('[data-testid=per-day-chart]').dataset.updates || 0) > before", before,
            new() { Timeout = 5000 });
        Assert.Equal("original", await chart.EvaluateAsync<string?>("el => el.e2eMark ?? null"));
        Assert.Equal(1, await chart.Locator(".apexcharts-canvas").CountAsync());
        await page.SaveReviewScreenshotAsync("deployments-metrics");

        await page.GotoAsync($"/deployments/{id}");
        await Expect(page.Locator("[data-testid=deployment-status] [data-status]")).ToHaveAttributeAsync("data-status", "succeeded");
        await page.SaveReviewScreenshotAsync("deployments-detail");
        await page.GotoAsync("/deployments");
        await page.WaitForSelectorAsync("[data-testid=deployments-grid]");
        await page.SaveReviewScreenshotAsync("deployments-list");
        await SaveDarkReviewScreenshotAsync(page, "deployments-list");
        await page.GotoAsync("/deployments/metrics");
        await Expect(page.Locator("[data-testid=per-day-chart]")).ToHaveAttributeAsync("data-rendered", "true");
        await page.SaveReviewScreenshotAsync("deployments-metrics-dark");
        await page.GotoAsync($"/deployments/{id}");
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync("deployments-detail-dark");
        Assert.NotNull(succeededBefore);
    });

    [Fact]
    public Task A_release_manager_exports_csv_with_progress_and_gets_a_file() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.ReleaseManager));
        await page.GotoAsync("/deployments");
        await page.WaitForInteractiveShellAsync();
        await page.WaitForSelectorAsync("[data-testid=deployments-grid]");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("[data-testid=export-csv]").ClickAsync());

        Assert.EndsWith(".csv", download.SuggestedFilename);
        var path = await download.PathAsync();
        var lines = await File.ReadAllLinesAsync(path!);
        Assert.StartsWith("id,external_id,service", lines[0]);
        Assert.True(lines.Length > 100, $"{lines.Length} lines");
        await Expect(page.Locator("[data-testid=export-message]")).ToContainTextAsync("Exported");
    });

    [Fact]
    public Task An_admin_creates_a_token_that_is_shown_once_and_works_until_revoked() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.GotoAsync("/deployments/tokens");
        await page.WaitForInteractiveShellAsync();
        await page.GetByLabel("Token name").FillAsync("e2e-pipeline");
        // (A token without a scope is refused with the reason: Components/DatabaseAndTokenTests, bUnit.)
        await page.GetByLabel("Services it may report").FillAsync("storefront");
        await page.GetByTestId("token-environments").GetByRole(AriaRole.Checkbox, new() { Name = "staging", Exact = true }).CheckAsync();
        await page.Locator("[data-testid=create-token]").ClickAsync();
        var secret = (await page.Locator("[data-testid=token-secret]").TextContentAsync())!.Trim();
        Assert.StartsWith("adm_", secret);
        await Expect(page.Locator("[data-testid=tokens-grid]")).ToContainTextAsync("services [storefront] in environments [staging]");
        await page.SaveReviewScreenshotAsync("deployments-tokens");
        await SaveDarkReviewScreenshotAsync(page, "deployments-tokens");

        using var ci = new HttpClient { BaseAddress = App.BaseUrl };
        ci.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var body = new StringContent("{\"status\":\"cancelled\"}", Encoding.UTF8, "application/json");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await ci.PostAsync("/api/deployments/none/status", body)).StatusCode);
        var production = new StringContent("{\"externalId\":\"e2e-scope\",\"service\":\"storefront\",\"environment\":\"production\",\"version\":\"1\",\"commitSha\":\"abcdef1\"}",
            Encoding.UTF8, "application/json");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await ci.PostAsync("/api/deployments", production)).StatusCode);

        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke e2e-pipeline" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Revoke", Exact = true }).ClickAsync();
        await Expect(page.Locator("[data-testid=tokens-grid]")).ToContainTextAsync("Revoked");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await ci.PostAsync("/api/deployments/none/status", body)).StatusCode);
    });
}
