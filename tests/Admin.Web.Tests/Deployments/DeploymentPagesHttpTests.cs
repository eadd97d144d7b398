using System.Net;
using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Deployments;

/// <summary>The list, detail and approval pages as the server first renders them, by role.</summary>
public sealed class DeploymentPagesHttpTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private async Task<JsonNode> CreateAsync(string environment, long? releaseId = null)
    {
        var ingestion = app.Factory.Services.GetRequiredService<DeploymentIngestion>();
        var (_, caller) = await app.Database.CreateTokenAsync(app.Factory.Services.GetRequiredKeyedService<Npgsql.NpgsqlDataSource>(nameof(Admin.Data.Deployments.DeploymentIngestion)));
        var result = await ingestion.CreateAsync(caller, DeploymentFixtures.NewDeployment(environment, releaseId: releaseId), null, [1]);
        Assert.Equal(201, result.Status);
        return JsonNode.Parse(result.Body)!;
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        return await client.GetAsync(path);
    }

    private async Task<string> PageAsync(string path, string role = AppRoles.ReleaseManager)
    {
        var response = await GetAsync(path, role);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_release_manager_sees_a_production_deployment_waiting_and_in_the_list()
    {
        var d = await CreateAsync("production");
        var html = await PageAsync("/deployments");

        Assert.Contains("data-testid=\"waiting-list\"", html);
        Assert.Contains($"data-external-id=\"{d["externalId"]}\"", html);
        Assert.Contains("data-testid=\"deployments-grid\"", html);
        Assert.Contains($"#{d["id"]}", html);
    }

    [Fact]
    public async Task The_detail_page_shows_what_will_be_deployed_the_timeline_and_the_approval_panel_with_the_checks()
    {
        var release = await app.Database.ApprovedReleaseAsync("Spring copy", ReleaseFixtures.Translation("deploy.banner", "Spring sale"));
        var d = await CreateAsync("production", releaseId: release);
        var html = await PageAsync($"/deployments/{d["id"]}");

        // The release is summarised beside the checks: its name, what it changes and its conflict state.
        Assert.Contains($"#{release} Spring copy", html);
        Assert.Contains("1 added · 0 modified · 0 removed", html);
        Assert.Contains("no conflicts", html);
        Assert.Contains("data-testid=\"timeline\"", html);
        Assert.Contains("data-status=\"awaiting_approval\"", html);
        Assert.Contains("data-testid=\"approval\"", html);
        foreach (var check in new[] { "connections", "long-queries", "blocking-locks", "cache-hit", "invalid-indexes" })
            Assert.Contains($"data-key=\"{check}\"", html);
        Assert.DoesNotContain("data-testid=\"approval-refusal\"", html);
        // Who holds the token that reported it (that person may not approve it either).
        Assert.Contains($"an API token created by {DeploymentFixtures.Admin.Email}", html);
    }

    [Fact]
    public async Task The_metrics_page_shows_the_four_keys_with_levels_and_both_charts()
    {
        await CreateAsync("staging");
        var html = await PageAsync("/deployments/metrics");

        foreach (var kpi in new[] { "frequency", "lead-time", "change-failure", "restore", "success", "duration" })
            Assert.Contains($"data-kpi=\"{kpi}\"", html);
        Assert.Contains("data-testid=\"per-day-chart\"", html);
        Assert.Contains("data-testid=\"outcome-chart\"", html);
    }

    [Fact]
    public async Task The_list_reads_its_filter_from_the_address()
    {
        var d = await CreateAsync("staging");
        var link = $"href=\"/deployments/{d["id"]}\"";

        Assert.Contains(link, await PageAsync($"/deployments?environment=staging&q={d["externalId"]}"));
        Assert.DoesNotContain(link, await PageAsync($"/deployments?environment=production&q={d["externalId"]}"));
    }

    [Fact]
    public async Task A_deployment_that_does_not_exist_gets_a_friendly_message()
    {
        Assert.Contains("There is no deployment #999999", await PageAsync("/deployments/999999"));
    }

    [Theory]
    [InlineData(AppRoles.Editor)]
    [InlineData(AppRoles.Dba)]
    public async Task Other_roles_are_refused_the_list_detail_and_metrics(string role)
    {
        var d = await CreateAsync("staging");
        foreach (var path in new[] { "/deployments", $"/deployments/{d["id"]}", "/deployments/metrics", "/deployments/tokens" })
        {
            var response = await GetAsync(path, role);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
        }
    }
}
