using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Admin.Data;
using Admin.Data.Content;
using Admin.Data.Reference;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Bench;

/// <summary>
/// Content figures (issue 3) on a scratch database holding the large seed shape at full size: 5 locales × 200 sections,
/// 200,000 versions, 2,000 products, 100 categories. Each figure is printed with its goal and PASS or MISS.
/// </summary>
public static class ContentBench
{
    private const string Locale = "en-GB";
    private const int PageSize = 20;
    private const int LongHistory = 10_000; // one section with 500 pages of history, for the page-500 figures
    private const int Concurrency = 8;
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(5);

    public static async Task RunAsync()
    {
        Console.WriteLine();
        Console.WriteLine("Content (large seed shape: 5 locales × 200 sections, 200,000 versions, 2,000 products, 100 categories)");
        await Scratch.RunAsync(RunAsync);
    }

    private static async Task RunAsync(TestDatabase db)
    {
        var clock = Stopwatch.StartNew();
        ContentSeedResult seeded;
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
        {
            await ReferenceData.SeedAsync(owner);
            seeded = await ContentSeeder.SeedAsync(owner, ContentSeedShape.Large);
        }
        Report.Goal("seed (./admin seed --scale large, content part)", $"{clock.Elapsed.TotalSeconds:0.0} s for {seeded.Versions:N0} versions",
            "< 60 s", clock.Elapsed < TimeSpan.FromSeconds(60));
        var longHistory = await AddLongHistoryAsync(db);

        // The app itself, on Kestrel; queries go through its DI as a request's would (a fresh scope each time: its
        // DbContext options, pooled data source and session context).
        await using var app = BenchApp.Create(db, settings: new Dictionary<string, string?>
        {
            ["Content:Delivery:PermitLimit"] = "1000000000", // the limiter runs, but never refuses the bench
        });
        var address = app.StartKestrel();
        async Task<T> Content<T>(Func<ContentService, Task<T>> operation)
        {
            await using var scope = app.Services.CreateAsyncScope();
            return await operation(scope.ServiceProvider.GetRequiredService<ContentService>());
        }

        var sections = await Content(s => s.ListAsync(Locale));
        var list = await Timing.PerOperationAsync(300, () => Content(s => s.ListAsync(Locale)));
        Report.Goal($"section list, {sections.Count} sections (ContentService.ListAsync)", $"p95 {list.P95:0.00} ms (p50 {list.P50:0.00})", "< 20 ms", list.P95 < 20);

        var typical = sections.MaxBy(s => s.VersionCount)!;
        var page1 = await Timing.PerOperationAsync(500, () => Content(s => s.HistoryAsync(typical.Id, pageSize: PageSize)));
        Report.Goal($"version history page 1 ({typical.VersionCount} versions, keyset)", $"p95 {page1.P95:0.00} ms (p50 {page1.P50:0.00})", "< 5 ms", page1.P95 < 5);

        const int page = 500;
        var before = LongHistory - (page - 1) * PageSize + 1;
        var keyset = await Timing.PerOperationAsync(500, () => Content(s => s.HistoryAsync(longHistory, before, PageSize)));
        var items = (await Content(s => s.HistoryAsync(longHistory, before, PageSize))).Items;
        Report.Goal($"version history page {page} ({LongHistory:N0} versions, keyset)",
            $"p95 {keyset.P95:0.00} ms (p50 {keyset.P50:0.00}; v{items[0].Number}…v{items[^1].Number})", "< 5 ms", keyset.P95 < 5);

        // For comparison only: the same page by OFFSET reads and discards the 9,980 newer versions first.
        var offset = await Timing.PerOperationAsync(100, async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            await using var context = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<AdminDbContext>>().CreateDbContextAsync();
            await context.Database.SqlQuery<VersionSummary>($"""
                SELECT version_number AS "number", change_summary AS "change_summary", created_at AS "created_at",
                       created_by_email AS "created_by_email", is_published AS "is_published", published_at AS "published_at",
                       restored_from AS "restored_from", octet_length(content::text) AS "content_bytes"
                FROM section_versions WHERE section_id = {longHistory}
                ORDER BY version_number DESC OFFSET {(page - 1) * PageSize} LIMIT {PageSize + 1}
                """).ToListAsync();
        });
        Report.Line($"  same page {page} by OFFSET (comparison)", $"p95 {offset.P95:0.00} ms (p50 {offset.P50:0.00})");

        await DeliveryAsync(address);
        await using var scope = app.Services.CreateAsyncScope();
        await PublishToVisibleAsync(scope.ServiceProvider.GetRequiredService<ContentService>(), address, sections);
    }

    /// <summary>One en-US section with 10,000 versions (a page edited daily for decades), so page 500 exists.</summary>
    private static async Task<Guid> AddLongHistoryAsync(TestDatabase db)
    {
        var id = Guid.NewGuid();
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"""
            BEGIN;
            INSERT INTO homepage_sections (id, locale, section_key, section_type, display_order, status, latest_version_number, draft_version_id, updated_by_email)
            SELECT '{id}', 'en-US', 'long-history', 'rich_text', max(display_order) + 1, 'draft', {LongHistory}, NULL, 'bench@admin.local'
            FROM homepage_sections WHERE locale = 'en-US';
            INSERT INTO section_versions (section_id, version_number, content, change_summary, created_at, created_by_email)
            SELECT '{id}', g, jsonb_build_object('title', 'Store news', 'html', '<p>Revision ' || g || ' of the store news.</p>'),
                   'Daily update ' || g, now() - make_interval(hours => 24 * ({LongHistory} - g)), 'editor@admin.local'
            FROM generate_series(1, {LongHistory}) AS g;
            UPDATE homepage_sections SET draft_version_id = (SELECT id FROM section_versions WHERE section_id = '{id}' AND version_number = {LongHistory}) WHERE id = '{id}';
            COMMIT;
            VACUUM (ANALYZE) section_versions;
            """);
        return id;
    }

    private static async Task DeliveryAsync(Uri address)
    {
        const string compressed = "br, gzip";
        var path = $"/api/content/homepage/{Locale}";
        using var client = new HttpClient { BaseAddress = address };
        var body = await client.GetByteArrayAsync(path);
        var published = JsonNode.Parse(body)!["sections"]!.AsArray().Count;
        var brotli = new HttpRequestMessage(HttpMethod.Get, path) { Headers = { { "Accept-Encoding", compressed } } };
        var brotliBytes = (await (await client.SendAsync(brotli)).Content.ReadAsByteArrayAsync()).Length;
        Report.Line($"delivery {path}", $"{published} published sections, {body.Length / 1024.0:0.0} kB (brotli {brotliBytes / 1024.0:0.0} kB), cache on");

        // Warm every path up (JIT, connection pools), then alternate, so none gets a quieter moment.
        (string Label, string Path, string? Encoding)[] runs =
            [("/healthz", "/healthz", null), ("delivery, no Accept-Encoding", path, null), ($"delivery, Accept-Encoding: {compressed}", path, compressed)];
        foreach (var run in runs) await LoadGenerator.RunAsync(address, run.Path, Concurrency, TimeSpan.FromSeconds(2), run.Encoding);
        var results = runs.ToDictionary(r => r.Label, _ => new List<LoadResult>());
        for (var round = 0; round < 2; round++)
            foreach (var run in runs)
                results[run.Label].Add(await LoadGenerator.RunAsync(address, run.Path, Concurrency, LoadDuration, run.Encoding));

        double Rate(string label) => results[label].Sum(r => r.Requests) / results[label].Sum(r => r.Elapsed.TotalSeconds);
        var health = Rate(runs[0].Label);
        Report.Line($"/healthz, {Concurrency} concurrent clients", $"{health:N0} requests/s");
        foreach (var (label, _, _) in runs.Skip(1))
        {
            var rate = Rate(label);
            var latency = Report.Stats(results[label].SelectMany(r => r.Samples).ToList());
            Report.Goal($"{label}, {Concurrency} clients", $"{rate:N0} requests/s = {rate / health:0.00} × /healthz", "≥ 0.70", rate / health >= 0.7);
            Report.Goal("  latency under that load", $"p99 {latency.P99:0.00} ms (p50 {latency.P50:0.00}, max {latency.Max:0.0})", "< 10 ms", latency.P99 < 10);
        }
        var failures = results.Values.SelectMany(r => r).Sum(r => r.Failures);
        if (failures > 0) Report.Line("  non-200 responses during the load", failures.ToString("N0"));
    }

    /// <summary>Publish through the app's ContentService, as an editor would, and poll until the endpoint shows it.</summary>
    private static async Task PublishToVisibleAsync(ContentService service, Uri address, IReadOnlyList<SectionListItem> sections)
    {
        using var client = new HttpClient { BaseAddress = address };
        var path = $"/api/content/homepage/{Locale}";
        var hero = sections.First(s => s is { Type: SectionTypes.Hero, Status: SectionStatuses.Published });
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var detail = (await service.GetAsync(hero.Id))!;
            var content = ContentJson.ToObject(detail.Latest.Content);
            content["title"] = $"Bench publish {i}";
            var number = ((SaveResult.Saved)await service.SaveDraftAsync(hero.Id, detail.Latest.VersionNumber, content, "bench")).VersionNumber;
            var etag = (await client.GetAsync(path)).Headers.ETag!.Tag;

            var clock = Stopwatch.StartNew();
            await service.PublishAsync(hero.Id, number);
            while (true)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, path);
                request.Headers.TryAddWithoutValidation("If-None-Match", etag);
                var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var shown = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["sections"]!.AsArray()
                        .Single(s => s!["id"]!.GetValue<string>() == hero.Id.ToString())!;
                    if (shown["version"]!.GetValue<int>() == number) break;
                    etag = response.Headers.ETag!.Tag;
                }
                if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("publish never became visible");
                await Task.Delay(1);
            }
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        var stats = Report.Stats(times);
        Report.Goal("publish -> visible on the delivery endpoint (20 publishes)", $"max {stats.Max:0} ms (p50 {stats.P50:0})", "< 1 s", stats.Max < 1000);
    }
}
