using Admin.Web.Components;
using Admin.Web.Components.Layout;

namespace Admin.E2E;

public sealed class UsersTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task An_admin_creates_a_user_who_can_then_sign_in_and_sees_only_their_role() => RunAsync(async page =>
    {
        var email = TestUsers.NewEmail("created");
        const string displayName = "Rhea Created";
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.GotoAsync(Areas.Users.Path);
        await page.WaitForInteractiveShellAsync();

        await page.ClickAsync("[data-testid=new-user]");
        var editor = page.GetByRole(AriaRole.Dialog, new() { Name = "New user" });
        await editor.GetByLabel("Email").FillAsync(email);
        await editor.GetByLabel("Display name").FillAsync(displayName);
        await editor.GetByLabel("Initial password").FillAsync(TestUsers.Password);
        await editor.GetByRole(AriaRole.Checkbox, new() { Name = AppRoles.Label(AppRoles.ReleaseManager), Exact = true }).ClickAsync();
        await page.SaveReviewScreenshotAsync("users-new-user-dialog");
        await editor.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();

        await Expect(editor).ToHaveCountAsync(0);
        var row = page.Locator("[data-testid=users-grid] tr", new() { HasText = email });
        await Expect(row).ToContainTextAsync(displayName);
        await Expect(row).ToContainTextAsync(AppRoles.Label(AppRoles.ReleaseManager));
        // In the DOM is not enough: the user column must have room to show who the row is.
        var userCell = await row.Locator(".user-cell").BoundingBoxAsync();
        Assert.True(userCell is { Width: >= 150 }, $"the user column is {userCell?.Width ?? 0:0} px wide");
        await page.SaveReviewScreenshotAsync("users");
        await page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = ThemePreference.DarkValue, Url = App.BaseUrl.ToString() }]);
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await page.SaveReviewScreenshotAsync("users-dark");
        await page.GetByRole(AriaRole.Button, new() { Name = $"Reset password of {email}" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog)).ToBeVisibleAsync();
        await page.SaveReviewScreenshotAsync("users-password-reset-dialog-dark");
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        var theirs = await NewPageAsync();
        await App.LoginAsync(theirs, email, TestUsers.Password);
        await Expect(theirs.Locator("[data-testid=user-name]")).ToHaveTextAsync(displayName);
        Assert.Equal(AreasFor(AppRoles.ReleaseManager), await theirs.AreaKeysAsync(".nav-menu [data-area]"));
    });
}
