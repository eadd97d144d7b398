using System.Net;
using System.Text.Json;
using Admin.TestSupport;
using Microsoft.AspNetCore.Hosting;

namespace Admin.Web.Tests.Http;

/// <summary>
/// What a deployment needs and what it must not carry: no password in appsettings.json, no owner credentials at run time
/// when migrations are run elsewhere, and demo users (with published passwords) in Development only.
/// </summary>
public sealed class SecretsAndStartupTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Admin.sln"))) return dir.FullName;
        throw new InvalidOperationException("Admin.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Appsettings_json_carries_no_password_and_no_connection_string()
    {
        var text = File.ReadAllText(Path.Combine(RepoRoot(), "src", "Admin.Web", "appsettings.json"));
        Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
        using var json = JsonDocument.Parse(text);
        Assert.False(json.RootElement.TryGetProperty("ConnectionStrings", out _), "connection strings belong in Development settings or environment variables");
    }

    [Fact]
    public async Task With_migrations_run_elsewhere_the_app_serves_without_owner_credentials()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AdminAppFactory(db, demoSeed: false, new Dictionary<string, string?>
        {
            ["Admin:MigrateOnStartup"] = "false",
            // Unusable on purpose: anything that needed the owner at run time would fail.
            ["ConnectionStrings:AdminOwner"] = "Host=127.0.0.1;Port=1;Database=nowhere;Username=admin_owner;Password=wrong;Timeout=1",
        });
        using var client = app.CreateClient();

        Assert.Equal("Healthy", (await Readyz.WaitReadyAsync(client)).Json.GetProperty("status").GetString());
        var login = await client.GetAsync("/Account/Login");
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("Production")]
    public async Task Demo_users_are_seeded_in_development_only(string environment)
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = new AdminAppFactory(db, demoSeed: true).WithWebHostBuilder(b => b.UseEnvironment(environment));
        _ = app.Server;

        await using var connection = await db.OpenAppAsAdminAsync();
        Assert.Equal(0L, await connection.ScalarAsync<long>("SELECT count(*) FROM users"));
    }
}
