using System.Net;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Http;

public sealed class OperationsTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Healthz_says_alive_and_readyz_checks_database_and_migrations()
    {
        using var client = app.Anonymous();
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
        Assert.Equal("Healthy", await client.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task Readyz_fails_when_a_migration_is_missing()
    {
        await using (var owner = await app.Database.OpenAsync(TestSupport.TestPostgres.OwnerRole))
            await TestSupport.TestPostgres.ExecuteAsync(owner, "DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = '20261122000001_Foundation'");
        try
        {
            using var client = app.Anonymous();
            var response = await client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        finally
        {
            await using var owner = await app.Database.OpenAsync(TestSupport.TestPostgres.OwnerRole);
            await TestSupport.TestPostgres.ExecuteAsync(owner,
                "INSERT INTO \"__EFMigrationsHistory\" VALUES ('20261122000001_Foundation', '10.0.14')");
        }
    }

    [Fact]
    public async Task Every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept()
    {
        using var client = app.Anonymous();
        var generated = await client.GetAsync("/healthz");
        Assert.Matches("^req_[0-9a-f]{20}$", generated.Headers.GetValues("X-Request-Id").Single());

        var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        request.Headers.Add("X-Request-Id", "caller-supplied-1234");
        var echoed = await client.SendAsync(request);
        Assert.Equal("caller-supplied-1234", echoed.Headers.GetValues("X-Request-Id").Single());

        var hostile = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        hostile.Headers.TryAddWithoutValidation("X-Request-Id", "<script>alert(1)</script>");
        var replaced = await client.SendAsync(hostile);
        Assert.StartsWith("req_", replaced.Headers.GetValues("X-Request-Id").Single());
    }

    [Fact]
    public async Task Unknown_page_shows_the_friendly_404_with_the_request_id()
    {
        var demo = DemoLogins.For(AppRoles.Editor);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync("/no-such-page");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is nothing at this address", html);
        Assert.Contains(response.Headers.GetValues("X-Request-Id").Single(), html);
    }

    [Fact]
    public async Task Error_page_shows_the_request_id_and_no_stack_trace()
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync("/error");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Something went wrong", html);
        Assert.Contains(response.Headers.GetValues("X-Request-Id").Single(), html);
        Assert.DoesNotContain("Exception", html);
    }

    [Theory]
    // .NET 10's client (the SDK's own; .NET 9's had no circuit resume), and the reconnect dialog's module and styles.
    [InlineData("/_framework/blazor.web.js", "resumeCircuit")]
    [InlineData("/Components/Layout/ReconnectModal.razor.js", "components-reconnect-state-changed")]
    [InlineData("/Admin.Web.styles.css", ".components-reconnect-retrying")]
    [InlineData("/lib/apexcharts/apexcharts.min.js", "ApexCharts")]
    [InlineData("/lib/signalr/signalr.min.js", "signalR")]
    [InlineData("/js/apexchart.js", "export async function create")]
    public async Task Framework_and_build_step_assets_are_served(string path, string marker)
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(marker, await response.Content.ReadAsStringAsync());
    }
}
