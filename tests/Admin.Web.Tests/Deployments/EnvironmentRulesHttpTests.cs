using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Admin.Web.Features.Deployments.Api;

namespace Admin.Web.Tests.Deployments;

/// <summary>
/// Environment rules over HTTP: a start refused by a rule is a 409 problem naming it, checks reported through the API
/// (token-scoped, 400 naming the field), a remembered rollback in the create answer, the OpenAPI document, and the rules
/// page's access; plus the editor's state as a plain class.
/// </summary>
public sealed class EnvironmentRulesHttpTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private Task<HttpClient> TokenClientAsync(TokenScope? scope = null) => app.TokenClientAsync("ci", scope);

    private EnvironmentRulesService Rules(SessionContext user) => new(app.Database.Factory(user), new FixedSessionContextSource(user));

    private async Task<string> EnvironmentAsync(string[] checks)
    {
        var name = "env-" + Guid.NewGuid().ToString("N")[..10];
        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"INSERT INTO deploy_environments (name, display_order) VALUES ('{name}', 9)");
        await Rules(DeploymentFixtures.Admin).SaveAsync(new EnvironmentRules(name, false, 0, checks, []));
        return name;
    }

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    private static JsonObject NewBody(string environment, string version = "2.0.1") => new()
    {
        ["externalId"] = "gh-" + Guid.NewGuid().ToString("N")[..10], ["service"] = "shop-api", ["environment"] = environment,
        ["version"] = version, ["commitSha"] = "0123456789abcdef0123",
    };

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task A_start_waits_for_the_required_checks_reported_through_the_api_with_a_409_naming_the_rule()
    {
        var env = await EnvironmentAsync(["ci/tests"]);
        using var client = await TokenClientAsync();
        var body = NewBody(env);
        var id = body["externalId"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/deployments", Json(body))).StatusCode);

        var refused = await client.PostAsync($"/api/deployments/{id}/status", Json(new JsonObject { ["status"] = "in_progress" }));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        var problem = await BodyAsync(refused);
        Assert.Equal(("Blocked by an environment rule", "required_checks"), (problem["title"]!.GetValue<string>(), problem["rule"]!.GetValue<string>()));
        Assert.Equal($"queued -> in_progress: required checks of {env} have not passed: ci/tests is not reported", problem["detail"]!.GetValue<string>());

        var badState = await client.PostAsync($"/api/deployments/{id}/checks", Json(new JsonObject { ["name"] = "ci/tests", ["state"] = "green" }));
        Assert.Equal(HttpStatusCode.BadRequest, badState.StatusCode);
        Assert.Equal("state", (await BodyAsync(badState))["field"]!.GetValue<string>());

        using var staging = await TokenClientAsync(new TokenScope(["*"], ["staging"]));
        var outside = await staging.PostAsync($"/api/deployments/{id}/checks", Json(new JsonObject { ["name"] = "ci/tests", ["state"] = "success" }));
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);

        var reported = await client.PostAsync($"/api/deployments/{id}/checks", Json(new JsonObject { ["name"] = "ci/tests", ["state"] = "success", ["detail"] = "run 7" }));
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        Assert.True((await BodyAsync(reported))["required"]!.GetValue<bool>());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/deployments/{id}/status", Json(new JsonObject { ["status"] = "in_progress" }))).StatusCode);
    }

    [Fact]
    public async Task A_rolled_back_version_reported_again_is_answered_with_the_rollbacks_reason()
    {
        var env = await EnvironmentAsync([]);
        var version = "7." + Random.Shared.Next(1_000_000);
        using var client = await TokenClientAsync();
        var first = NewBody(env, version);
        var id = first["externalId"]!.GetValue<string>();
        Assert.Null((await BodyAsync(await client.PostAsync("/api/deployments", Json(first))))["rolledBackBefore"]);
        foreach (var (status, message) in new[] { ("in_progress", ""), ("succeeded", ""), ("rolled_back", "payment errors") })
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/deployments/{id}/status", Json(new JsonObject { ["status"] = status, ["message"] = message }))).StatusCode);

        var again = await client.PostAsync("/api/deployments", Json(NewBody(env, version)));
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        var warning = (await BodyAsync(again))["rolledBackBefore"]!;
        Assert.Equal(("payment errors", "version", version), (warning["reason"]!.GetValue<string>(), warning["matched"]!.GetValue<string>(), warning["version"]!.GetValue<string>()));
        Assert.StartsWith("api:ci-", warning["by"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_checks_endpoint_and_the_rules_on_the_status_post()
    {
        using var anonymous = app.Anonymous();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        var checks = document["paths"]!["/api/deployments/{id}/checks"]!["post"]!;
        Assert.Contains("required_checks", checks["description"]!.GetValue<string>());
        Assert.NotNull(checks["responses"]!["403"]);
        Assert.NotNull(document["components"]!["schemas"]!["CheckRequest"]);
        Assert.Contains("Blocked by an environment rule", document["paths"]!["/api/deployments/{id}/status"]!["post"]!["description"]!.GetValue<string>());
        Assert.Contains("rolledBackBefore", document["paths"]!["/api/deployments"]!["post"]!["description"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(AppRoles.Editor, false, false)]
    [InlineData(AppRoles.Dba, false, false)]
    [InlineData(AppRoles.ReleaseManager, true, false)]
    [InlineData(AppRoles.Admin, true, true)]
    public async Task The_rules_page_is_read_by_release_managers_edited_by_admins_and_refused_to_others(string role, bool sees, bool edits)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync("/deployments/rules");
        if (!sees)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
            return;
        }
        var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains("data-testid=\"rules-production\"", html);
        Assert.Equal(edits, html.Contains("Save production"));
    }

    [Fact]
    public async Task The_editor_state_refuses_a_bad_window_before_saving_and_shows_the_databases_reason()
    {
        var env = await EnvironmentAsync([]);
        var state = new EnvironmentRulesState(Rules(DeploymentFixtures.Admin), canEdit: true);
        await state.LoadAsync();
        var form = state.Environments.Single(e => e.Name == env);

        form.Checks = "ci/tests, security-scan ci/tests";
        Assert.Equal(["ci/tests", "security-scan"], form.CheckNames);
        form.AddWindow("Europe/London");
        form.Windows[0].StartTime = "25:00";
        Assert.False(await state.SaveAsync(form));
        Assert.Equal("Window \"Weekend freeze\": the start time '25:00' is not a time like 16:00.", form.Error);

        form.Windows[0].StartTime = "16:00";
        form.Windows[0].TimeZone = "Nowhere/Land";
        Assert.False(await state.SaveAsync(form));
        Assert.Equal("Unknown time zone: Nowhere/Land (use an IANA name such as Europe/London).", form.Error);

        form.Windows[0].TimeZone = "Europe/London";
        Assert.True(await state.SaveAsync(form));
        Assert.Null(form.Error);
        await state.LoadAsync();
        var saved = state.Environments.Single(e => e.Name == env);
        Assert.Equal(("ci/tests, security-scan", "Fri 16:00 – Mon 08:00 Europe/London"), (saved.Checks, saved.Windows.Single().ToWindow().ToString()));

        var readOnly = new EnvironmentRulesState(Rules(DeploymentFixtures.ReleaseManager), canEdit: false);
        await readOnly.LoadAsync();
        var attempt = readOnly.Environments.Single(e => e.Name == env);
        Assert.False(await readOnly.SaveAsync(attempt));
        Assert.Equal("Only admins change environment rules.", attempt.Error);
    }
}
