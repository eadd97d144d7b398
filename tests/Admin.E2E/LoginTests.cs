using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>
/// Failed sign-ins: the message, staying on the login page, and the lockout after five attempts, which the page does
/// not announce (a lockout message would tell a stranger the account exists): it says what it says for any failure.
/// </summary>
public sealed class LoginTests(AppFixture app) : BrowserTest(app)
{
    private const string NoMatch = "That email and password do not match an account";

    [Fact]
    public Task A_wrong_password_shows_an_error_and_stays_on_the_login_page() => RunAsync(async page =>
    {
        var user = await TestUsers.CreateAsync(App, "wrong", AppRoles.Editor);
        await page.GotoAsync("/Account/Login");

        await AppFixture.SubmitLoginAsync(page, user.Email, "Not-The-Password-1");

        await Expect(page.Locator("[data-testid=login-error]")).ToContainTextAsync(NoMatch);
        await AssertStillSignedOutAsync(page);
    });

    [Fact]
    public Task Five_wrong_passwords_lock_the_account_even_against_the_right_one() => RunAsync(async page =>
    {
        var user = await TestUsers.CreateAsync(App, "lockout", AppRoles.Editor);
        var error = page.Locator("[data-testid=login-error]");
        await page.GotoAsync("/Account/Login");

        for (var attempt = 1; attempt <= 5; attempt++)
        {
            await AppFixture.SubmitLoginAsync(page, user.Email, $"Wrong-Password-{attempt}");
            await Expect(error).ToContainTextAsync(NoMatch);
        }

        // Locked means locked: the right password is refused too, and no session starts.
        await AppFixture.SubmitLoginAsync(page, user.Email, user.Password);
        await Expect(error).ToContainTextAsync(NoMatch);
        await Expect(error).ToContainTextAsync("After 5 failed attempts an account is locked for 15 minutes");
        await AssertStillSignedOutAsync(page);
        await using var sql = await App.Database.OpenAppAsAdminAsync();
        Assert.Equal("auth.locked_out", await sql.ScalarAsync<string>(
            $"SELECT action FROM audit_events WHERE actor_email = '{user.Email}' ORDER BY id DESC LIMIT 1"));
    });

    /// <summary>Still on the login page, no shell, and no authentication cookie was issued.</summary>
    private static async Task AssertStillSignedOutAsync(IPage page)
    {
        Assert.Equal("/Account/Login", page.UrlPath());
        await Expect(page.Locator(".shell")).ToHaveCountAsync(0);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "admin.auth");
    }
}
