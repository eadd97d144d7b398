using System.Text.RegularExpressions;
using Admin.Web.Components;
using Admin.Web.Components.Layout;
using Admin.Web.Features.Account;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;

namespace Admin.E2E;

/// <summary>
/// Every page, run through axe-core in light and dark: no serious or critical violation. Each run also leaves review
/// screenshots (.data/screenshots/a11y-PAGE-ROLE-THEME-WIDTH.png) at 1280 px; with ADMIN_SCREENSHOTS=all, also at
/// 1920 px and for every role that may open the page (slower: for reviewing a UI change, not for every run).
/// </summary>
public sealed class AccessibilityTests(AppFixture app) : BrowserTest(app)
{
    /// <summary>A page: its address, or a list page and the pattern of the first link on it that leads there.</summary>
    public sealed record Screen(string Name, Area? Area, string Path, string? LinkPattern = null, string Suffix = "")
    {
        /// <summary>Who opens it in the default run: the narrowest role the area allows (Admin sees everything).</summary>
        public string Role => Area is null ? AppRoles.Admin : Area.Roles.FirstOrDefault(r => r != AppRoles.Admin) ?? AppRoles.Admin;
    }

    private static readonly Screen[] All =
    [
        new("home", null, "/"),
        new("content", Areas.Content, "/content"),
        new("content-new", Areas.Content, "/content/sections/new"),
        new("section-editor", Areas.Content, "/content", @"^/content/sections/[0-9a-f-]{36}$"),
        new("section-history", Areas.Content, "/content", @"^/content/sections/[0-9a-f-]{36}$", "/history"),
        new("section-compare", Areas.Content, "/content", @"^/content/sections/[0-9a-f-]{36}$", "/compare"),
        new("section-version", Areas.Content, "/content", @"^/content/sections/[0-9a-f-]{36}$", "/versions/1"),
        new("content-preview", Areas.Content, "/content/preview"),
        new("releases", Areas.Releases, "/releases"),
        new("release", Areas.Releases, "/releases", @"^/releases/\d+$"),
        new("release-approved", Areas.Releases, "/releases?status=APPROVED", @"^/releases/\d+$"),
        new("releases-live", Areas.Releases, "/releases/live"),
        new("deployments", Areas.Deployments, "/deployments"),
        new("deployment", Areas.Deployments, "/deployments", @"^/deployments/\d+$"),
        new("deployments-metrics", Areas.Deployments, "/deployments/metrics"),
        new("deployments-incidents", Areas.Deployments, "/deployments/incidents"),
        new("deployments-tokens", Areas.Users, "/deployments/tokens"),
        new("deployments-rules", Areas.Deployments, "/deployments/rules"),
        new("database", Areas.Database, "/database"),
        new("database-indexes", Areas.Database, "/database/indexes"),
        new("database-queries", Areas.Database, "/database/queries"),
        new("database-queries-window", Areas.Database, "/database/queries?window=24h&compare=prev"),
        new("database-query", Areas.Database, "/database/queries", @"^/database/queries/-?\d+$"),
        new("database-tables", Areas.Database, "/database/tables"),
        new("database-tables-window", Areas.Database, "/database/tables?window=7d"),
        new("database-tables-compare", Areas.Database, "/database/tables?window=24h&compare=prev"),
        new("database-indexes-window", Areas.Database, "/database/indexes?window=7d"),
        new("database-activity", Areas.Database, "/database/activity"),
        new("database-explain", Areas.Database, "/database/explain"),
        new("database-alerts", Areas.Database, "/database/alerts"),
        new("database-alert-rules", Areas.Database, "/database/alerts?tab=rules"),
        new("database-replication", Areas.Database, "/database/replication"),
        new("database-vacuum", Areas.Database, "/database/vacuum"),
        new("database-regressions", Areas.Database, "/database/regressions"),
        new("audit", Areas.Audit, "/audit"),
        new("users", Areas.Users, "/admin/users"),
    ];

    public static TheoryData<string> Pages() => [.. All.Select(s => s.Name)];

    private static bool AllScreenshots => Environment.GetEnvironmentVariable("ADMIN_SCREENSHOTS") == "all";

    [Theory]
    [MemberData(nameof(Pages))]
    public Task A_signed_in_page_has_no_serious_or_critical_violations_in_light_or_dark(string name) => RunAsync(async page =>
    {
        var screen = All.Single(s => s.Name == name);
        var roles = AllScreenshots && screen.Area is not null ? screen.Area.Roles.ToArray() : [screen.Role];
        foreach (var role in roles)
        {
            var browser = role == roles[0] ? page : await NewPageAsync();
            var user = DemoUserWithRole(role);
            await App.SignInAsync(browser, user.Email, user.Password);
            var url = await ResolveAsync(browser, screen);
            await browser.GotoAsync(url);
            await browser.WaitForInteractiveShellAsync();
            await CheckAsync(browser, $"{name}-{Slug(role)}", "light", role == roles[0]);

            await browser.GetByRole(AriaRole.Button, new() { Name = "Light or dark theme" }).ClickAsync();
            await Expect(browser.Locator(".shell")).ToHaveAttributeAsync("data-theme", "dark");
            await CheckAsync(browser, $"{name}-{Slug(role)}", "dark", role == roles[0]);
        }
    }, name);

    [Theory]
    [InlineData("/Account/Login", "login")]
    [InlineData("/not-found", "not-found")]
    public Task A_static_page_has_no_serious_or_critical_violations_in_light_or_dark(string path, string name) => RunAsync(async page =>
    {
        foreach (var theme in new[] { ThemePreference.LightValue, ThemePreference.DarkValue })
        {
            await page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = theme, Url = App.BaseUrl.ToString() }]);
            await page.GotoAsync(path);
            await CheckAsync(page, name, theme, check: true);
        }
    }, name);

    [Fact]
    public Task The_header_is_reachable_by_keyboard_and_focus_is_visible() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await page.WaitForInteractiveShellAsync();
        var reached = new List<string>();
        // Focus starts on the page's heading (FocusOnNavigate); the header comes before it, past the navigation.
        for (var i = 0; i < 20 && !reached.Contains("Light or dark theme"); i++)
        {
            await page.Keyboard.PressAsync("Shift+Tab");
            var focused = await page.EvaluateAsync<string[]>("""
                () => {
                    const e = document.activeElement;
                    if (!e || e === document.body) return ['(page)', 'true'];
                    const style = getComputedStyle(e);
                    const visible = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 || style.boxShadow !== 'none';
                    return [e.getAttribute('aria-label') || e.textContent.trim().slice(0, 60), String(visible)];
                }
                """);
            Assert.True(focused[1] == "true", $"focus on '{focused[0]}' is not visible");
            reached.Add(focused[0]);
        }
        Assert.Contains("Light or dark theme", reached);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".shell")).ToHaveAttributeAsync("data-theme", "dark");
    });

    private async Task<string> ResolveAsync(IPage page, Screen screen)
    {
        if (screen.LinkPattern is null) return screen.Path;
        await page.GotoAsync(screen.Path);
        await page.WaitForInteractiveShellAsync();
        var pattern = new Regex(screen.LinkPattern);
        string? href = null;
        // Lists fill in once the circuit has loaded them.
        for (var attempt = 0; attempt < 50 && href is null; attempt++)
        {
            var links = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))");
            href = links.Select(l => l.Split('?')[0]).FirstOrDefault(pattern.IsMatch);
            if (href is null) await page.WaitForTimeoutAsync(200);
        }
        Assert.True(href is not null, $"no link matching {screen.LinkPattern} on {screen.Path} (the demo seed should have one)");
        return href + screen.Suffix;
    }

    private static async Task CheckAsync(IPage page, string name, string theme, bool check)
    {
        await page.SettleAsync();
        if (check)
        {
#pragma warning disable CS0618 // the legacy run: see Everything
            var result = await page.Locator("html").RunAxeLegacy(theme == "dark" ? ColoursOnly : Everything);
#pragma warning restore CS0618
            var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
            Assert.True(serious.Count == 0, $"{name} ({theme}): " + string.Join("; ", serious.Select(Describe)));
        }
        await page.SaveReviewScreenshotAsync($"a11y-{name}-{theme}-1280");
        if (!AllScreenshots) return;
        var viewport = page.ViewportSize!;
        await page.SetViewportSizeAsync(1920, viewport.Height);
        await page.SaveReviewScreenshotAsync($"a11y-{name}-{theme}-1920");
        await page.SetViewportSizeAsync(viewport.Width, viewport.Height);
    }

    /// <summary>
    /// Every rule, in one axe run inside the page (the legacy run): the default run analyses each frame apart and then
    /// opens a blank page to merge the results, injecting axe twice; the console's pages have no frames, and the
    /// legacy run takes a third to a half of the time. Only violations come back (passes are most of the payload).
    /// </summary>
    private static readonly AxeRunOptions Everything = new() { ResultTypes = [ResultType.Violations] };

    /// <summary>The dark theme changes colours only, so the second run checks the rules that read colours.</summary>
    private static readonly AxeRunOptions ColoursOnly = new()
    {
        ResultTypes = [ResultType.Violations],
        RunOnly = new RunOnlyOptions { Type = "rule", Values = ["color-contrast", "link-in-text-block"] },
    };

    private static string Describe(AxeResultItem v) =>
        $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => $"{n.Target} {n.Html[..Math.Min(n.Html.Length, 160)]}"))}";

    private static string Slug(string role) => role.ToLowerInvariant().Replace(' ', '-');
}
