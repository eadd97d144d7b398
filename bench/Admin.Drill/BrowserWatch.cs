using System.Collections.Concurrent;
using Microsoft.Playwright;

namespace Admin.Drill;

/// <summary>
/// A DBA with the Activity panel open (it refreshes every 3 s over its Blazor circuit) in Debian's chromium, through
/// nginx. Records which instance served each page load (nginx's X-Admin-Upstream, drill only) and blazor.web.js's
/// reconnect states, so the drill can kill the instance holding this circuit and see the browser land on another.
/// </summary>
public sealed class BrowserWatch : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly ConcurrentQueue<(double At, string Upstream)> _loads = new();
    private readonly ConcurrentQueue<(double At, string State)> _states = new();

    public IPage Page { get; private set; } = default!;

    /// <summary>nginx's address, the base of every page the drill's browser contexts open.</summary>
    public string BaseUrl { get; private set; } = "";

    private BrowserWatch(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<BrowserWatch> OpenAsync(Uri balancer, Journal journal, string email, string password)
    {
        var playwright = await Playwright.CreateAsync();
        IBrowser browser;
        try
        {
            browser = await playwright.Chromium.LaunchAsync(new()
            {
                ExecutablePath = Environment.GetEnvironmentVariable("ADMIN_CHROMIUM") ?? "/usr/bin/chromium", Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
        var watch = new BrowserWatch(playwright, browser);
        watch.BaseUrl = balancer.ToString().TrimEnd('/');
        var context = await browser.NewContextAsync(new() { BaseURL = watch.BaseUrl });
        var page = watch.Page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        page.Response += (_, response) =>
        {
            if (response.Request.IsNavigationRequest && response.Headers.TryGetValue(Balancer.UpstreamHeader.ToLowerInvariant(), out var upstream))
                watch._loads.Enqueue((journal.Now, upstream));
        };
        await page.ExposeFunctionAsync("drillReconnectState", (string state) => watch._states.Enqueue((journal.Now, state)));
        await page.AddInitScriptAsync("document.addEventListener('components-reconnect-state-changed', e => window.drillReconnectState(e.detail.state), true)");

        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(u => !u.Contains("/Account/Login"));
        await page.GotoAsync("/database/activity");
        await watch.WaitInteractiveAsync(TimeSpan.FromSeconds(60));
        return watch;
    }

    /// <summary>The instance (host:port) that served the last page load.</summary>
    public string? CurrentUpstream => _loads.LastOrDefault().Upstream;

    public IReadOnlyList<(double At, string Upstream)> Loads => [.. _loads];

    public IReadOnlyList<(double At, string State)> States => [.. _states];

    /// <summary>Waits until the page is interactive (the shell's flag) with no reconnect dialog open.</summary>
    public Task WaitInteractiveAsync(TimeSpan timeout) => WaitInteractiveAsync(Page, timeout);

    internal static Task WaitInteractiveAsync(IPage page, TimeSpan timeout) => page.WaitForFunctionAsync(
        "() => document.querySelector('.shell[data-interactive=true]') && !document.getElementById('components-reconnect-modal')?.open",
        null, new() { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 250 });

    /// <summary>The Activity panel's "as of HH:mm:ss UTC" line, or null when it cannot be read right now.</summary>
    public async Task<string?> ActivityStampAsync()
    {
        try { return (await Page.GetByTestId("activity-updated").InnerTextAsync(new() { Timeout = 2000 })).Trim(); }
        catch (PlaywrightException) { return null; }
        catch (TimeoutException) { return null; }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _browser.CloseAsync(); }
        catch (PlaywrightException) { }
        _playwright.Dispose();
    }
}
