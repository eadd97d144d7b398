using System.Net;
using Admin.Data.Live;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Http;

public sealed class OperationsTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    [Fact]
    public async Task Healthz_says_alive_and_readyz_reports_database_listener_and_migrations_each_healthy()
    {
        using var client = app.Anonymous();
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));

        var ready = await Readyz.WaitReadyAsync(client);
        Assert.Equal("Healthy", ready.Json.GetProperty("status").GetString());
        Assert.Equal(["database", "listener", "migrations"], ready.Json.GetProperty("checks").EnumerateObject().Select(p => p.Name).Order());
        Assert.All(["database", "listener", "migrations"], name => Assert.Equal("Healthy", ready.StatusOf(name)));
        Assert.InRange(ready.Check("database").GetProperty("latencyMs").GetDouble(), 0, 5000);
        Assert.Equal("Connected", ready.Check("listener").GetProperty("state").GetString());
        var connectedAt = ready.Check("listener").GetProperty("connectedAt").GetDateTimeOffset();
        Assert.InRange(connectedAt, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow);
        await using (var db = app.Database.CreateAppContext())
            Assert.Equal(db.Database.GetMigrations().Last(), ready.Check("migrations").GetProperty("latest").GetString());
        Assert.Equal(0, ready.Check("migrations").GetProperty("pending").GetArrayLength());
        AssertNoSecrets(ready.Text, app.Database.AppConnectionString);
    }

    [Fact]
    public async Task Readyz_is_503_and_lists_a_missing_migration_while_the_rest_stays_healthy()
    {
        using var client = app.Anonymous();
        await Readyz.WaitReadyAsync(client);
        await using (var owner = await app.Database.OpenAsync(TestSupport.TestPostgres.OwnerRole))
            await TestSupport.TestPostgres.ExecuteAsync(owner, "DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" = '20261122000001_Foundation'");
        try
        {
            var answer = await Readyz.GetAsync(client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
            Assert.Equal("Unhealthy", answer.Json.GetProperty("status").GetString());
            Assert.Equal("Unhealthy", answer.StatusOf("migrations"));
            Assert.Equal(["20261122000001_Foundation"], answer.Check("migrations").GetProperty("pending").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal("Healthy", answer.StatusOf("database"));
            Assert.Equal("Healthy", answer.StatusOf("listener"));
        }
        finally
        {
            await using var owner = await app.Database.OpenAsync(TestSupport.TestPostgres.OwnerRole);
            await TestSupport.TestPostgres.ExecuteAsync(owner,
                "INSERT INTO \"__EFMigrationsHistory\" VALUES ('20261122000001_Foundation', '10.0.14')");
        }
        Assert.Equal(HttpStatusCode.OK, (await Readyz.GetAsync(client)).Status);
    }

    [Fact]
    public async Task Readyz_is_503_while_the_live_listener_is_reconnecting()
    {
        using var client = app.Anonymous();
        await Readyz.WaitReadyAsync(client);
        var bus = app.Factory.Services.GetRequiredService<LiveBus>();
        var connectedAt = bus.ConnectedAt;
        bus.SetState(ListenerState.Reconnecting);
        try
        {
            var answer = await Readyz.GetAsync(client);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
            Assert.Equal("Unhealthy", answer.StatusOf("listener"));
            Assert.Equal("Reconnecting", answer.Check("listener").GetProperty("state").GetString());
            Assert.Contains("reconnecting", answer.Check("listener").GetProperty("description").GetString());
            Assert.Equal(connectedAt, answer.Check("listener").GetProperty("connectedAt").GetDateTimeOffset());
            Assert.Equal("Healthy", answer.StatusOf("database"));
            Assert.Equal("Healthy", answer.StatusOf("migrations"));
        }
        finally
        {
            bus.SetState(ListenerState.Connected);
        }
        Assert.Equal(HttpStatusCode.OK, (await Readyz.GetAsync(client)).Status);
    }

    [Fact]
    public async Task Readyz_is_503_with_the_database_unhealthy_while_postgresql_is_down_and_200_once_it_is_back()
    {
        await using var cluster = await TemporaryCluster.StartAsync();
        await cluster.CreateMigratedDatabaseAsync("admin_ready");
        var connection = cluster.ConnectionString("admin_ready", TestPostgres.AppRole);
        // The fixture's database only fills the factory's constructor: every connection string points at the cluster.
        await using var factory = new AdminAppFactory(app.Database, demoSeed: false, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Admin"] = connection,
            ["ConnectionStrings:AdminOwner"] = cluster.ConnectionString("admin_ready", TestPostgres.OwnerRole),
            ["ConnectionStrings:AdminExplain"] = cluster.ConnectionString("admin_ready", TestPostgres.ExplainRole),
        });
        using var client = factory.CreateClient();
        await Readyz.WaitReadyAsync(client);

        await cluster.StopAsync();
        var down = await Readyz.WaitForAsync(client, a => a.StatusOf("listener") != "Healthy");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
        Assert.Equal("Unhealthy", down.StatusOf("database"));
        Assert.StartsWith("the database does not answer", down.Check("database").GetProperty("description").GetString());
        Assert.Equal("Unhealthy", down.StatusOf("migrations"));
        Assert.Equal("Reconnecting", down.Check("listener").GetProperty("state").GetString());
        AssertNoSecrets(down.Text, connection);
        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));

        await cluster.StartAgainAsync();
        var back = await Readyz.WaitForAsync(client, a => a.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        Assert.All(["database", "listener", "migrations"], name => Assert.Equal("Healthy", back.StatusOf(name)));
        Assert.True(back.Check("listener").GetProperty("connectedAt").GetDateTimeOffset() > down.Check("listener").GetProperty("connectedAt").GetDateTimeOffset(),
            "connectedAt must move on when the listener reconnects");
    }

    /// <summary>No part of the connection string (host, port, database, role, password) appears in the answer.</summary>
    private static void AssertNoSecrets(string text, string connectionString)
    {
        var parts = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        foreach (var secret in new[] { parts.Host!, $":{parts.Port}", parts.Database!, parts.Username!, parts.Password ?? "password" })
            Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Password", text, StringComparison.OrdinalIgnoreCase);
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
