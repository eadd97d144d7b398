using System.Text.RegularExpressions;
using Admin.Web.Components;
using Admin.Web.Components.Layout;

namespace Admin.E2E;

public sealed class ThemeTests(AppFixture app) : BrowserTest(app)
{
    // The dark palette's background (AdminTheme: #121219) as MudThemeProvider writes it into the page's style.
    private static readonly Regex DarkBackground = new(@"--mud-palette-background:\s*(#121219|rgba\(18,\s*18,\s*25)", RegexOptions.IgnoreCase);

    [Fact]
    public Task The_dark_theme_chosen_with_the_header_toggle_is_remembered_after_a_reload() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        var shell = page.Locator(".shell");
        await Expect(shell).ToHaveAttributeAsync("data-theme", "light");
        var lightBackground = await BackgroundAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Light or dark theme" }).ClickAsync();
        await Expect(shell).ToHaveAttributeAsync("data-theme", "dark");
        await WaitForThemeCookieAsync(page, ThemePreference.DarkValue);
        Assert.NotEqual(lightBackground, await BackgroundAsync(page));

        // The server renders the remembered theme in the first paint, not only the running circuit: the served HTML
        // carries the dark palette before any script runs.
        var reloaded = await page.ReloadAsync();
        var html = await reloaded!.TextAsync();
        Assert.Contains("data-theme=\"dark\"", html);
        Assert.Matches(DarkBackground, html);
        await page.WaitForInteractiveShellAsync();
        await Expect(shell).ToHaveAttributeAsync("data-theme", "dark");
        await page.SaveReviewScreenshotAsync("home-admin-dark");

        await page.GetByRole(AriaRole.Button, new() { Name = "Light or dark theme" }).ClickAsync();
        await Expect(shell).ToHaveAttributeAsync("data-theme", "light");
        await WaitForThemeCookieAsync(page, ThemePreference.LightValue);
    });

    [Fact]
    public Task The_sign_in_page_is_served_in_the_remembered_theme() => RunAsync(async page =>
    {
        await page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = ThemePreference.DarkValue, Url = App.BaseUrl.ToString() }]);
        var response = await page.GotoAsync(new Uri(App.BaseUrl, "/Account/Login").ToString());
        var html = await response!.TextAsync();
        Assert.Contains("data-theme=\"dark\"", html);
        Assert.Matches(DarkBackground, html);
        await Expect(page.Locator(".account-layout")).ToHaveAttributeAsync("data-theme", "dark");
        await page.SaveReviewScreenshotAsync("login-dark");
    });

    private static Task<string> BackgroundAsync(IPage page) =>
        page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");

    private static Task WaitForThemeCookieAsync(IPage page, string theme) =>
        page.WaitForFunctionAsync("cookie => document.cookie.split('; ').includes(cookie)", $"{ShellExtensions.ThemeCookie}={theme}");
}
