using Admin.Data.Database;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.E2E;

/// <summary>
/// Alerts in the browser: an alert that fires while a DBA has the page open reaches the bell and the list live; the DBA
/// acknowledges it and silences its rule through the dialog, by keyboard where a keyboard user would.
/// </summary>
public sealed class AlertsTests(AppFixture app) : BrowserTest(app)
{
    [Fact]
    public Task A_firing_alert_reaches_the_bell_live_and_is_acknowledged_and_silenced() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));
        await page.GotoAsync("/database/alerts");
        await page.WaitForInteractiveShellAsync();
        var target = $"e2e-{Guid.NewGuid():N}"[..12];

        // Fired by the evaluator (as the sampler's leader would) while the page is open: it arrives through NOTIFY.
        await App.Factory.Services.GetRequiredService<AlertEvaluator>()
            .EvaluateAsync(target, new Dictionary<string, double> { [AlertMetrics.CheckPrefix + "sequences"] = 2 }, DateTimeOffset.UtcNow);
        var row = page.GetByTestId("open-alerts").Locator("tr", new() { HasText = target });
        await Expect(row).ToContainTextAsync("Sequences near exhaustion");
        await Expect(page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex(@"^Alerts: \d+ new$") })).ToBeVisibleAsync();
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-alerts-firing");

        await row.GetByRole(AriaRole.Button, new() { Name = "Acknowledge" }).ClickAsync();
        await Expect(row.GetByTestId("acknowledged")).ToContainTextAsync("acknowledged by");

        await row.GetByRole(AriaRole.Button, new() { Name = "Silence…" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "4 hours" }).ClickAsync();
        await dialog.GetByLabel("Why").FillAsync("sequence widened tonight");
        await dialog.GetByTestId("silence-save").ClickAsync();
        await Expect(page.GetByTestId("silences")).ToContainTextAsync("sequence widened tonight");

        // Opening the bell by keyboard (on a fresh page: a closed dialog leaves focus on its own trap) marks everything read.
        await page.ReloadAsync();
        await page.WaitForInteractiveShellAsync();
        await page.GetByRole(AriaRole.Button, new() { NameRegex = new System.Text.RegularExpressions.Regex(@"^Alerts: \d+ new$") }).FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByTestId("alert-bell-item").First).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Alerts", Exact = true })).ToBeVisibleAsync();
    });
}
