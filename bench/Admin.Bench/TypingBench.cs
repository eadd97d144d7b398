using Admin.TestSupport;
using Microsoft.Playwright;
using Npgsql;

namespace Admin.Bench;

/// <summary>
/// Typing in the section editor (issue 17), in chromium against the Release app over the dev database: how long after a
/// keystroke the live preview shows it (keydown in the page until the preview's text changed in the DOM), with the
/// working-copy autosave on (every 3 s, the default) and off, so the difference is what autosave adds to a keystroke.
/// </summary>
public static class TypingBench
{
    private const int Keystrokes = 120;
    private const string Email = "editor@admin.local";
    private const string Password = "Editor-Demo-2026";

    public static async Task RunAsync()
    {
        Console.WriteLine($"Typing in the section editor · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · load average {LoadAverage()} (1, 5, 15 min)");
        Console.WriteLine($"  dev database, Release build, chromium; {Keystrokes} keystrokes 100 ms apart into a hero's title, per setting");
        var section = await HeroSectionAsync();
        if (section is null)
        {
            Console.WriteLine("  The dev database has no en-GB hero section: run ./admin seed first.");
            Environment.ExitCode = 1;
            return;
        }

        var results = new Dictionary<string, Stats>();
        foreach (var (label, seconds) in new[] { ("autosave every 3 s", "3"), ("autosave off", "0") })
        {
            await using var app = new AppProcess(new Dictionary<string, string> { ["Admin__DemoSeed"] = "false", ["Content__AutosaveSeconds"] = seconds });
            await app.StartAsync();
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BenchBrowser.LaunchAsync(playwright);
            var page = await BenchBrowser.SignInAsync(browser, app.BaseUrl, Email, Password);
            var samples = await TypeAsync(page, section.Value);
            await ForgetWorkingCopyAsync(section.Value);
            results[label] = Report.Stats(samples);
            Report.Line($"preview shows a keystroke, {label}", Report.Summary(samples));
        }
        var on = results["autosave every 3 s"];
        var off = results["autosave off"];
        Report.Goal("preview update after a keystroke (autosave on)", $"p95 {on.P95:0.0} ms", "< 150 ms", on.P95 < 150);
        Report.Goal("what autosave adds to a keystroke's round trip", $"p95 {on.P95 - off.P95:+0.0;-0.0} ms, p50 {on.P50 - off.P50:+0.0;-0.0} ms", "< 5 ms", on.P95 - off.P95 < 5);
        Console.WriteLine($"  load average at the end: {LoadAverage()}");
    }

    private static async Task<List<double>> TypeAsync(IPage page, Guid section)
    {
        await page.GotoAsync($"/content/sections/{section}");
        await page.WaitForSelectorAsync(".shell[data-interactive=true] [data-testid=live-preview] .sf-hero-title");
        var title = page.Locator("[data-testid=field-title] :is(input, textarea)").First;
        await title.FillAsync("");
        await page.Locator("[data-testid=live-preview] .sf-hero-title").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        // keydown on the field starts a sample; the preview title's text changing ends it (DOM updated, before paint).
        await page.EvaluateAsync("""
            () => {
                const w = window.__typing = { samples: [], started: null };
                document.querySelector("[data-testid=field-title] :is(input, textarea)").addEventListener('keydown', () => w.started = performance.now(), true);
                new MutationObserver(() => {
                    if (w.started === null) return;
                    w.samples.push(performance.now() - w.started);
                    w.started = null;
                }).observe(document.querySelector('[data-testid=live-preview-page]'), { subtree: true, childList: true, characterData: true });
            }
            """);
        var text = string.Concat(Enumerable.Range(0, Keystrokes).Select(i => (char)('a' + i % 26)));
        await title.PressSequentiallyAsync(text[..100], new() { Delay = 100 });
        await title.PressSequentiallyAsync(text[100..], new() { Delay = 100 });
        await page.WaitForTimeoutAsync(500);
        var samples = await page.EvaluateAsync<double[]>("() => window.__typing.samples");
        if (samples.Length < Keystrokes * 9 / 10) throw new InvalidOperationException($"Only {samples.Length} of {Keystrokes} keystrokes reached the preview.");
        return [.. samples];
    }

    private static NpgsqlConnection DevDatabase() =>
        new(new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ADMIN_TEST_PG")
                                              ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres") { Database = "admin" }.ConnectionString);

    private static async Task<Guid?> HeroSectionAsync()
    {
        await using var connection = DevDatabase();
        await connection.OpenAsync();
        await using var find = new NpgsqlCommand(
            "SELECT id FROM homepage_sections WHERE locale = 'en-GB' AND section_type = 'hero' AND status <> 'archived' ORDER BY display_order LIMIT 1", connection);
        return await find.ExecuteScalarAsync() as Guid?;
    }

    /// <summary>The typing left a working copy (autosave, or the page's leaving): the next run should not be offered it.</summary>
    private static async Task ForgetWorkingCopyAsync(Guid section)
    {
        await using var connection = DevDatabase();
        await connection.OpenAsync();
        await using var delete = new NpgsqlCommand("DELETE FROM section_working_copies WHERE section_id = $1", connection) { Parameters = { new() { Value = section } } };
        await delete.ExecuteNonQueryAsync();
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
