using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Deployments;

/// <summary>POST /api/deployments/export over HTTP: by token and by cookie, headers, 400/422, wrong role refused.</summary>
public sealed class DeploymentExportHttpTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpClient> TokenClientAsync(string service = "export-any")
    {
        var created = await app.Database.NewTokenAsync("export-ci");
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Secret);
        await client.PostAsync("/api/deployments", Json($$"""{"externalId":"exp-{{Guid.NewGuid():N}}","service":"{{service}}","environment":"staging","version":"1","commitSha":"abcdef1"}"""));
        return client;
    }

    [Fact]
    public async Task A_token_exports_csv_with_count_bound_and_attachment_headers_and_a_repeat_by_key_is_identical()
    {
        var service = "export-" + Guid.NewGuid().ToString("N")[..8];
        using var client = await TokenClientAsync(service);
        HttpRequestMessage Request(string body) => new(HttpMethod.Post, "/api/deployments/export") { Content = Json(body), Headers = { { "Idempotency-Key", "exp-1" } } };

        var first = await client.SendAsync(Request($"{{\"format\":\"csv\",\"service\":\"{service}\"}}"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("text/csv", first.Content.Headers.ContentType!.MediaType);
        Assert.Equal("1", first.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal("attachment", first.Content.Headers.ContentDisposition!.DispositionType);
        var text = await first.Content.ReadAsStringAsync();
        Assert.Equal(2, text.TrimEnd('\n').Split('\n').Length);

        var again = await client.SendAsync(Request($"{{\"format\":\"csv\",\"service\":\"{service}\"}}"));
        Assert.Equal(text, await again.Content.ReadAsStringAsync());
        Assert.Equal("true", again.Headers.GetValues("Idempotency-Replayed").Single());

        var other = await client.SendAsync(Request($"{{\"format\":\"json\",\"service\":\"{service}\"}}"));
        Assert.Equal((HttpStatusCode)422, other.StatusCode);
    }

    [Theory]
    [InlineData("{\"format\":\"xml\"}", "format")]
    [InlineData("{\"status\":\"done\"}", "status")]
    [InlineData("{\"from\":\"last week\"}", "from")]
    [InlineData("{\"from\":\"2026-02-01\",\"to\":\"2026-01-01\"}", "to")]
    [InlineData("nope", "body")]
    // A filter of the wrong type or shape is refused, never ignored (which would export everything).
    [InlineData("{\"environment\":5}", "environment")]
    [InlineData("{\"environment\":\"Prod env\"}", "environment")]
    [InlineData("{\"service\":[\"shop-api\"]}", "service")]
    [InlineData("{\"status\":true}", "status")]
    [InlineData("{\"from\":20260101}", "from")]
    [InlineData("{\"text\":{\"like\":\"x\"}}", "text")]
    [InlineData("{\"text\":\"a\\u0000\"}", "text")]
    public async Task Bad_filters_get_400_naming_the_field(string body, string field)
    {
        using var client = await TokenClientAsync();
        var response = await client.PostAsync("/api/deployments/export", Json(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"field\":\"{field}\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_body_over_64_kB_is_413_as_on_the_ingestion_endpoints()
    {
        using var client = await TokenClientAsync();
        var response = await client.PostAsync("/api/deployments/export", Json($"{{\"text\":\"{new string('x', 70_000)}\"}}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("\"field\":\"body\"", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(AppRoles.ReleaseManager, HttpStatusCode.OK)]
    [InlineData(AppRoles.Admin, HttpStatusCode.OK)]
    [InlineData(AppRoles.Editor, HttpStatusCode.Forbidden)]
    [InlineData(AppRoles.Dba, HttpStatusCode.Forbidden)]
    public async Task Signed_in_release_managers_and_admins_export_and_other_roles_are_refused(string role, HttpStatusCode expected)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.PostAsync("/api/deployments/export", Json("{\"format\":\"json\"}"));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Anonymous_export_is_401_without_a_redirect()
    {
        using var client = app.Anonymous();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/deployments/export", Json("{}"))).StatusCode);
    }
    [Fact]
    public async Task With_the_database_unreachable_an_export_is_a_503_with_retry_after_not_a_500()
    {
        // The token is checked by the ingestion pool (up); the export's own contexts point at a port nothing listens on,
        // as during a PostgreSQL restart (the fault drill found a 500 here).
        var created = await app.Database.NewTokenAsync("export-down");
        await using var down = app.Factory.WithWebHostBuilder(b => b.ConfigureServices(services =>
            services.AddScoped(_ => new Admin.Data.Deployments.DeploymentExporter(new UnreachableContexts()))));
        using var client = down.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", created.Secret);

        var response = await client.PostAsync("/api/deployments/export", Json("{\"format\":\"csv\"}"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    private sealed class UnreachableContexts : Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Data.AdminDbContext>
    {
        public Admin.Data.AdminDbContext CreateDbContext() => new(new Microsoft.EntityFrameworkCore.DbContextOptionsBuilder<Admin.Data.AdminDbContext>()
            .UseNpgsql("Host=127.0.0.1;Port=1;Username=admin_app;Password=x;Database=admin;Timeout=2").Options);
    }
}
