using System.Diagnostics;
using Admin.Data.Audit;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.Playwright;

namespace Admin.Bench;

/// <summary>
/// Audit figures (issue 7) on a scratch database with 5,000,000 audit events over 90 days (hash-chained by the trigger
/// like every row): the viewer's first page, a 7-day actor filter, page 10,000 by keyset and by OFFSET, a DBA's first
/// page (row-level security filters per row), and the live tail from INSERT to a row in a real browser.
/// </summary>
public static class AuditBench
{
    private const int Events = 5_000_000;
    private const int Batch = 500_000;
    private const int Actors = 200;
    private const int Runs = 30;

    public static async Task RunAsync()
    {
        Console.WriteLine($"Audit benchmarks · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores");
        await Scratch.RunAsync(RunAsync);
    }

    private static async Task RunAsync(TestDatabase db)
    {
        var clock = Stopwatch.StartNew();
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
        {
            // Every month of the 90 days gets its partition before the load (a row per month, then the partition
            // maintenance moves it), so no row lands in the default partition.
            await owner.ExecuteAsync("""
                INSERT INTO audit_events (occurred_at, action, request_id)
                SELECT now() - make_interval(days => d), 'bench.partition', 'bench' FROM generate_series(0, 100, 10) AS d;
                SELECT audit_ensure_partitions(1);
                """);
            for (var start = 0; start < Events; start += Batch)
            {
                // Oldest first, so ids and the chain follow time; actions include 5 % database actions (the DBA's share).
                await using var load = new Npgsql.NpgsqlCommand($"""
                    INSERT INTO audit_events (occurred_at, actor_id, actor_email, actor_roles, action, table_name, record_id, old_data, new_data, request_id)
                    SELECT now() - interval '90 days' + (g::double precision / {Events}) * interval '90 days',
                           NULL, 'user' || (g % {Actors}) || '@bench.local', ARRAY['Editor'],
                           (ARRAY['auth.login', 'release.entity_changed', 'release.created', 'content.version_saved', 'content.published',
                                  'deployment.approved', 'user.roles_changed', 'auth.logout', 'release.deployed', 'auth.login_failed',
                                  'content.scheduled', 'release.submitted', 'content.reordered', 'release.approved', 'auth.login',
                                  'content.version_saved', 'release.entity_added', 'auth.login', 'content.unpublished', 'database.query_cancelled'])[1 + g % 20],
                           'releases', (g % 50000)::text,
                           CASE WHEN g % 3 = 0 THEN jsonb_build_object('status', 'DRAFT', 'n', g) END,
                           jsonb_build_object('status', 'IN_REVIEW', 'n', g, 'note', 'bench row ' || g),
                           'req-' || (g / 4)
                    FROM generate_series({start}, {Math.Min(Events, start + Batch) - 1}) AS g
                    """, owner) { CommandTimeout = 0 };
                await load.ExecuteNonQueryAsync();
                Console.Write($"\r  loading audit events: {Math.Min(Events, start + Batch):N0}   ");
            }
            await using var vacuum = new Npgsql.NpgsqlCommand("VACUUM (ANALYZE) audit_events", owner) { CommandTimeout = 0 };
            await vacuum.ExecuteNonQueryAsync();
        }
        Console.WriteLine();
        Report.Line($"load {Events:N0} audit events (chained, then VACUUM ANALYZE)", $"{clock.Elapsed.TotalSeconds:0} s");

        var admin = new AuditSearch(new SingleContextFactory(db));
        var first = await Timing.PerOperationAsync(Runs, () => admin.AuditAsync(new AuditFilter()));
        Report.Goal("first page, newest 50 (Admin)", $"p95 {first.P95:0.0} ms (p50 {first.P50:0.0})", "< 30 ms", first.P95 < 30);

        var now = DateTimeOffset.UtcNow;
        var actor = new AuditFilter(From: now.AddDays(-7), Actor: "user17@bench.local");
        var matches = (await admin.AuditAsync(actor, pageSize: 200)).Rows.Count;
        var byActor = await Timing.PerOperationAsync(Runs, () => admin.AuditAsync(actor));
        Report.Goal("filter by actor over 7 days (first page)", $"p95 {byActor.P95:0.0} ms (p50 {byActor.P50:0.0})", "< 50 ms", byActor.P95 < 50);
        var actorText = new AuditFilter(From: now.AddDays(-7), Actor: "user17@bench.local", Text: "bench row 12");
        var byText = await Timing.PerOperationAsync(10, () => admin.AuditAsync(actorText));
        Report.Line("  … and text in the JSON", $"p95 {byText.P95:0.0} ms (p50 {byText.P50:0.0}); {matches} rows on the unfiltered page");

        // Page 10,000 of 50: the keyset starts after the 499,950th row; OFFSET reads and drops them all.
        const int depth = 9_999 * 50;
        await using var app = await db.OpenAppAsAdminAsync();
        var (at, id) = (await app.ScalarAsync<DateTime>($"SELECT occurred_at FROM audit_events ORDER BY occurred_at DESC, id DESC OFFSET {depth - 1} LIMIT 1"),
                        await app.ScalarAsync<long>($"SELECT id FROM audit_events ORDER BY occurred_at DESC, id DESC OFFSET {depth - 1} LIMIT 1"));
        var cursor = new Keyset(new DateTimeOffset(at, TimeSpan.Zero), id);
        var keyset = await Timing.PerOperationAsync(Runs, () => admin.AuditAsync(new AuditFilter(), cursor));
        var offset = await Timing.PerOperationAsync(5, () => admin.AuditByOffsetAsync(new AuditFilter(), depth));
        var same = (await admin.AuditAsync(new AuditFilter(), cursor)).Rows.Select(r => r.Id)
            .SequenceEqual((await admin.AuditByOffsetAsync(new AuditFilter(), depth)).Select(r => r.Id));
        Report.Line("page 10,000 by keyset", $"p95 {keyset.P95:0.0} ms (p50 {keyset.P50:0.0})");
        Report.Line("page 10,000 by OFFSET", $"p95 {offset.P95:0.0} ms (p50 {offset.P50:0.0}); OFFSET / keyset p50 = {offset.P50 / keyset.P50:0}× (same rows: {same})");

        var dba = new AuditSearch(new DbaContexts(db));
        var dbaFirst = await Timing.PerOperationAsync(Runs, () => dba.AuditAsync(new AuditFilter()));
        Report.Line("first page as a DBA (RLS: database actions, 5 %)", $"p95 {dbaFirst.P95:0.0} ms (p50 {dbaFirst.P50:0.0})");

        // Export: every row of the last 30 days (about 1.7 M) as CSV to a sink, in constant memory.
        var exportFilter = new AuditFilter(From: now.AddDays(-30));
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var exportClock = Stopwatch.StartNew();
        await using var sink = new CountingSink(() => peak = Math.Max(peak, GC.GetTotalMemory(false)));
        var exported = await Admin.Data.Infrastructure.ExportWriter.CsvAsync(sink, ["id", "occurred_at", "actor_email", "action", "new_data"],
            admin.StreamAuditAsync(exportFilter), r => [r.Id.ToString(), Admin.Data.Infrastructure.ExportWriter.Time(r.OccurredAt), r.ActorEmail, r.Action, r.NewData]);
        Report.Line($"CSV export of {exported:N0} events (30 days), streamed",
            $"{exportClock.Elapsed.TotalSeconds:0.0} s, {sink.Bytes / 1e6:0} MB, peak heap growth {(peak - before) / 1e6:0} MB");

        await LiveTailAsync(db);
    }

    /// <summary>A response body that only counts, and samples the heap as the export flushes into it.</summary>
    private sealed class CountingSink(Action sample) : Stream
    {
        public long Bytes { get; private set; }
        public override void Write(byte[] buffer, int offset, int count) { Bytes += count; sample(); }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default) { Bytes += buffer.Length; sample(); return ValueTask.CompletedTask; }
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Bytes;
        public override long Position { get => Bytes; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>INSERT (audit_write on a connection of its own) to the row shown in the viewer of a signed-in admin in chromium.</summary>
    private static async Task LiveTailAsync(TestDatabase db)
    {
        await using var factory = BenchApp.Create(db, demoSeed: true, new Dictionary<string, string?> { ["Admin:DemoContent"] = "false" });
        var baseUrl = factory.StartKestrel();
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BenchBrowser.LaunchAsync(playwright);
        var page = await BenchBrowser.SignInAsync(browser, baseUrl, "admin@admin.local", "Admin-Demo-2026");
        await page.GotoAsync("/audit");
        await page.WaitForSelectorAsync(".shell[data-interactive=true]");
        await page.WaitForSelectorAsync("[data-testid=tail-state][data-state=live]");

        await using var writer = await db.OpenAsync(TestPostgres.AppRole);
        var samples = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            var marker = $"tail-{i}-{Guid.NewGuid():N}"[..16];
            var clock = Stopwatch.StartNew();
            await writer.ExecuteAsync($"SELECT audit_write('bench.tail', 'bench', '{marker}')");
            await page.WaitForSelectorAsync($"[data-testid=audit-row]:has-text('{marker}')", new() { Timeout = 10_000 });
            samples.Add(clock.Elapsed.TotalMilliseconds);
            await Task.Delay(200);
        }
        var s = Report.Stats(samples);
        Report.Goal("live tail: INSERT to the row in the browser (20 events)", $"p95 {s.P95:0} ms (p50 {s.P50:0}, max {s.Max:0})", "< 1 s", s.P95 < 1000);
    }

    private sealed class DbaContexts(TestDatabase db) : Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Data.AdminDbContext>
    {
        private static readonly SessionContext Dba = new(Guid.NewGuid(), "dba@bench.local", ["Dba"], [], [], "bench");

        public Admin.Data.AdminDbContext CreateDbContext() => db.CreateAppContext(Dba);
    }
}
