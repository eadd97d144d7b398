using System.Net;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Database;

/// <summary>An app with one extra monitoring target that nobody listens on.</summary>
public sealed class MonitoringWebAppFixture : WebAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Monitoring:Targets:nowhere"] = "Host=127.0.0.1;Port=1;Database=nothing;Username=nobody;Password=x",
    };
}

/// <summary>The Overview and Indexes pages as the server first renders them, by role and by target.</summary>
public sealed class DatabasePagesHttpTests(MonitoringWebAppFixture app) : IClassFixture<MonitoringWebAppFixture>
{
    private async Task<HttpResponseMessage> GetAsync(string path, string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        return await client.GetAsync(path);
    }

    private async Task<string> PageAsync(string path, string role = AppRoles.Dba)
    {
        var response = await GetAsync(path, role);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_dba_sees_the_health_checks_and_the_pre_deploy_checklist_on_the_overview()
    {
        var html = await PageAsync("/database");

        Assert.Contains("data-testid=\"server-facts\"", html);
        foreach (var title in new[] { "Cache hit ratio", "Index hit rate", "Invalid indexes", "Unused indexes over 1 MB", "Duplicate indexes",
                     "Blocked queries", "Sequences near exhaustion", "Transaction id wraparound", "Materialized views without unique index" })
            Assert.Contains(title, html);
        Assert.Contains("Pre-deploy checks", html);
        Assert.Contains("No blocking locks", html);
        Assert.Contains("data-testid=\"predeploy-overall\"", html);
    }

    [Fact]
    public async Task A_dba_sees_every_index_with_its_definition_on_the_indexes_page()
    {
        var html = await PageAsync("/database/indexes");

        Assert.Contains("data-testid=\"index-grid\"", html);
        Assert.Contains("CREATE UNIQUE INDEX", html);
        Assert.Contains("Scans per table", html);
        Assert.Contains("primary", html);
    }

    [Theory]
    [InlineData("/database")]
    [InlineData("/database/indexes")]
    public async Task An_unreachable_target_gives_a_clear_message_and_no_stack_trace(string path)
    {
        var html = await PageAsync(path + "?target=nowhere");

        Assert.Contains("Target “nowhere” cannot be reached", html);
        Assert.DoesNotContain("   at ", html);
        Assert.Contains("data-testid=\"target-picker\"", html);
    }

    [Theory]
    [InlineData("/database")]
    [InlineData("/database/indexes")]
    public Task An_editor_is_refused(string path) => app.AssertRefusedAsync(path, AppRoles.Editor);
}
