using Admin.Web.Components.Layout;
using System.Text.RegularExpressions;
using Admin.TestSupport;
using Admin.Web.Components;

namespace Admin.E2E;

/// <summary>
/// The reconnect dialog (ReconnectModal) against a real loss of the server: the console runs as a process of its own
/// (<see cref="AppProcess"/>), killed with SIGKILL and started again on the same port; and a circuit paused and resumed.
/// What the browser was told is recorded from blazor.web.js's components-reconnect-state-changed events.
/// </summary>
public sealed class ReconnectTests(AppFixture app) : BrowserTest(app), IAsyncLifetime
{
    private TestDatabase _database = default!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task While_the_server_restarts_the_dialog_counts_down_and_afterwards_the_page_works_again()
    {
        // The console's own reconnection schedule (Reconnect:* defaults), not one made for the test.
        await using var server = new AppProcess(_database);
        await server.StartAsync();
        await RunAsync(async page =>
        {
            var states = await RecordReconnectStatesAsync(page);
            await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
            var dialog = ReconnectDialog(page);
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.GetByTestId("audit-chart")).ToHaveAttributeAsync("data-rendered", "true");

            await server.KillAsync();

            var reconnecting = ReconnectDialog(page, "Reconnecting to the server…");
            await Expect(reconnecting).ToBeVisibleAsync();
            var countdown = reconnecting.GetByTestId("reconnect-countdown");
            var defaults = new ReconnectOptions();
            var seconds = string.Join('|', Enumerable.Range(1, defaults.RetryIntervalSeconds));
            await Expect(countdown).ToHaveTextAsync(new Regex($@"Next attempt \(\d+ of {defaults.MaxRetries}\) in ({seconds}) s\."),
                new() { Timeout = 10_000 });
            await Expect(page.GetByTestId("live-indicator")).ToHaveTextAsync("offline", new() { UseInnerText = true });
            await SaveScreenshotAsync(page, "reconnect-light");

            await server.StartAsync();

            // The new process does not have the old circuit: the browser is told so and loads the page again.
            await page.WaitForFunctionAsync("() => document.querySelector('.shell[data-interactive=true]') && !document.getElementById('components-reconnect-modal').open",
                null, new() { Timeout = (defaults.RetryIntervalSeconds + 25) * 1000 });
            Assert.Equal(["show", "retrying", "rejected"], Seen(states));
            await Expect(dialog).ToBeHiddenAsync();
            await Expect(page.GetByTestId("user-name")).ToHaveTextAsync(DemoUserWithRole(AppRoles.Admin).DisplayName);
            await ExpectTheCircuitAnswersAsync(page);
        }, baseUrl: server.BaseUrl);
    }

    [Fact]
    public async Task When_the_server_stays_down_the_dialog_gives_up_and_offers_retry_and_reload()
    {
        await using var server = new AppProcess(_database, new Dictionary<string, string>
        {
            ["Reconnect__RetryIntervalSeconds"] = "2",
            ["Reconnect__MaxRetries"] = "4",
        });
        await server.StartAsync();
        await RunAsync(async page =>
        {
            await UseThemeAsync(page, server.BaseUrl, ThemePreference.DarkValue);
            var states = await RecordReconnectStatesAsync(page);
            await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
            await Expect(page.GetByTestId("audit-chart")).ToHaveAttributeAsync("data-rendered", "true");

            await server.KillAsync();

            var reconnecting = ReconnectDialog(page, "Reconnecting to the server…");
            await Expect(reconnecting.GetByTestId("reconnect-countdown")).ToHaveTextAsync(new Regex(@"Next attempt \(\d of 4\) in [12] s\."));
            await SaveScreenshotAsync(page, "reconnect-dark");

            // The first attempt at once, three more two seconds apart: then it stops and says so.
            var failed = ReconnectDialog(page, "The server cannot be reached");
            await Expect(failed).ToBeVisibleAsync(new() { Timeout = 15_000 });
            await Expect(failed).ToContainTextAsync("No answer for 6 seconds.");
            await SaveScreenshotAsync(page, "reconnect-failed-dark");
            var retry = failed.GetByRole(AriaRole.Button, new() { Name = "Retry" });
            var reload = failed.GetByRole(AriaRole.Button, new() { Name = "Reload" });
            await Expect(retry).ToBeFocusedAsync();

            // Retry while the server is still gone: one more attempt, and the same answer.
            await retry.ClickAsync();
            await Expect(retry).ToBeEnabledAsync();
            await Expect(failed).ToBeVisibleAsync();
            Assert.Equal(["show", "retrying", "failed"], Seen(states));

            // Reload asks the server for the page again (here it is gone, so the browser shows its own error).
            var url = page.Url;
            var request = await page.RunAndWaitForRequestAsync(() => reload.ClickAsync(), r => r.IsNavigationRequest && r.Url == url);
            Assert.Equal("GET", request.Method);
        }, baseUrl: server.BaseUrl);
    }

    [Fact]
    public async Task After_a_short_network_loss_the_same_circuit_comes_back_and_the_page_is_not_reloaded()
    {
        using var network = new TcpRelay(App.BaseUrl);
        await RunAsync(page => ShortNetworkLossAsync(page, network), baseUrl: network.Url);
    }

    private async Task ShortNetworkLossAsync(IPage page, TcpRelay network)
    {
        var states = await RecordReconnectStatesAsync(page);
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        var chart = page.GetByTestId("audit-chart");
        await Expect(chart).ToHaveAttributeAsync("data-rendered", "true");
        // A mark on an element the circuit rendered: a reload, or a circuit rendered afresh, would not have it.
        await chart.EvaluateAsync("el => { el.e2eMark = 'before'; }");

        network.Cut();
        await Expect(ReconnectDialog(page, "Reconnecting to the server…")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("reconnect-countdown")).ToBeVisibleAsync();
        network.Restore();

        // The next attempt (at most RetryIntervalSeconds away) finds the circuit the server kept.
        await Expect(ReconnectDialog(page)).ToBeHiddenAsync(new() { Timeout = (new ReconnectOptions().RetryIntervalSeconds + 5) * 1000 });
        Assert.Equal(["show", "retrying", "hide"], Seen(states));
        Assert.Equal("before", await chart.EvaluateAsync<string?>("el => el.e2eMark ?? null"));
        await Expect(page.GetByTestId("live-indicator")).ToHaveTextAsync("live", new() { UseInnerText = true });
        await ExpectTheCircuitAnswersAsync(page);
    }

    [Theory]
    [InlineData(ThemePreference.LightValue)]
    [InlineData(ThemePreference.DarkValue)]
    public Task A_paused_circuit_resumes_with_the_resume_button_also_after_a_failed_attempt(string theme) => RunAsync(async page =>
    {
        await UseThemeAsync(page, App.BaseUrl, theme);
        var states = await RecordReconnectStatesAsync(page);
        await LoginAsync(page, DemoUserWithRole(AppRoles.Admin));
        await Expect(page.GetByTestId("audit-chart")).ToHaveAttributeAsync("data-rendered", "true");

        // blazor.web.js's pauseCircuit(): the server hands the circuit's state to the page and lets the circuit go. The
        // console never pauses on its own; an app may, e.g. for a page left in the background.
        Assert.True(await page.EvaluateAsync<bool>("() => Blazor.pauseCircuit()"));

        var paused = ReconnectDialog(page, "This session is paused");
        await Expect(paused).ToBeVisibleAsync();
        var resume = paused.GetByRole(AriaRole.Button, new() { Name = "Resume" });
        await Expect(resume).ToBeFocusedAsync();
        await Expect(paused.GetByRole(AriaRole.Button, new() { Name = "Reload" })).ToBeVisibleAsync();
        await SaveScreenshotAsync(page, $"reconnect-paused-{theme}");

        // Resume without a network: the dialog says it did not work and keeps both ways out.
        await page.Context.SetOfflineAsync(true);
        await resume.ClickAsync();
        var notResumed = ReconnectDialog(page, "The session could not be resumed");
        await Expect(notResumed).ToBeVisibleAsync();
        await Expect(notResumed.GetByRole(AriaRole.Button, new() { Name = "Resume" })).ToBeEnabledAsync();

        await page.Context.SetOfflineAsync(false);
        await notResumed.GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();

        await Expect(ReconnectDialog(page)).ToBeHiddenAsync();
        Assert.Equal(["show", "paused", "resume-failed", "hide"], Seen(states));
        await Expect(page.GetByTestId("circuit-error")).ToBeHiddenAsync();
        await ExpectTheCircuitAnswersAsync(page);
    }, theme);

    private static ILocator ReconnectDialog(IPage page, string? title = null) =>
        title is null ? page.GetByTestId("reconnect-dialog") : page.GetByRole(AriaRole.Dialog, new() { Name = title, Exact = true });

    /// <summary>Every state blazor.web.js reports, in order, across reloads of the page.</summary>
    private static async Task<List<string>> RecordReconnectStatesAsync(IPage page)
    {
        var states = new List<string>();
        await page.ExposeFunctionAsync("recordReconnectState", (string state) => { lock (states) states.Add(state); });
        // The event does not bubble; a capturing listener on the document still sees it on its way to the dialog.
        await page.AddInitScriptAsync("document.addEventListener('components-reconnect-state-changed', e => window.recordReconnectState(e.detail.state), true)");
        return states;
    }

    private static string[] Seen(List<string> states)
    {
        lock (states) return states.Distinct().ToArray();
    }

    private static Task UseThemeAsync(IPage page, Uri app, string theme) =>
        page.Context.AddCookiesAsync([new Cookie { Name = ShellExtensions.ThemeCookie, Value = theme, Url = app.ToString() }]);

    /// <summary>A review screenshot (.data/screenshots) once the dialog has finished sliding in.</summary>
    private static async Task SaveScreenshotAsync(IPage page, string name)
    {
        await page.GetByTestId("reconnect-dialog").EvaluateAsync("d => Promise.all(d.getAnimations().map(a => a.finished))");
        await page.ScreenshotAsync(new() { Path = Artifacts.ReviewScreenshot(name) });
    }

    /// <summary>A click that needs the circuit: the header's theme toggle re-renders the shell on the server.</summary>
    private static async Task ExpectTheCircuitAnswersAsync(IPage page)
    {
        var shell = page.Locator(".shell");
        var before = await shell.GetAttributeAsync("data-theme");
        await page.GetByRole(AriaRole.Button, new() { Name = "Light or dark theme" }).ClickAsync();
        await Expect(shell).Not.ToHaveAttributeAsync("data-theme", before!);
    }
}
