using System.Diagnostics;
using Admin.TestSupport;
using Microsoft.Playwright;
using Npgsql;

namespace Admin.Bench;

/// <summary>
/// Live latency (issue 15): commit → rendered in another browser on another app instance. Two instances of the real app
/// (Release build, <c>dotnet Admin.Web.dll</c> as <c>./admin run</c> starts it) on one scratch database; Debian's chromium
/// signed in as the editor on instance B shows the sections list (/content). Changes are committed in SQL the way the
/// app's writes are (an UPDATE of <c>homepage_sections</c>: its trigger calls <c>live_notify</c>, PostgreSQL delivers the
/// NOTIFY on COMMIT to both instances' listeners), so the path measured is the real one: listener → live bus → the
/// page's reload (a query) → render diff over the circuit's WebSocket → the DOM.
///
/// Each change writes a new "last changed by" into one row; a MutationObserver in the page records, in
/// <c>performance.timeOrigin + performance.now()</c> (Unix ms), when each new value first shows. The commit time is this
/// process's clock (Unix ms) right after the commit returned: the same machine's clock. Isolated changes are spaced
/// beyond the reload interval (each is a first event); the burst commits 1,000 changes within one second and counts
/// how many times the rows showed new values (one per reload that rendered) and when the final values showed.
/// </summary>
public static class LiveBench
{
    private const int DefaultChanges = 120;
    private const int Burst = 1000;
    private const int Writers = 4;
    private const string Shown = ".shell[data-interactive=true] span[title^='live-']";

    public static async Task RunAsync()
    {
        var changes = int.TryParse(Environment.GetEnvironmentVariable("ADMIN_LIVE_CHANGES"), out var n) && n > 0 ? n : DefaultChanges;
        Console.WriteLine($"Live latency · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores · load average {LoadAverage()} (1, 5, 15 min)");
        Console.WriteLine("  two app instances (Release) on one scratch database; chromium on instance B shows /content; commits in SQL");
        Console.WriteLine();

        await Scratch.RunAsync(async db =>
        {
            // A seeds the demo users and content; B starts on the seeded database (two seeders at once would race).
            await using var a = new AppProcess(db);
            await a.StartAsync();
            await using var b = new AppProcess(db, new Dictionary<string, string> { ["Admin__DemoSeed"] = "false" });
            await b.StartAsync();

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await BenchBrowser.LaunchAsync(playwright);
            var page = await BenchBrowser.SignInAsync(browser, b.BaseUrl, "editor@admin.local", "Editor-Demo-2026");
            await page.AddInitScriptAsync($$"""
                (() => {
                    const live = window.__live = { seen: {}, renders: [] };
                    let last = '';
                    const check = () => {
                        const values = [...document.querySelectorAll("{{Shown}}")].map(e => e.title);
                        const key = values.join(' ');
                        if (key === last) return;
                        last = key;
                        const at = performance.timeOrigin + performance.now();
                        for (const v of values) live.seen[v] ??= at;
                        live.renders.push(at);
                    };
                    new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['title', 'data-interactive'] });
                })();
                """);
            await page.GotoAsync("/content?locale=en-GB");
            await page.WaitForSelectorAsync(".shell[data-interactive=true] [data-testid=section-link]");
            var links = await page.Locator("[data-testid=section-link]").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
            var sections = links.Take(Writers).Select(href => Guid.Parse(href[(href.LastIndexOf('/') + 1)..])).ToArray();
            if (sections.Length < Writers) throw new InvalidOperationException($"The sections list shows {sections.Length} sections, the burst needs {Writers}.");

            var writers = new List<Writer>();
            foreach (var id in sections) writers.Add(await Writer.OpenAsync(db.SuperuserConnectionString, id));
            var writer = writers[0];
            Task<double> CommitAsync(string value) => writer.CommitAsync(value);

            // The first change shows the row's marker; it and two more warm the path up and are not counted.
            for (var i = 0; i < 3; i++)
            {
                await CommitAsync($"live-warmup-{i}@bench.local");
                await WaitShownAsync(page, $"live-warmup-{i}@bench.local");
                await Task.Delay(400);
            }
            var offset = await ClockOffsetAsync(page);

            var latencies = new List<double>();
            for (var i = 0; i < changes; i++)
            {
                var value = $"live-{i}@bench.local";
                var committed = await CommitAsync(value);
                latencies.Add(await WaitShownAsync(page, value) - committed);
                Console.Write($"\r  changes: {i + 1} of {changes}   ");
                // Beyond the reload interval (250 ms), so each change is a first event, as a change on a quiet system is.
                await Task.Delay(300 + Random.Shared.Next(200));
            }
            Console.WriteLine("\r                              ");
            var stats = Report.Stats(latencies);
            Report.Line($"commit → rendered on the other instance ({changes} changes)",
                $"p50 {stats.P50:0.0} ms, p95 {stats.P95:0.0} ms, max {stats.Max:0.0} ms");
            Report.Goal("  p95", $"{stats.P95:0.0} ms", "< 100 ms", stats.P95 < 100);
            Report.Line("  page clock − this clock (an evaluate's midpoint)", $"{offset:0.00} ms (not subtracted)");

            // The burst: 1,000 commits paced over one second by four writers, each on a row of its own (no row lock
            // serialises them), then the time until every row shows its writer's last value.
            await Task.Delay(1000);
            var before = await page.EvaluateAsync<int>("() => window.__live.renders.length");
            var burstClock = Stopwatch.StartNew();
            var lastCommits = await Task.WhenAll(writers.Select((w, index) => Task.Run(async () =>
            {
                var last = 0.0;
                for (var i = index; i < Burst; i += Writers)
                {
                    var ahead = i - burstClock.Elapsed.TotalMilliseconds;
                    if (ahead >= 1) await Task.Delay(TimeSpan.FromMilliseconds(ahead));
                    last = await w.CommitAsync($"live-burst-{i}@bench.local");
                }
                return last;
            })));
            var burstMs = burstClock.Elapsed.TotalMilliseconds;
            var finals = new List<double>();
            for (var index = 0; index < Writers; index++)
                finals.Add(await WaitShownAsync(page, $"live-burst-{Burst - Writers + index}@bench.local"));
            await Task.Delay(1000); // anything still coming
            var renders = await page.EvaluateAsync<int>("() => window.__live.renders.length") - before;
            Report.Line($"burst: {Burst:N0} commits in {burstMs:0} ms ({Writers} writers)",
                $"{renders} renders, final state shown {finals.Max() - lastCommits.Max():0.0} ms after the last commit");
            Report.Goal("  renders for the burst", $"{renders}", "≤ 10", renders <= 10);
            foreach (var w in writers) await w.DisposeAsync();
            Console.WriteLine($"  load average at the end: {LoadAverage()}");
        });
    }

    /// <summary>
    /// A connection that commits changes to one section's "last changed by" (the trigger announces each on COMMIT). Its
    /// commits are asynchronous (synchronous_commit off): the bench measures the path to the page, not the disk's flush.
    /// </summary>
    private sealed class Writer : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;
        private readonly NpgsqlCommand _update;
        private readonly Guid _section;

        private Writer(NpgsqlConnection connection, Guid section)
        {
            _connection = connection;
            _section = section;
            _update = new NpgsqlCommand("UPDATE homepage_sections SET updated_by_email = $1, updated_at = now() WHERE id = $2", connection)
            {
                Parameters = { new() { Value = "" }, new() { Value = section } },
            };
        }

        public static async Task<Writer> OpenAsync(string connectionString, Guid section)
        {
            var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await using (var off = new NpgsqlCommand("SET synchronous_commit = off", connection)) await off.ExecuteNonQueryAsync();
            return new Writer(connection, section);
        }

        /// <summary>Commits the value and returns when the commit returned (Unix ms, this process's clock).</summary>
        public async Task<double> CommitAsync(string value)
        {
            _update.Parameters[0].Value = value;
            if (await _update.ExecuteNonQueryAsync() != 1) throw new InvalidOperationException($"Section {_section} was not updated.");
            return NowUnixMs();
        }

        public async ValueTask DisposeAsync()
        {
            await _update.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>Waits until the page has shown <paramref name="value"/> and returns when (Unix ms, the page's clock).</summary>
    private static async Task<double> WaitShownAsync(IPage page, string value)
    {
        await page.WaitForFunctionAsync("v => window.__live.seen[v] !== undefined", value, new() { Timeout = 10_000, PollingInterval = 5 });
        return await page.EvaluateAsync<double>("v => window.__live.seen[v]", value);
    }

    /// <summary>The page's clock minus this process's, from the evaluate with the shortest round trip of 20.</summary>
    private static async Task<double> ClockOffsetAsync(IPage page)
    {
        var best = (Rtt: double.MaxValue, Offset: 0.0);
        for (var i = 0; i < 20; i++)
        {
            var before = NowUnixMs();
            var inPage = await page.EvaluateAsync<double>("() => performance.timeOrigin + performance.now()");
            var after = NowUnixMs();
            if (after - before < best.Rtt) best = (after - before, inPage - (before + after) / 2);
        }
        return best.Offset;
    }

    private static double NowUnixMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
