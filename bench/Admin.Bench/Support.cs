using System.Diagnostics;
using Admin.Data;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Admin.Bench;

public sealed record Stats(double Mean, double P50, double P95, double P99, double Max);

public static class Timing
{
    /// <summary>Runs the operation n times after a short warm-up; milliseconds per operation.</summary>
    public static async Task<Stats> PerOperationAsync(int n, Func<Task> operation)
    {
        for (var i = 0; i < Math.Min(20, n); i++) await operation();
        var samples = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            var clock = Stopwatch.StartNew();
            await operation();
            samples.Add(clock.Elapsed.TotalMilliseconds);
        }
        return Report.Stats(samples);
    }
}

public static class Report
{
    public static void Line(string what, string figure) => Console.WriteLine($"  {what,-55} {figure}");

    /// <summary>A figure with its goal: "… goal < 20 ms  PASS".</summary>
    public static bool Goal(string what, string figure, string goal, bool met)
    {
        Console.WriteLine($"  {what,-55} {figure,-38} goal {goal,-9} {(met ? "PASS" : "MISS")}");
        return met;
    }

    public static Stats Stats(IReadOnlyList<double> samples)
    {
        var sorted = samples.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        return new Stats(sorted.Average(), At(0.5), At(0.95), At(0.99), sorted[^1]);
    }

    /// <summary>The machine's load average (1, 5, 15 minutes), printed beside figures taken on shared cores.</summary>
    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static string Summary(IReadOnlyList<double> samples)
    {
        var s = Stats(samples);
        return $"p50 {s.P50:0.0} ms, p95 {s.P95:0.0} ms, max {s.Max:0.0} ms";
    }
}

public static class Scratch
{
    /// <summary>Runs a bench on a fresh migrated database, dropped afterwards unless ADMIN_BENCH_KEEP=1 (for EXPLAIN ANALYZE; the next run drops it).</summary>
    public static async Task RunAsync(Func<TestDatabase, Task> bench)
    {
        var db = await TestDatabase.CreateAsync();
        try
        {
            await bench(db);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("ADMIN_BENCH_KEEP") == "1") Console.WriteLine($"  (kept scratch database {db.Name})");
            else await db.DisposeAsync();
        }
    }
}

public static class BenchApp
{
    /// <summary>The real app over the scratch database (start it with StartKestrel), quiet logs.</summary>
    public static AdminAppFactory Create(TestDatabase db, bool demoSeed = false, IReadOnlyDictionary<string, string?>? settings = null)
    {
        Environment.CurrentDirectory = AppContext.BaseDirectory; // where WebApplicationFactory finds Admin.Web's content root
        var all = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Admin"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        return new AdminAppFactory(db, demoSeed, all);
    }
}

/// <summary>IDbContextFactory over the scratch database, as the app role acting as an Admin (row-level security applies).</summary>
public sealed class SingleContextFactory(TestDatabase db) : IDbContextFactory<AdminDbContext>
{
    public AdminDbContext CreateDbContext() => db.CreateAppContext(TestContexts.Admin);
}

/// <summary>Debian's chromium driven by Playwright, as the browser tests drive it, and the console's sign-in page.</summary>
public static class BenchBrowser
{
    public static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new()
    {
        ExecutablePath = Environment.GetEnvironmentVariable("ADMIN_CHROMIUM") ?? "/usr/bin/chromium", Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });

    /// <summary>A browser context of its own, signed in through the login page; returns its page.</summary>
    public static async Task<IPage> SignInAsync(IBrowser browser, Uri baseUrl, string email, string password)
    {
        var page = await (await browser.NewContextAsync(new() { BaseURL = baseUrl.ToString().TrimEnd('/') })).NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(u => !u.Contains("/Account/Login"));
        return page;
    }
}
