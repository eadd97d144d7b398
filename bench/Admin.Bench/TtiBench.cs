using System.Diagnostics;
using Admin.Data.Releases;
using Admin.TestSupport;
using Microsoft.Playwright;
using Npgsql;

namespace Admin.Bench;

/// <summary>
/// Time to interactive of the main pages (issue 14: before and after the move to MudBlazor) on the dev database with
/// the large seed (`./admin seed --scale large`). Starts the real app (Release build, `dotnet Admin.Web.dll` as
/// `./admin run` does, Development environment so the dev connection strings apply), signs in through the login page in
/// Debian's chromium, and loads each page once to warm up and then Runs times (ADMIN_TTI_RUNS overrides), the pages
/// in turn so a drift of the shared machine's speed weighs on all alike. Each load is a full navigation: a new
/// prerender and a new circuit.
///
/// Time to interactive: from GotoAsync's start until the shell says the circuit renders (.shell[data-interactive=true])
/// and, inside it, the page's main data is shown (a data-testid marker that only rendered data has). Prerendered HTML
/// shown: from the same start to DOMContentLoaded. A script in the page also records, against the navigation's start,
/// when the HTML was received, when the shell went interactive and when the data was shown under it.
/// </summary>
public static class TtiBench
{
    private const int DefaultRuns = 9;

    /// <summary>A page to time: who opens it, its address, what marks its data as shown, and what to print about it.</summary>
    private sealed record BenchPage(string Name, string Email, string Password, string Path, string Marker, string Detail);

    private sealed record Sample(double Tti, double Shown, double HtmlReceived, double Interactive, double DataShown, bool PrerenderHasData);

    // The markers the MudBlazor pages must keep (each exists only once the page's data is rendered).
    private const string SectionRow = "[data-testid=section-link]";
    private const string Editor = "[data-testid=section-editor]";
    private const string ChangeCard = "[data-testid=change]";
    private const string AuditRow = "[data-testid=audit-row]";
    private const string QueryRow = "[data-testid=query-link]";
    private static readonly string[] Markers = [SectionRow, Editor, ChangeCard, AuditRow, QueryRow];

    public static async Task RunAsync()
    {
        var runs = int.TryParse(Environment.GetEnvironmentVariable("ADMIN_TTI_RUNS"), out var r) && r > 0 ? r : DefaultRuns;
        Console.WriteLine($"Time to interactive · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average {LoadAverage()} (1, 5, 15 min)");
        Console.WriteLine($"  dev database with the large seed, Release build, chromium; 1 warm-up + {runs} loads per page, ms from GotoAsync's start");
        Console.WriteLine();

        var (bigRelease, bigChanges) = await BigReleaseAsync();
        if (bigRelease is null)
        {
            Console.WriteLine($"  The dev database has no release '{ReleaseLargeSeed.BigReleaseName}': run ./admin seed --scale large first.");
            Environment.ExitCode = 1;
            return;
        }

        // The real app (Release, like the bench) over the dev database of appsettings.Development.json.
        await using var app = new AppProcess(new Dictionary<string, string> { ["Admin__DemoSeed"] = "false" });
        await app.StartAsync();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);

        // The editor opens the first section of its list (en-GB, the editor's first locale).
        var editor = await OpenTabAsync(browser, app.BaseUrl, "editor@admin.local", "Editor-Demo-2026");
        await editor.GotoAsync("/content");
        await editor.WaitForSelectorAsync($".shell[data-interactive=true] {SectionRow}");
        var section = await editor.Locator(SectionRow).First.GetAttributeAsync("href")
                      ?? throw new InvalidOperationException("The sections list has no section link.");
        await editor.GotoAsync("about:blank");

        BenchPage[] pages =
        [
            new("sections list", "editor@admin.local", "Editor-Demo-2026", "/content", SectionRow,
                "() => document.querySelector('[data-testid=list-caption]')?.innerText"),
            new("section editor", "editor@admin.local", "Editor-Demo-2026", section, Editor,
                "() => document.querySelector('[data-testid=editor-key]')?.innerText + ', ' + document.querySelector('[data-testid=version-count]')?.innerText + ' versions'"),
            new($"release with {bigChanges:N0} changes", "admin@admin.local", "Admin-Demo-2026", $"/releases/{bigRelease}", ChangeCard,
                "() => document.querySelector('[data-testid=change-range]')?.innerText + ' changes shown'"),
            new("audit viewer", "admin@admin.local", "Admin-Demo-2026", "/audit", AuditRow,
                "() => document.querySelectorAll('[data-testid=audit-row]').length + ' rows'"),
            new("slow queries", "dba@admin.local", "Dba-Demo-2026", "/database/queries", QueryRow,
                "() => document.querySelector('[data-testid=query-summary]')?.innerText"),
        ];
        // ADMIN_TTI_PAGES=release times only the pages whose name contains one of its comma-separated words.
        var only = Environment.GetEnvironmentVariable("ADMIN_TTI_PAGES")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (only is { Length: > 0 }) pages = pages.Where(p => only.Any(o => p.Name.Contains(o, StringComparison.OrdinalIgnoreCase))).ToArray();
        var tabs = new Dictionary<string, IPage> { ["editor@admin.local"] = editor };
        foreach (var page in pages)
            if (!tabs.ContainsKey(page.Email)) tabs[page.Email] = await OpenTabAsync(browser, app.BaseUrl, page.Email, page.Password);

        var samples = pages.ToDictionary(p => p, _ => new List<Sample>());
        var details = new Dictionary<BenchPage, string>();
        for (var run = 0; run <= runs; run++)
        {
            foreach (var page in pages)
            {
                var (sample, detail) = await LoadAsync(tabs[page.Email], page);
                if (run == 0) details[page] = detail;
                else samples[page].Add(sample);
            }
            Console.Write(run == 0 ? "\r  warm-up done   " : $"\r  rounds done: {run} of {runs}   ");
        }
        Console.WriteLine("\r                                   ");

        foreach (var page in pages)
        {
            var s = samples[page];
            Console.WriteLine($"  {page.Name} · {page.Path} as {page.Email} · {details[page]}");
            Report.Line("  time to interactive, data shown", Figures(s.Select(x => x.Tti).ToList()));
            Report.Line("  prerendered HTML shown (DOMContentLoaded)", Figures(s.Select(x => x.Shown).ToList()));
            Report.Line("  in the page, p50: HTML received · circuit live · data",
                $"{Median(s.Select(x => x.HtmlReceived))} · {Median(s.Select(x => x.Interactive))} · {Median(s.Select(x => x.DataShown))} ms" +
                $"; the prerender {(s.All(x => x.PrerenderHasData) ? "shows" : s.Any(x => x.PrerenderHasData) ? "sometimes shows" : "does not show")} the data");
        }
        Console.WriteLine($"  load average at the end: {LoadAverage()}");
        Console.WriteLine($"  markers: {string.Join(", ", pages.Select(p => $"{p.Name} {p.Marker}"))}, each under .shell[data-interactive=true]");
    }

    /// <summary>
    /// One full load from a blank page to the page's data in a live circuit, then back to a blank page: no circuit
    /// lives on between loads (each tab waits on about:blank while the others load).
    /// </summary>
    private static async Task<(Sample, string)> LoadAsync(IPage tab, BenchPage page)
    {
        await tab.BringToFrontAsync();
        var clock = Stopwatch.StartNew();
        await tab.GotoAsync(page.Path, new() { WaitUntil = WaitUntilState.DOMContentLoaded, Timeout = 60_000 });
        var shown = clock.Elapsed.TotalMilliseconds;
        await tab.WaitForSelectorAsync($".shell[data-interactive=true] {page.Marker}", new() { Timeout = 60_000 });
        var tti = clock.Elapsed.TotalMilliseconds;
        var marks = await tab.EvaluateAsync<double[]>("""
            marker => {
                const n = performance.getEntriesByType('navigation')[0], t = window.__tti ?? { ready: {}, prerendered: {} };
                return [n.responseEnd, t.interactive ?? -1, t.ready[marker] ?? -1, t.prerendered[marker] ? 1 : 0];
            }
            """, page.Marker);
        var detail = Collapse(await tab.EvaluateAsync<string?>(page.Detail));
        await tab.GotoAsync("about:blank");
        await Task.Delay(500); // the circuit's disconnect reaches the server and it is disposed before the next clock starts
        return (new Sample(tti, shown, marks[0], marks[1], marks[2], marks[3] == 1), detail);
    }

    private static async Task<IPage> OpenTabAsync(IBrowser browser, Uri baseUrl, string email, string password)
    {
        var tab = await BenchBrowser.SignInAsync(browser, baseUrl, email, password);
        // Before the page's own scripts: note when the shell goes interactive and when each marker first shows under
        // it (DOM updated, before paint), and which markers the prerendered HTML already had.
        await tab.AddInitScriptAsync($$"""
            (() => {
                const markers = {{System.Text.Json.JsonSerializer.Serialize(Markers)}};
                const t = window.__tti = { ready: {}, prerendered: {} };
                const check = () => {
                    if (!document.querySelector('.shell[data-interactive=true]')) return;
                    t.interactive ??= performance.now();
                    for (const m of markers)
                        if (t.ready[m] === undefined && document.querySelector('.shell[data-interactive=true] ' + m)) t.ready[m] = performance.now();
                };
                new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-interactive'] });
                document.addEventListener('DOMContentLoaded', () => { for (const m of markers) t.prerendered[m] = !!document.querySelector(m); });
            })();
            """);
        await tab.GotoAsync("about:blank");
        return tab;
    }

    /// <summary>The large seed's release with 10,000 changes, read as the superuser (./admin bench points ADMIN_TEST_PG at the local cluster).</summary>
    private static async Task<(long? Id, long Changes)> BigReleaseAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("ADMIN_TEST_PG")
                                                        ?? "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres") { Database = "admin" };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync();
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return (null, 0); // no dev database yet
        }
        await using var find = new NpgsqlCommand("SELECT id, (SELECT count(*) FROM entity_versions WHERE release_id = r.id) FROM releases r WHERE name = $1", connection)
        {
            Parameters = { new() { Value = ReleaseLargeSeed.BigReleaseName } },
        };
        await using var reader = await find.ExecuteReaderAsync();
        return await reader.ReadAsync() ? (reader.GetInt64(0), reader.GetInt64(1)) : (null, 0);
    }

    private static string Figures(IReadOnlyList<double> samples) =>
        $"p50 {Report.Stats(samples).P50:0} ms, min {samples.Min():0} ms, max {samples.Max():0} ms";

    private static string Median(IEnumerable<double> values) => $"{Report.Stats(values.ToList()).P50:0}";

    private static string Collapse(string? text) =>
        string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) is var s && s.Length > 90 ? s[..90] + "…" : s;

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
