using System.Runtime.CompilerServices;

namespace Admin.E2E.Infrastructure;

/// <summary>
/// Base of every browser test: all share the one app and browser of <see cref="AppFixture"/> and run one at a time.
/// <see cref="RunAsync"/> wraps a test body so that a failure leaves a full-page screenshot of each page the test
/// opened in .data/test-results/screenshots/TEST.png, then rethrows.
/// </summary>
[Collection(AppCollection.Name)]
public abstract class BrowserTest(AppFixture app)
{
    protected AppFixture App => app;
    private readonly List<IPage> _pages = [];
    private readonly HashSet<IPage> _onOtherApps = [];

    /// <summary>
    /// Runs <paramref name="body"/> with a fresh page (on the shared app, or on <paramref name="baseUrl"/>);
    /// <paramref name="variant"/> tells theory cases apart in file names.
    /// </summary>
    protected async Task RunAsync(Func<IPage, Task> body, string? variant = null, Uri? baseUrl = null, [CallerMemberName] string test = "")
    {
        var name = GetType().Name + "." + test + (variant is null ? "" : "-" + variant);
        try
        {
            await body(await NewPageAsync(baseUrl));
        }
        catch
        {
            await SaveFailureScreenshotsAsync(name);
            throw;
        }
        finally
        {
            foreach (var page in _pages) await page.Context.CloseAsync();
            _pages.Clear();
            _onOtherApps.Clear();
        }
    }

    /// <summary>Another page in a context of its own (another person's browser); closed when the test ends.</summary>
    protected async Task<IPage> NewPageAsync(Uri? baseUrl = null)
    {
        var page = await app.NewPageAsync(baseUrl);
        _pages.Add(page);
        if (baseUrl is not null && baseUrl != app.BaseUrl) _onOtherApps.Add(page);
        return page;
    }

    /// <summary>
    /// Signs in as a demo user and waits on the home page for the live circuit. On the shared app this reuses the
    /// cookies of the user's first sign-in (the login form itself is LoginTests' subject); on an app of the test's own,
    /// it fills the form.
    /// </summary>
    protected Task LoginAsync(IPage page, DemoUser user) => _onOtherApps.Contains(page)
        ? app.LoginAsync(page, user.Email, user.Password)
        : app.SignInAtHomeAsync(page, user.Email, user.Password);

    /// <summary>The first demo user with the role (DemoSeeder is the product's own list).</summary>
    protected static DemoUser DemoUserWithRole(string role) => DemoSeeder.Users.First(u => u.Roles.Contains(role));

    /// <summary>Area keys the role may use, in navigation order, straight from the product's Areas table.</summary>
    protected static string[] AreasFor(string role) => Areas.All.Where(a => a.Roles.Contains(role)).Select(a => a.Key).ToArray();

    private async Task SaveFailureScreenshotsAsync(string name)
    {
        for (var i = 0; i < _pages.Count; i++)
        {
            var path = Artifacts.FailureScreenshot(i == 0 ? name : $"{name}-{i + 1}");
            try
            {
                await _pages[i].ScreenshotAsync(new() { Path = path, FullPage = true, Timeout = 5_000 });
                Console.WriteLine($"Screenshot of the failed test: {path}");
            }
            catch (PlaywrightException ex)
            {
                Console.WriteLine($"No screenshot for {name}: {ex.Message}");
            }
        }
    }
}
