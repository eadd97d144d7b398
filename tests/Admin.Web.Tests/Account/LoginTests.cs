using Admin.Data.Account;
using System.Diagnostics;
using System.Net;
using Admin.Data.Audit;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Web.Tests.Account;

[Collection(TimedCollection.Name)]
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

    private async Task<string> CreateUserAsync(string role) => (await TestAccounts.CreateAsync(app.Factory.Services, role, "login")).Email;

    private string FailureMessage
    {
        get
        {
            using var scope = app.Factory.Services.CreateScope();
            return scope.ServiceProvider.GetRequiredService<SignInService>().FailureMessage;
        }
    }

    /// <summary>The sign-in error's text as a person reads it (the alert's icon is an SVG without text).</summary>
    private static string? ErrorOf(string html) =>
        new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelector("[data-testid=login-error]")?.TextContent.Trim();

    [Fact]
    public async Task Successful_login_sets_the_cookie_redirects_home_and_is_audited_with_the_request_id()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        using var client = app.Anonymous();

        var response = await WebAppFixture.PostLoginAsync(client, email, TestAccounts.Password);

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
        var toAudit = await WebAppFixture.PostLoginAsync(local, email, TestAccounts.Password, "/audit");
        Assert.Equal("/audit", toAudit.Headers.Location!.AbsolutePath);

        using var hostile = app.Anonymous();
        var offsite = await WebAppFixture.PostLoginAsync(hostile, email, TestAccounts.Password, "//evil.example/phish");
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
    public async Task Five_failures_lock_the_account_even_for_the_right_password_with_the_same_words_as_any_failure()
    {
        var email = await CreateUserAsync(AppRoles.Editor);
        using var client = app.Anonymous();
        for (var i = 0; i < 5; i++)
            await WebAppFixture.PostLoginAsync(client, email, $"Wrong-Password-{i}");

        var response = await WebAppFixture.PostLoginAsync(client, email, TestAccounts.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A lockout message would tell a stranger that the account exists: the page says what it says for any failure.
        Assert.Equal(FailureMessage, ErrorOf(await response.Content.ReadAsStringAsync()));
        Assert.Contains("locked for 15 minutes", FailureMessage);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("admin.auth=")));
        Assert.Equal(AuditActions.LockedOut, (await LastAuditAsync(email))?.Action);
    }

    [Fact]
    public async Task Disabled_account_cannot_sign_in_and_hears_what_a_wrong_password_hears()
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
        var response = await WebAppFixture.PostLoginAsync(client, email, TestAccounts.Password);
        Assert.Equal(FailureMessage, ErrorOf(await response.Content.ReadAsStringAsync()));
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("admin.auth=")));
        Assert.Contains("account disabled", await ReasonAsync(email));
    }

    /// <summary>
    /// Unknown email, wrong password, disabled and locked account: the same words, and about the same time (each hashes
    /// the password once), so neither tells a stranger whether an account exists. Rounds interleave the four cases.
    /// </summary>
    [Fact]
    public async Task Unknown_wrong_disabled_and_locked_get_the_same_answer_in_about_the_same_time()
    {
        var wrong = await CreateUserAsync(AppRoles.Editor);
        var disabled = await CreateUserAsync(AppRoles.Editor);
        var locked = await CreateUserAsync(AppRoles.Editor);
        await using (var scope = app.Factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var d = (await users.FindByEmailAsync(disabled))!;
            d.IsDisabled = true;
            await users.UpdateAsync(d);
            await users.SetLockoutEndDateAsync((await users.FindByEmailAsync(locked))!, DateTimeOffset.UtcNow.AddHours(1));
        }
        using var client = app.Anonymous();
        var token = WebAppFixture.AntiforgeryToken(await client.GetStringAsync("/Account/Login"));
        var cases = new Dictionary<string, Func<string>>
        {
            ["unknown"] = () => $"nobody-{Guid.NewGuid():N}@test.local",
            ["wrong"] = () => wrong,
            ["disabled"] = () => disabled,
            ["locked"] = () => locked,
        };
        var times = cases.Keys.ToDictionary(k => k, _ => new List<double>());
        var messages = new HashSet<string?>();

        for (var round = -2; round < 15; round++) // two rounds to warm up, not counted
        {
            foreach (var (name, email) in cases.OrderBy(_ => Random.Shared.Next()))
            {
                var clock = Stopwatch.StartNew();
                var response = await client.PostAsync("/Account/Login", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["_handler"] = "login", ["__RequestVerificationToken"] = token,
                    ["Input.Email"] = email(), ["Input.Password"] = "Not-The-Password-1",
                }));
                var html = await response.Content.ReadAsStringAsync();
                clock.Stop();
                if (round >= 0) times[name].Add(clock.Elapsed.TotalMilliseconds);
                messages.Add(ErrorOf(html));
                if (name == "wrong") await ResetFailuresAsync(wrong); // stay below the lockout: this case is "wrong password"
            }
        }

        var medians = times.ToDictionary(t => t.Key, t => Figures.Median(t.Value));
        Console.WriteLine("Sign-in failure timing, median of 15 (ms): " + string.Join(", ", medians.Select(m => $"{m.Key} {m.Value:0.0}")) +
                          " | p90: " + string.Join(", ", times.Select(t => $"{t.Key} {Figures.P90(t.Value):0.0}")));
        Assert.Equal([FailureMessage], messages);
        Assert.Equal("wrong password", await ReasonAsync(wrong));
        // Each case hashes the password once (tens of ms); what remains is a database round trip or two.
        var spread = medians.Values.Max() - medians.Values.Min();
        Assert.True(spread <= Math.Max(15, 0.4 * medians["wrong"]), $"medians differ by {spread:0.0} ms");
    }

    private async Task ResetFailuresAsync(string email)
    {
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        await users.ResetAccessFailedCountAsync((await users.FindByEmailAsync(email))!);
    }

    private async Task<string?> ReasonAsync(string email)
    {
        await using var connection = await app.Database.OpenAppAsAdminAsync();
        await using var command = new NpgsqlCommand(
            "SELECT new_data->>'reason' FROM audit_events WHERE actor_email = @e ORDER BY id DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("e", email);
        return await command.ExecuteScalarAsync() as string;
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
        using var client = await app.SignedInAsync(email, TestAccounts.Password);
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
