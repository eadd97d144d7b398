using System.Text.RegularExpressions;
using Admin.Web.Components;

namespace Admin.E2E;

public sealed class ThemeTests(AppFixture app) : BrowserTest(app)
{
    // RadzenAppearanceToggle renders a toggle button (rz-toggle-button) in the header; RadzenTheme a link with this id.
    private const string Toggle = ".shell-header button.rz-toggle-button";
    private const string ThemeLink = "link#radzen-theme-link";
    private static readonly Regex Dark = new("css/material-dark");

    [Fact]
    public Task The_dark_theme_chosen_with_the_header_toggle_is_remembered_after_a_reload() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        var link = page.Locator(ThemeLink);
        await Expect(link).Not.ToHaveAttributeAsync("href", Dark);

        await page.ClickAsync(Toggle);
        await Expect(link).ToHaveAttributeAsync("href", Dark);
        await WaitForThemeCookieAsync(page, "material-dark");

        // The server renders the remembered theme in the first paint, not only the running circuit.
        var reloaded = await page.ReloadAsync();
        Assert.Matches(Dark, await reloaded!.TextAsync());
        await page.WaitForInteractiveShellAsync();
        await Expect(link).ToHaveAttributeAsync("href", Dark);
        await page.SaveReviewScreenshotAsync("home-admin-dark");

        await page.ClickAsync(Toggle);
        await Expect(link).Not.ToHaveAttributeAsync("href", Dark);
        await WaitForThemeCookieAsync(page, "material");
    });

    private static Task WaitForThemeCookieAsync(IPage page, string theme) =>
        page.WaitForFunctionAsync("cookie => document.cookie.split('; ').includes(cookie)", $"{ShellExtensions.ThemeCookie}={theme}");
}
