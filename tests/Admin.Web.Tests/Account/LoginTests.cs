using System.Net;
using Admin.Data.Audit;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Account;

public sealed class LoginTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private async Task<(string Action, string? Email, string? RequestId, string? Roles)?> LastAuditAsync(string email)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT action, actor_email, request_id, array_to_string(actor_roles, ',') FROM audit_events " +
            "WHERE new_data->>'email' = @e OR actor_email = @e ORDER BY occurred_at DESC, id DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("e", email);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3));
    }

    private async Task<string> CreateUserAsync(string role, string password = "Correct-Horse-42")
    {
        var email = $"login-{Guid.NewGuid():N}@test.local";
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = email, Email = email, DisplayName = "Login Test" };
        Assert.True((await users.CreateAsync(user, password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return email;
    }

    [Fact]
    public async Task Successful_login_sets_the_cookie_redirects_home_and_is_audited_with_the_request_id()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        using var client = app.Anonymous();

        var response = await WebAppFixture.PostLoginAsync(client, email, "Correct-Horse-42");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.AbsolutePath);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("admin.auth="));
        var audit = await LastAuditAsync(email);
        Assert.Equal(AuditActions.LoginSucceeded, audit?.Action);
        Assert.Equal(response.Headers.GetValues("X-Request-Id").Single(), audit?.RequestId);
        Assert.Equal(AppRoles.Editor, audit?.Roles);
    }

    [Fact]
    public async Task Return_url_is_honoured_only_when_local()
    {
        var email = await CreateUserAsync(AppRoles.Dba);
        using var local = app.Anonymous();
        var toAudit = await WebAppFixture.PostLoginAsync(local, email, "Correct-Horse-42", "/audit");
        Assert.Equal("/audit", toAudit.Headers.Location!.AbsolutePath);

        using var hostile = app.Anonymous();
        var offsite = await WebAppFixture.PostLoginAsync(hostile, email, "Correct-Horse-42", "//evil.example/phish");
        Assert.Equal("http://localhost/", offsite.Headers.Location!.AbsoluteUri);
    }

    [Fact]
    public async Task Wrong_password_shows_a_plain_message_and_is_audited()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        using var client = app.Anonymous();

        var response = await WebAppFixture.PostLoginAsync(client, email, "Wrong-Password-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("do not match an account", await response.Content.ReadAsStringAsync());
        Assert.Equal(AuditActions.LoginFailed, (await LastAuditAsync(email))?.Action);
    }

    [Fact]
    public async Task Unknown_email_is_audited_as_a_failure_without_an_actor()
    {
        var email = $"nobody-{Guid.NewGuid():N}@test.local";
        using var client = app.Anonymous();
        var response = await WebAppFixture.PostLoginAsync(client, email, "Whatever-Password-1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var audit = await LastAuditAsync(email);
        Assert.Equal(AuditActions.LoginFailed, audit?.Action);
    }

    [Fact]
    public async Task Five_failures_lock_the_account_even_for_the_right_password()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        using var client = app.Anonymous();
        for (var i = 0; i < 5; i++)
            await WebAppFixture.PostLoginAsync(client, email, $"Wrong-Password-{i}");

        var response = await WebAppFixture.PostLoginAsync(client, email, "Correct-Horse-42");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("locked for 15 minutes", await response.Content.ReadAsStringAsync());
        Assert.Equal(AuditActions.LockedOut, (await LastAuditAsync(email))?.Action);
    }

    [Fact]
    public async Task Disabled_account_cannot_sign_in()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        await using (var scope = app.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var user = await users.FindByEmailAsync(email);
            user!.IsDisabled = true;
            await users.UpdateAsync(user);
        }
        using var client = app.Anonymous();
        var response = await WebAppFixture.PostLoginAsync(client, email, "Correct-Horse-42");
        Assert.Contains("This account is disabled", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Demo_users_are_never_seeded_in_production()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var production = new AdminAppFactory(db, demoSeed: true)
            .WithWebHostBuilder(b => b.UseEnvironment("Production"));
        _ = production.Server;

        await using var connection = await db.OpenAppAsAdminAsync();
        Assert.Equal(0L, await connection.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.Equal(0L, await connection.ScalarAsync<long>("SELECT count(*) FROM brands"));
    }

    [Fact]
    public async Task Empty_form_gets_field_messages_not_an_error()
    {
        using var client = app.Anonymous();
        var response = await WebAppFixture.PostLoginAsync(client, "", "");
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Enter your email address.", html);
        Assert.Contains("Enter your password.", html);
    }

    [Fact]
    public async Task Logout_ends_the_session_and_is_audited()
    {
        var email = await CreateUserAsync(AppRoles.ReleaseManager);
        using var client = await app.SignedInAsync(email, "Correct-Horse-42");
        var home = await client.GetStringAsync("/");

        var response = await client.PostAsync("/Account/Logout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebAppFixture.AntiforgeryToken(home),
        }));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("You are signed out.", await client.GetStringAsync(response.Headers.Location!.OriginalString));
        Assert.Equal(AuditActions.Logout, (await LastAuditAsync(email))?.Action);
        var after = await client.GetAsync("/releases");
        Assert.Equal("/Account/Login", after.Headers.Location!.AbsolutePath);
    }
}
