namespace Admin.E2E.Infrastructure;

public static class PageExtensions
{
    /// <summary>The layout sets data-interactive="true" on .shell once the circuit renders; before that clicks do nothing.</summary>
    public static Task WaitForInteractiveShellAsync(this IPage page) =>
        page.WaitForSelectorAsync(".shell[data-interactive=true]");

    /// <summary>
    /// Waits until nothing more is loading: the circuit re-renders the page when it starts, and icon/web
    /// fonts arrive late, so a screenshot taken earlier can show unstyled text or missing icons.
    /// </summary>
    public static async Task SettleAsync(this IPage page)
    {
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        await page.EvaluateAsync("() => document.fonts.ready.then(() => true)");
    }

    /// <summary>
    /// A screenshot of the whole page for people to review (.data/screenshots/NAME.png); not asserted. A page that scrolls
    /// inside an element (not the window) is not unrolled by a full-page screenshot, so the window is made tall enough for a moment.
    /// </summary>
    public static async Task SaveReviewScreenshotAsync(this IPage page, string name)
    {
        await page.SettleAsync();
        var viewport = page.ViewportSize!;
        var height = await page.EvaluateAsync<int>("""
            () => {
                const main = document.querySelector('.mud-main-content');
                return Math.max(document.documentElement.scrollHeight, main ? Math.ceil(main.getBoundingClientRect().top + main.scrollHeight) : 0);
            }
            """);
        if (height > viewport.Height)
        {
            await page.SetViewportSizeAsync(viewport.Width, height);
            await page.EvaluateAsync("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))");
        }
        await page.ScreenshotAsync(new() { Path = Artifacts.ReviewScreenshot(name), FullPage = true });
        if (height > viewport.Height) await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
    }

    public const string AccessDeniedTitle = "You do not have access to this page";

    /// <summary>
    /// The page shows access denied instead of what was asked for, both as first served and once the circuit renders
    /// (a page must not flash its content, nor appear later).
    /// </summary>
    public static async Task ExpectAccessDeniedAsync(this IPage page)
    {
        await Expect(page.Locator("h1")).ToHaveTextAsync(AccessDeniedTitle);
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync(AccessDeniedTitle);
    }

    /// <summary>The path of the page's current address.</summary>
    public static string UrlPath(this IPage page) => new Uri(page.Url).AbsolutePath;

    /// <summary>The data-area keys of the elements a selector matches, in page order.</summary>
    public static async Task<string[]> AreaKeysAsync(this IPage page, string selector) =>
        await page.Locator(selector).EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('data-area'))");
}
