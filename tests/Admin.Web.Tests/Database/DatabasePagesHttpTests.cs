using Admin.Web.Components.Shared;
using System.Text.RegularExpressions;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;

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
    private Task<string> PageAsync(string path) => app.PageAsync(path, AppRoles.Dba);

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

    /// <summary>Two unused indexes of different sizes on a table of this test's own, and the statistics reset just now.</summary>
    private async Task<DateTimeOffset> PlantUnusedIndexesAndResetStatisticsAsync()
    {
        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                CREATE TABLE IF NOT EXISTS idx_probe (id int PRIMARY KEY, a int, b text);
                INSERT INTO idx_probe SELECT g, g % 10, md5(g::text) FROM generate_series(1, 5000) g ON CONFLICT DO NOTHING;
                CREATE INDEX IF NOT EXISTS idx_probe_small ON idx_probe (a);
                CREATE INDEX IF NOT EXISTS idx_probe_big ON idx_probe (b, a);
                """);
        await using var super = await TestPostgres.OpenSuperuserAsync(app.Database.Name);
        await super.ExecuteAsync("SELECT pg_stat_reset()");
        return await super.ScalarAsync<DateTime>("SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()");
    }

    private static IReadOnlyList<string> IndexNames(string html) =>
        Regex.Matches(html, "data-index=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task The_index_filter_search_and_sort_come_from_the_address()
    {
        await PlantUnusedIndexesAndResetStatisticsAsync();

        var bySizeDown = await PageAsync("/database/indexes?show=unused&q=idx_probe&sort=size&dir=desc");
        Assert.Equal(["idx_probe_big", "idx_probe_small"], IndexNames(bySizeDown)); // the unique primary key is never "unused"
        Assert.Contains("data-sort-dir=\"desc\"", Regex.Match(bySizeDown, "<a [^>]*data-sort=\"size\"[^>]*>").Value);
        // The header links keep the filter and turn the direction round.
        Assert.Contains("href=\"http://localhost/database/indexes?show=unused&q=idx_probe&sort=size\"", bySizeDown);

        Assert.Equal(["idx_probe_small", "idx_probe_big"], IndexNames(await PageAsync("/database/indexes?show=unused&q=idx_probe&sort=size")));
        Assert.Equal(["idx_probe_small", "idx_probe_pkey", "idx_probe_big"], IndexNames(await PageAsync("/database/indexes?q=idx_probe&sort=index&dir=desc")));
        Assert.Contains("No index matches “no_such_index”", await PageAsync("/database/indexes?q=no_such_index"));
    }

    [Fact]
    public async Task Unused_indexes_show_since_when_they_are_unused()
    {
        var reset = await PlantUnusedIndexesAndResetStatisticsAsync();
        var shown = new BrowserClock(null!).Format(reset); // the server renders in UTC until the browser tells its zone

        var html = await PageAsync("/database/indexes?show=unused&q=idx_probe");

        Assert.Contains($"Scans count since the statistics reset: <strong>{shown}</strong>", html);
        Assert.Contains($"title=\"No scan since {shown}\"", html);
        Assert.Contains($"statistics since {reset:yyyy-MM-dd HH:mm} UTC", await PageAsync("/database")); // the unused-indexes health check
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
