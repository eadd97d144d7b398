using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;

namespace Admin.Web.Tests.Deployments;

/// <summary>
/// Incidents and commits over HTTP (issue 18): token scope, 400 naming the field, 404, 409 with the reason, the
/// OpenAPI document, the page by role, and the incidents page's state.
/// </summary>
public sealed class DoraApiTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private Task<HttpClient> TokenClientAsync(TokenScope? scope = null) => app.TokenClientAsync("dora", scope);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    /// <summary>A staging deployment of <paramref name="service"/> created through the API (with commits when given), moved through <paramref name="statuses"/>.</summary>
    private static async Task<string> DeployAsync(HttpClient client, string service, string? commits, params string[] statuses)
    {
        var externalId = "dora-" + Guid.NewGuid().ToString("N")[..10];
        var body = $$"""{"externalId":"{{externalId}}","service":"{{service}}","environment":"staging","version":"1.0","commitSha":"abcdef12"{{(commits is null ? "" : $",\"commits\":{commits}")}}}""";
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/deployments", Json(body))).StatusCode);
        foreach (var status in statuses)
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/deployments/{externalId}/status", Json($$"""{"status":"{{status}}"}"""))).StatusCode);
        return externalId;
    }

    [Fact]
    public async Task Commits_are_listed_on_create_or_later_idempotently_and_bad_ones_are_400_naming_the_field()
    {
        using var client = await TokenClientAsync();
        var service = "svc-" + Guid.NewGuid().ToString("N")[..6];
        var id = await DeployAsync(client, service, """[{"sha":"aaaaaaa1","committedAt":"2026-12-01T10:00:00Z"}]""");

        var more = await client.PostAsync($"/api/deployments/{id}/commits", Json("""{"commits":[{"sha":"AAAAAAA1","committedAt":"2026-12-01T10:00:00Z"},{"sha":"bbbbbbb2","committedAt":"2026-12-01T11:00:00Z","authoredAt":"2026-12-01T09:00:00Z"}]}"""));
        Assert.Equal(HttpStatusCode.OK, more.StatusCode);
        var added = await BodyAsync(more);
        Assert.Equal((1, 2), (added["added"]!.GetValue<int>(), added["total"]!.GetValue<int>()));

        foreach (var (body, field) in new[]
                 {
                     ("""{"commits":[{"sha":"xyz","committedAt":"2026-12-01T10:00:00Z"}]}""", "commits[0].sha"),
                     ("""{"commits":[{"sha":"ccccccc3"}]}""", "commits[0].committedAt"),
                     ("""{"commits":[]}""", "commits"),
                     ("""{}""", "commits"),
                 })
        {
            var bad = await client.PostAsync($"/api/deployments/{id}/commits", Json(body));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(field, (await BodyAsync(bad))["field"]!.GetValue<string>());
        }
        var missing = await client.PostAsync("/api/deployments/no-such-deployment-x/commits", Json("""{"commits":[{"sha":"ccccccc3","committedAt":"2026-12-01T10:00:00Z"}]}"""));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);

        using var production = await TokenClientAsync(new TokenScope(["*"], ["production"]));
        var outside = await production.PostAsync($"/api/deployments/{id}/commits", Json("""{"commits":[{"sha":"ccccccc3","committedAt":"2026-12-01T10:00:00Z"}]}"""));
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        Assert.Contains("staging", (await BodyAsync(outside))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Incidents_open_resolve_by_rolling_forward_with_400_404_409_and_the_token_scope()
    {
        using var client = await TokenClientAsync();
        var service = "svc-" + Guid.NewGuid().ToString("N")[..6];
        var cause = await DeployAsync(client, service, null, "in_progress", "succeeded");
        var failed = await DeployAsync(client, service, null, "in_progress", "failed");

        var bad = await client.PostAsync("/api/deployments/incidents", Json($$"""{"title":"Errors","severity":"huge","service":"{{service}}","environment":"staging"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("severity", (await BodyAsync(bad))["field"]!.GetValue<string>());
        var unknownCause = await client.PostAsync("/api/deployments/incidents", Json($$"""{"title":"Errors","severity":"sev2","service":"{{service}}","environment":"staging","causedBy":["nope-{{service}}"]}"""));
        Assert.Equal("causedBy", (await BodyAsync(unknownCause))["field"]!.GetValue<string>());

        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O");
        var create = await client.PostAsync("/api/deployments/incidents",
            Json($$"""{"title":"Errors","severity":"sev2","service":"{{service}}","environment":"staging","startedAt":"{{startedAt}}","causedBy":["{{cause}}"],"externalId":"pd-{{service}}"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var incident = await BodyAsync(create);
        var id = incident["id"]!.GetValue<long>();
        Assert.Single(incident["causedBy"]!.AsArray());
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsync("/api/deployments/incidents",
            Json($$"""{"title":"Again","severity":"sev2","service":"{{service}}","environment":"staging","externalId":"pd-{{service}}"}"""))).StatusCode);

        using var productionOnly = await TokenClientAsync(new TokenScope(["*"], ["production"]));
        var outside = await productionOnly.GetAsync($"/api/deployments/incidents/{id}");
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        Assert.Equal("production", (await BodyAsync(outside))["tokenEnvironments"]![0]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/deployments/incidents/999999999")).StatusCode);

        var notAFix = await client.PatchAsync($"/api/deployments/incidents/{id}", Json($$"""{"fixedBy":"{{failed}}"}"""));
        Assert.Equal(HttpStatusCode.Conflict, notAFix.StatusCode);
        Assert.Contains("only a deployment that succeeded", (await BodyAsync(notAFix))["detail"]!.GetValue<string>());

        var fix = await DeployAsync(client, service, null, "in_progress", "succeeded");
        var resolved = await client.PatchAsync($"/api/deployments/incidents/{id}", Json($$"""{"fixedBy":"{{fix}}","severity":"sev3"}"""));
        Assert.Equal(HttpStatusCode.OK, resolved.StatusCode);
        var body = await BodyAsync(resolved);
        Assert.NotNull(body["resolvedAt"]);
        Assert.Equal("sev3", body["severity"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/deployments/incidents/{id}")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_incidents_and_commits_with_the_scope_problem()
    {
        using var anonymous = app.Anonymous();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        var paths = document["paths"]!;
        Assert.NotNull(paths["/api/deployments/{id}/commits"]!["post"]);
        Assert.NotNull(paths["/api/deployments/incidents"]!["post"]);
        Assert.NotNull(paths["/api/deployments/incidents/{id}"]!["patch"]);
        Assert.NotNull(paths["/api/deployments/incidents/{id}"]!["get"]);
        Assert.EndsWith("TokenScopeProblem", paths["/api/deployments/incidents"]!["post"]!["responses"]!["403"]!["content"]!["application/problem+json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.NotNull(document["components"]!["schemas"]!["CreateIncidentRequest"]);
        Assert.NotNull(document["components"]!["schemas"]!["CreateDeploymentRequest"]!["properties"]!["commits"]);
    }

    [Theory]
    [InlineData(AppRoles.ReleaseManager, HttpStatusCode.OK)]
    [InlineData(AppRoles.Editor, HttpStatusCode.Redirect)]
    [InlineData(AppRoles.Dba, HttpStatusCode.Redirect)]
    public async Task Release_managers_open_the_incidents_page_and_other_roles_are_refused(string role, HttpStatusCode expected)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync("/deployments/incidents");
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.OK) Assert.Contains("Open an incident", WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        else Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_incidents_state_keeps_a_refusal_with_its_field_and_clears_the_form_once_opened_and_resolved()
    {
        var service = "svc-" + Guid.NewGuid().ToString("N")[..6];
        var incidents = new IncidentService(app.Database.Factory(DeploymentFixtures.ReleaseManager), new FixedSessionContextSource(DeploymentFixtures.ReleaseManager), TimeProvider.System);
        var state = new IncidentsState(incidents, () => DateTimeOffset.UtcNow) { Title = " ", Service = service, Environment = "staging", CausedBy = "" };

        Assert.False(await state.OpenAsync());
        Assert.Equal("title", state.ErrorField);
        state.Title = "Search is slow";
        Assert.True(await state.OpenAsync());
        Assert.Null(state.Error);
        Assert.Equal("", state.Title);
        var opened = Assert.Single(state.Items, i => i.Service == service);

        state.FixedBy[opened.Id] = "no-such-deployment-" + service;
        Assert.False(await state.ResolveAsync(opened));
        Assert.Equal("fixedBy", state.ErrorField);
        state.FixedBy.Remove(opened.Id);
        Assert.True(await state.ResolveAsync(opened));
        Assert.DoesNotContain(state.Items, i => i.Id == opened.Id);             // open only
        await state.ApplyAsync(new IncidentFilter(Status: null));
        Assert.NotNull(Assert.Single(state.Items, i => i.Id == opened.Id).ResolvedAt);
    }
}
