namespace Admin.E2E;

/// <summary>The header's menus open in a real browser: the account menu (sign out) and, for DBAs, the alert bell.</summary>
public sealed class HeaderMenusTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task The_account_menu_opens_and_offers_sign_out() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));
        await page.WaitForInteractiveShellAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Account menu of {DemoUserWithRole(AppRoles.Editor).DisplayName}" }).ClickAsync();
        await Expect(page.GetByTestId("sign-out")).ToBeVisibleAsync();
        await page.Keyboard.PressAsync("Escape");

        // By keyboard too: focus the button, Enter.
        await page.GetByRole(AriaRole.Button, new() { Name = $"Account menu of {DemoUserWithRole(AppRoles.Editor).DisplayName}" }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("sign-out")).ToBeVisibleAsync();
    });
}
