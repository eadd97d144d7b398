using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Mvc.Testing;
using Admin.Data.Deployments;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Admin.TestSupport;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Deployments;

/// <summary>The ingestion API over HTTP: token scheme, 400 naming the field, 409 reasons, idempotency, OpenAPI and Swagger UI.</summary>
public sealed class DeploymentApiTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private async Task<(HttpClient Client, Guid TokenId)> TokenClientAsync(TokenScope? scope = null)
    {
        var created = await app.Database.NewTokenAsync("ci-" + Guid.NewGuid().ToString("N")[..6], scope);
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Secret);
        return (client, created.Token.Id);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string NewBody(string environment = "staging", string? externalId = null, string? requestedBy = null) => new JsonObject
    {
        ["externalId"] = externalId ?? "gh-" + Guid.NewGuid().ToString("N")[..10], ["service"] = "shop-api", ["environment"] = environment,
        ["version"] = "2.0.1", ["commitSha"] = "0123456789abcdef0123", ["commitTime"] = "2026-11-22T08:00:00Z", ["requestedBy"] = requestedBy,
    }.ToJsonString();

    private static async Task<JsonNode> BodyAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    [Fact]
    public async Task Without_a_token_the_api_answers_401_problem_json_and_never_redirects()
    {
        using var client = app.Anonymous();
        var response = await client.PostAsync("/api/deployments", Json(NewBody()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_signed_in_browser_cookie_is_not_a_token()
    {
        var demo = DemoLogins.For(AppRoles.Admin);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.PostAsync("/api/deployments", Json(NewBody()));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_revoked_token_gets_401_on_its_next_request()
    {
        var (client, tokenId) = await TokenClientAsync();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/deployments", Json(NewBody()))).StatusCode);

        await app.Database.TokenService(DeploymentFixtures.Admin).RevokeAsync(tokenId);

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/deployments", Json(NewBody()))).StatusCode);
    }

    [Fact]
    public async Task A_status_post_checks_its_token_in_the_same_database_call_and_a_bad_token_is_401_whatever_else_is_wrong()
    {
        var (client, tokenId) = await TokenClientAsync();
        var externalId = "gh-" + Guid.NewGuid().ToString("N")[..10];
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/deployments", Json(NewBody(externalId: externalId)))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/deployments/{externalId}/status", Json("{\"status\":\"in_progress\"}"))).StatusCode);
        // With a good token, a bad body is a 400 naming the field.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync($"/api/deployments/{externalId}/status", Json("{\"status\":7}"))).StatusCode);

        using var stranger = app.Anonymous();
        stranger.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "adm_" + new string('x', 40));
        foreach (var (path, body) in new[]
                 {
                     ($"/api/deployments/{externalId}/status", "{\"status\":\"succeeded\"}"),
                     ($"/api/deployments/{externalId}/status", "{\"status\":7}"),
                     ($"/api/deployments/{externalId}/status", "{not json"),
                     ($"/api/deployments/{new string('x', 201)}/status", "{\"status\":\"succeeded\"}"),
                 })
        {
            var refused = await stranger.PostAsync(path, Json(body));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        }

        await app.Database.TokenService(DeploymentFixtures.Admin).RevokeAsync(tokenId);
        var revoked = await client.PostAsync($"/api/deployments/{externalId}/status", Json("{\"status\":\"succeeded\"}"));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal("Bearer", revoked.Headers.WwwAuthenticate.Single().Scheme);
        // Nothing was applied by the refused posts: the deployment is still in progress.
        await using var db = await app.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal("in_progress", await db.ScalarAsync<string>($"SELECT status FROM deployments WHERE external_id = '{externalId}'"));
    }

    [Fact]
    public async Task A_staging_token_gets_403_with_the_reason_creating_or_moving_a_production_deployment_and_nothing_is_applied()
    {
        var (staging, stagingId) = await TokenClientAsync(new TokenScope(["shop-api", "shop-web"], ["staging"]));
        var (everything, _) = await TokenClientAsync();
        var externalId = "gh-" + Guid.NewGuid().ToString("N")[..10];

        var create = await staging.PostAsync("/api/deployments", Json(NewBody("production", externalId)));
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal("application/problem+json", create.Content.Headers.ContentType!.MediaType);
        var problem = await BodyAsync(create);
        Assert.Equal("this token may report services [shop-api, shop-web] in environments [staging]; not production", problem["detail"]!.GetValue<string>());
        await using var db = await app.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM deployments WHERE external_id = '{externalId}'"));

        Assert.Equal(HttpStatusCode.Created, (await everything.PostAsync("/api/deployments", Json(NewBody("production", externalId)))).StatusCode);
        var move = await staging.PostAsync($"/api/deployments/{externalId}/status", Json("{\"status\":\"cancelled\"}"));
        Assert.Equal(HttpStatusCode.Forbidden, move.StatusCode);
        Assert.StartsWith("this token may report services [shop-api, shop-web] in environments [staging]; not production",
            (await BodyAsync(move))["detail"]!.GetValue<string>());
        Assert.Equal("awaiting_approval", await db.ScalarAsync<string>($"SELECT status FROM deployments WHERE external_id = '{externalId}'"));
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM deployment_status_history h JOIN deployments d ON d.id = h.deployment_id WHERE d.external_id = '{externalId}'"));
        Assert.Equal(0L, await db.ScalarAsync<long>($"SELECT count(*) FROM api_idempotency_keys WHERE token_id = '{stagingId}'"));

        // Inside its scope the same token works.
        Assert.Equal(HttpStatusCode.Created, (await staging.PostAsync("/api/deployments", Json(NewBody("staging")))).StatusCode);
    }

    [Fact]
    public async Task A_production_requester_who_is_not_a_console_user_is_422_naming_requestedBy()
    {
        var (client, _) = await TokenClientAsync();
        var response = await client.PostAsync("/api/deployments", Json(NewBody("production", requestedBy: "made.up@example.com")));

        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var problem = await BodyAsync(response);
        Assert.Equal("requestedBy", problem["field"]!.GetValue<string>());
        Assert.Contains("'made.up@example.com' is not a console user", problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_the_database_unreachable_a_status_post_is_a_503_with_retry_after_whether_or_not_its_body_is_valid()
    {
        await using var down = IngestionDatabaseDown();
        using var client = TokenClient(down);

        foreach (var body in new[] { "{\"status\":\"succeeded\"}", "{\"status\":7}" })
        {
            var response = await client.PostAsync("/api/deployments/gh-anything/status", Json(body));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.NotNull(response.Headers.RetryAfter);
        }
    }

    [Fact]
    public async Task With_the_database_unreachable_a_new_deployment_is_a_503_with_retry_after_not_a_500()
    {
        // Reporting a deployment checks the token in the authentication handler first; the fault drill's cluster kill
        // had it answer 500 (the exception went through). The token cannot be checked: a 503, not a 401 either.
        await using var down = IngestionDatabaseDown();
        using var client = TokenClient(down);

        var response = await client.PostAsync("/api/deployments", Json(NewBody()));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal("Temporarily unavailable", (await BodyAsync(response))["title"]!.GetValue<string>());
    }

    /// <summary>The app with the ingestion pool pointed at a port nothing listens on; the rest of the app is unchanged.</summary>
    private WebApplicationFactory<Program> IngestionDatabaseDown() => app.Factory.WithWebHostBuilder(b => b.ConfigureServices(services =>
        services.AddKeyedSingleton(nameof(DeploymentIngestion), (_, _) =>
            DeploymentIngestion.CreateDataSource("Host=127.0.0.1;Port=1;Username=admin_app;Password=x;Database=admin;Timeout=2"))));

    private static HttpClient TokenClient(WebApplicationFactory<Program> factory)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "adm_" + new string('x', 40));
        return client;
    }

    [Theory]
    [InlineData("{\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\"}", "externalId")]
    [InlineData("{\"externalId\":\"x1\",\"service\":\"bad service!\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\"}", "service")]
    [InlineData("{\"externalId\":\"x2\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"xyz\"}", "commitSha")]
    [InlineData("{\"externalId\":\"x3\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\",\"commitTime\":\"yesterday\"}", "commitTime")]
    [InlineData("{\"externalId\":\"x4\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\",\"releaseId\":-3}", "releaseId")]
    [InlineData("{\"externalId\":\"x6\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\",\"releaseId\":999999}", "releaseId")]
    [InlineData("{\"externalId\":\"x5\",\"service\":\"a\",\"environment\":\"mars\",\"version\":\"1\",\"commitSha\":\"abcdef1\"}", "environment")]
    [InlineData("{\"externalId\":7}", "externalId")]
    [InlineData("[1,2]", "body")]
    [InlineData("{not json", "body")]
    [InlineData("", "body")]
    // PostgreSQL text cannot hold U+0000: a 400 naming the field, not a database error answered as 503.
    [InlineData("{\"externalId\":\"a\\u0000b\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\"}", "externalId")]
    [InlineData("{\"externalId\":\"x6\",\"service\":\"a\",\"environment\":\"staging\",\"version\":\"1\",\"commitSha\":\"abcdef1\",\"message\":\"\\u0000\"}", "message")]
    public async Task Malformed_bodies_get_400_problem_json_naming_the_field(string body, string field)
    {
        var (client, _) = await TokenClientAsync();
        var response = await client.PostAsync("/api/deployments", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = await BodyAsync(response);
        Assert.Equal(field, problem["field"]!.GetValue<string>());
        Assert.StartsWith(field, problem["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_status_post_with_an_unknown_status_is_400_and_an_invalid_transition_409_with_the_reason()
    {
        var (client, _) = await TokenClientAsync();
        var created = await BodyAsync(await client.PostAsync("/api/deployments", Json(NewBody())));
        var id = created["externalId"]!.GetValue<string>();

        var unknown = await client.PostAsync($"/api/deployments/{id}/status", Json("{\"status\":\"deployed\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("status", (await BodyAsync(unknown))["field"]!.GetValue<string>());

        var invalid = await client.PostAsync($"/api/deployments/{id}/status", Json("{\"status\":\"RolledBack\"}"));
        Assert.Equal(HttpStatusCode.Conflict, invalid.StatusCode);
        Assert.Contains("only a succeeded deployment can be rolled back", (await BodyAsync(invalid))["detail"]!.GetValue<string>());

        var started = await client.PostAsync($"/api/deployments/{created["id"]}/status", Json("{\"status\":\"InProgress\",\"message\":\"rolling\"}"));
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        Assert.Equal("in_progress", (await BodyAsync(started))["status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync("/api/deployments/no-such-run/status", Json("{\"status\":\"failed\"}"))).StatusCode);
    }

    [Fact]
    public async Task Idempotency_key_replays_the_same_response_and_refuses_another_body_with_422()
    {
        var (client, _) = await TokenClientAsync();
        var body = NewBody();
        var key = Guid.NewGuid().ToString();
        HttpRequestMessage Post(string json) => new(HttpMethod.Post, "/api/deployments") { Content = Json(json), Headers = { { "Idempotency-Key", key } } };

        var first = await client.SendAsync(Post(body));
        var second = await client.SendAsync(Post(body));
        var other = await client.SendAsync(Post(NewBody()));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.False(first.Headers.Contains("Idempotency-Replayed"));
        Assert.Equal("true", second.Headers.GetValues("Idempotency-Replayed").Single());
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode)422, other.StatusCode);
        Assert.Equal("Idempotency-Key", (await BodyAsync(other))["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_openapi_document_describes_both_endpoints_with_the_bearer_scheme_and_swagger_ui_is_served_to_signed_in_users()
    {
        using var anonymous = app.Anonymous();
        var document = JsonNode.Parse(await anonymous.GetStringAsync("/openapi/v1.json"))!;
        Assert.NotNull(document["paths"]!["/api/deployments"]!["post"]);
        Assert.NotNull(document["paths"]!["/api/deployments/{id}/status"]!["post"]);
        Assert.Equal("bearer", document["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
        Assert.NotNull(document["components"]!["schemas"]!["CreateDeploymentRequest"]);
        // The scope: a 403 with the token's lists, described on both endpoints, and the requester rule on requestedBy.
        foreach (var path in new[] { "/api/deployments", "/api/deployments/{id}/status" })
        {
            var forbidden = document["paths"]![path]!["post"]!["responses"]!["403"]!["content"]!["application/problem+json"]!;
            Assert.EndsWith("TokenScopeProblem", forbidden["schema"]!["$ref"]!.GetValue<string>());
            Assert.Contains("only the services and environments", document["paths"]![path]!["post"]!["description"]!.GetValue<string>());
        }
        var scopeProblem = document["components"]!["schemas"]!["TokenScopeProblem"]!["properties"]!;
        Assert.Contains("every environment", scopeProblem["tokenEnvironments"]!["description"]!.GetValue<string>());
        Assert.NotNull(scopeProblem["tokenServices"]);
        Assert.Contains("enabled console user",
            document["components"]!["schemas"]!["CreateDeploymentRequest"]!["properties"]!["requestedBy"]!["description"]!.GetValue<string>());
        // Every answer the endpoints give is described, the body limit and the export included.
        foreach (var (path, codes) in new[] { ("/api/deployments", "400 401 403 409 413 422 503"), ("/api/deployments/{id}/status", "400 401 403 404 409 413 422 503"),
                                              ("/api/deployments/export", "400 401 413 422") })
            foreach (var code in codes.Split(' '))
                Assert.True(document["paths"]![path]!["post"]!["responses"]![code] is not null, $"{path} {code}");

        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync("/api-docs/index.html")).StatusCode);
        var demo = DemoLogins.For(AppRoles.ReleaseManager);
        using var signedIn = await app.SignedInAsync(demo.Email, demo.Password);
        var ui = await signedIn.GetAsync("/api-docs/index.html");
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("swagger", await ui.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(AppRoles.Admin, HttpStatusCode.OK)]
    [InlineData(AppRoles.ReleaseManager, HttpStatusCode.Redirect)]
    [InlineData(AppRoles.Editor, HttpStatusCode.Redirect)]
    [InlineData(AppRoles.Dba, HttpStatusCode.Redirect)]
    public async Task Only_admins_open_the_tokens_page(string role, HttpStatusCode expected)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync("/deployments/tokens");
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.Redirect) Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
        else Assert.Contains("data-testid=\"tokens-grid\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_tokens_page_asks_for_the_scope_and_lists_what_each_token_may_report()
    {
        var name = "scoped-" + Guid.NewGuid().ToString("N")[..6];
        await app.Database.NewTokenAsync(name, new TokenScope(["shop-api"], ["staging", "production"]));
        var demo = DemoLogins.For(AppRoles.Admin);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var html = System.Net.WebUtility.HtmlDecode(await client.GetStringAsync("/deployments/tokens"));

        Assert.Contains("data-testid=\"token-services\"", html);
        Assert.Contains("data-testid=\"token-environments\"", html);
        Assert.Contains("data-testid=\"token-all-environments\"", html);
        Assert.Contains("production (requires approval)", html);
        Assert.Matches($"{name}[\\s\\S]*?services \\[shop-api\\] in environments \\[staging, production\\]", html);
    }
}

/// <summary>Old idempotency keys and export bounds are forgotten; recent ones stay.</summary>
public sealed class IdempotencyRetentionTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Keys_older_than_a_day_and_export_bounds_older_than_a_week_are_deleted()
    {
        var (source, caller) = await app.Database.OpenIngestionAsync();
        await using (source)
        {
            var ingestion = new Admin.Data.Deployments.DeploymentIngestion(source);
            await ingestion.CreateAsync(caller, DeploymentFixtures.NewDeployment(), "old-key", [1]);
            await ingestion.CreateAsync(caller, DeploymentFixtures.NewDeployment(), "new-key", [2]);
            await using var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole);
            await owner.ExecuteAsync($"UPDATE api_idempotency_keys SET created_at = now() - interval '25 hours' WHERE token_id = '{caller.TokenId}' AND key = 'old-key'");
            await owner.ExecuteAsync("INSERT INTO deployment_exports VALUES ('user:x', 'e-old', '\\x01', 1, 1, now() - interval '8 days'), ('user:x', 'e-new', '\\x01', 1, 1, now())");

            Assert.True(await Admin.Data.Deployments.IngestionRetention.ForgetAsync(source) >= 2);

            Assert.Equal("new-key", await owner.ScalarAsync<string>($"SELECT string_agg(key, ',') FROM api_idempotency_keys WHERE token_id = '{caller.TokenId}'"));
            Assert.Equal("e-new", await owner.ScalarAsync<string>("SELECT string_agg(key, ',') FROM deployment_exports WHERE owner = 'user:x'"));
        }
    }
}
