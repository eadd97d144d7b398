using Admin.TestSupport;

namespace Admin.E2E.Infrastructure;

/// <summary>
/// One app and one browser for the whole assembly: a fresh migrated database (demo users seeded at start-up), the real
/// app served by Kestrel on a free loopback port, and Debian's chromium. Each test gets its own browser context, so
/// cookies never leak from one test to the next.
/// </summary>
public sealed class AppFixture : IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic",
    ];

    public TestDatabase Database { get; private set; } = default!;
    public AdminAppFactory Factory { get; private set; } = default!;
    public Uri BaseUrl { get; private set; } = default!;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        // The browser starts while the database is cloned and the app boots.
        var browser = LaunchBrowserAsync();
        Database = await TestDatabase.CreateAsync();
        Factory = new AdminAppFactory(Database);
        BaseUrl = Factory.StartKestrel();
        _browser = await browser;
    }

    private async Task<IBrowser> LaunchBrowserAsync()
    {
        _playwright = await Playwright.CreateAsync();
        return await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("ADMIN_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>
    /// A page in a new browser context (no cookies) whose relative URLs resolve against the app, or against
    /// <paramref name="baseUrl"/> (an app of the test's own, e.g. an <see cref="AppProcess"/>).
    /// </summary>
    public async Task<IPage> NewPageAsync(Uri? baseUrl = null)
    {
        var context = await _browser!.NewContextAsync(new()
        {
            BaseURL = (baseUrl ?? BaseUrl).ToString(),
            ViewportSize = new() { Width = 1280, Height = 800 },
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(10_000);
        return await context.NewPageAsync();
    }

    /// <summary>Signs in through the login form and waits until the shell's Blazor circuit is live.</summary>
    public async Task LoginAsync(IPage page, string email, string password)
    {
        // The static login form works once the document is parsed; its icon and text fonts (large) may still be loading.
        await page.GotoAsync("/Account/Login", new() { WaitUntil = WaitUntilState.DOMContentLoaded });
        await SubmitLoginAsync(page, email, password);
        await page.WaitForInteractiveShellAsync();
    }

    private readonly Dictionary<string, IReadOnlyList<Cookie>> _signedIn = [];

    /// <summary>
    /// Signs in as <paramref name="email"/> through the login form the first time, and afterwards by giving the page's
    /// context the cookies that sign-in set: for tests that open a page right after signing in (the accessibility pass
    /// signs in once per role instead of once per page). Leaves the page where it is.
    /// </summary>
    public async Task SignInAsync(IPage page, string email, string password)
    {
        if (_signedIn.TryGetValue(email, out var cookies))
        {
            await page.Context.AddCookiesAsync(cookies);
            return;
        }
        await LoginAndKeepCookiesAsync(page, email, password);
    }

    /// <summary>
    /// Signs in and lands on the home page with its circuit live, as <see cref="LoginAsync"/> does, but through the
    /// cookies of an earlier sign-in when there was one (a second faster than the form, for tests about something else).
    /// Falls back to the form when the app no longer takes those cookies (the user's security stamp changed).
    /// </summary>
    public async Task SignInAtHomeAsync(IPage page, string email, string password)
    {
        if (_signedIn.TryGetValue(email, out var cookies))
        {
            await page.Context.AddCookiesAsync(cookies);
            await page.GotoAsync("/");
            if (!page.UrlPath().StartsWith("/Account/Login", StringComparison.Ordinal))
            {
                await page.WaitForInteractiveShellAsync();
                return;
            }
            await page.Context.ClearCookiesAsync();
        }
        await LoginAndKeepCookiesAsync(page, email, password);
    }

    private async Task LoginAndKeepCookiesAsync(IPage page, string email, string password)
    {
        await LoginAsync(page, email, password);
        _signedIn[email] = (await page.Context.CookiesAsync())
            .Select(c => new Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path, Expires = c.Expires, HttpOnly = c.HttpOnly, Secure = c.Secure, SameSite = c.SameSite })
            .ToList();
    }

    /// <summary>Fills the login form the page shows and submits it (a full form post: waits for the response page).</summary>
    public static async Task SubmitLoginAsync(IPage page, string email, string password)
    {
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        // The form posts without enhanced navigation: a real navigation, even when it comes back to the same URL.
#pragma warning disable CS0612
        await page.RunAndWaitForNavigationAsync(() => page.ClickAsync("#sign-in"), new() { WaitUntil = WaitUntilState.DOMContentLoaded });
#pragma warning restore CS0612
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (Factory is not null) await Factory.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}
