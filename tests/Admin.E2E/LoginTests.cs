namespace Admin.E2E;

/// <summary>Failed sign-ins: the message, staying on the login page, and the lockout after five attempts.</summary>
public sealed class LoginTests(AppFixture app) : BrowserTest(app)
{
    private const string NoMatch = "That email and password do not match an account";
    private const string Locked = "this account is locked";

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

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            await AppFixture.SubmitLoginAsync(page, user.Email, $"Wrong-Password-{attempt}");
            await Expect(error).ToContainTextAsync(NoMatch);
        }
        await AppFixture.SubmitLoginAsync(page, user.Email, "Wrong-Password-5");
        await Expect(error).ToContainTextAsync(Locked, new() { IgnoreCase = true });

        // Locked means locked: the right password is refused too, and no session starts.
        await AppFixture.SubmitLoginAsync(page, user.Email, user.Password);
        await Expect(error).ToContainTextAsync(Locked, new() { IgnoreCase = true });
        await AssertStillSignedOutAsync(page);
    });

    /// <summary>Still on the login page, no shell, and no authentication cookie was issued.</summary>
    private static async Task AssertStillSignedOutAsync(IPage page)
    {
        Assert.Equal("/Account/Login", page.UrlPath());
        await Expect(page.Locator(".shell")).ToHaveCountAsync(0);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "admin.auth");
    }
}
