using Admin.Data.Database;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Database;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Database;

/// <summary>
/// An app with two more targets where pg_stat_statements cannot work: "nostat", a database without the extension, and
/// "notloaded", a server of its own (a temporary cluster) where the extension exists but the library is not preloaded.
/// </summary>
public sealed class StatementsUnavailableWebAppFixture : WebAppFixture
{
    private TestDatabase _bare = null!;
    private TemporaryCluster _cluster = null!;
    private Dictionary<string, string?> _settings = [];

    protected override IReadOnlyDictionary<string, string?> Settings => _settings;

    public override async Task InitializeAsync()
    {
        _bare = await TestDatabase.CreateEmptyAsync(statements: false);
        await using (var owner = await _bare.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("CREATE TABLE plain_rows (id int PRIMARY KEY); INSERT INTO plain_rows SELECT generate_series(1, 100);");
        _cluster = await TemporaryCluster.StartAsync();
        await using (var super = new Npgsql.NpgsqlConnection(_cluster.ConnectionString()))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("CREATE EXTENSION pg_stat_statements");
        }
        _settings = new()
        {
            ["Monitoring:Targets:nostat"] = _bare.AppConnectionString,
            ["Monitoring:Targets:notloaded"] = _cluster.ConnectionString(),
        };
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _cluster.DisposeAsync();
        await _bare.DisposeAsync();
    }
}

/// <summary>The panels on targets without a working pg_stat_statements: a plain explanation where statements are needed, data everywhere else.</summary>
public sealed class StatementsUnavailableWebTests(StatementsUnavailableWebAppFixture app) : IClassFixture<StatementsUnavailableWebAppFixture>
{
    public static TheoryData<string, string> Targets => new()
    {
        { "nostat", SlowQueries.MissingExtension },
        { "notloaded", SlowQueries.NotPreloaded },
    };

    private Task<string> PageAsync(string path) => app.PageAsync(path, AppRoles.Dba);

    [Theory, MemberData(nameof(Targets))]
    public async Task The_slow_query_pages_explain_what_is_missing_instead_of_failing(string target, string explanation)
    {
        var list = await PageAsync($"/database/queries?target={target}");
        Assert.Contains("data-testid=\"target-problem\"", list);
        Assert.Contains(explanation, list);
        Assert.DoesNotContain("data-testid=\"query-grid\"", list);

        var detail = await PageAsync($"/database/queries/4242?target={target}");
        Assert.Contains(explanation, detail);
        Assert.DoesNotContain("   at ", detail);

        await using var scope = app.Factory.Services.CreateAsyncScope();
        var reset = await scope.ServiceProvider.GetRequiredService<DatabaseQueries>()
            .ResetAsync(target, TestPrincipals.WithRole(AppRoles.Dba, "dba-nostat@test.local"));
        Assert.False(reset.Succeeded);
        Assert.Equal(explanation, reset.Message);
    }

    [Theory]
    [InlineData("nostat", "not installed")]
    [InlineData("notloaded", "not loaded")]
    public async Task The_overview_says_so_and_every_other_panel_shows_its_data(string target, string status)
    {
        var overview = await PageAsync($"/database?target={target}");
        Assert.Contains($"<span class=\"stat-value\">{status}</span>", overview);
        Assert.Contains("data-testid=\"health-checks\"", overview);
        Assert.DoesNotContain("data-testid=\"target-error\"", overview);

        foreach (var path in new[] { "/database/indexes", "/database/tables", "/database/activity" })
        {
            var html = await PageAsync($"{path}?target={target}");
            Assert.DoesNotContain("data-testid=\"target-problem\"", html);
            Assert.DoesNotContain("data-testid=\"target-error\"", html);
        }
        Assert.Contains("plain_rows", await PageAsync("/database/tables?target=nostat"));
    }

    [Fact]
    public async Task The_sampler_samples_those_targets_tables_without_an_error()
    {
        var history = app.Factory.Services.GetRequiredService<StatisticsHistory>();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        SamplerRun? nostat, notloaded;
        do
        {
            nostat = await history.LastRunAsync("nostat");
            notloaded = await history.LastRunAsync("notloaded");
            if (nostat is not null && notloaded is not null) break;
            await Task.Delay(200);
        } while (DateTime.UtcNow < deadline);

        Assert.NotNull(nostat);
        Assert.Null(nostat.Error);
        Assert.Equal(0, nostat.Statements);
        Assert.True(nostat.Tables > 0, "the database's tables are sampled");
        Assert.NotNull(notloaded);
        Assert.Null(notloaded.Error);
        Assert.Equal(0, notloaded.Statements);
    }
}
