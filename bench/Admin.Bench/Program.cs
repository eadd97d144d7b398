using System.Diagnostics;
using Admin.Bench;
using Admin.Data.Live;
using Admin.Data.Session;
using Admin.TestSupport;
using Admin.Data.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

// Foundation figures on a scratch database of the local cluster (./admin bench points ADMIN_TEST_PG at it).
// They are printed, not asserted: compare runs on the same machine. `./admin bench content` prints only the content
// figures (ContentBench.cs), which follow the foundation ones otherwise.
if (args is ["drill", ..])
{
    // ./admin drill: the fault drill (bench/Admin.Drill). Ctrl-C or SIGTERM stops it and everything it started.
    Admin.Drill.DrillOptions options;
    try { options = Admin.Drill.DrillOptions.Parse(args[1..]); }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"drill: {e.Message}");
        Environment.Exit(2);
        return;
    }
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
        c => { c.Cancel = true; cancel.Cancel(); });
    try
    {
        var result = await Admin.Drill.FaultDrill.RunAsync(options, cancel.Token);
        Console.WriteLine();
        Console.WriteLine(result.Summary);
        Environment.ExitCode = result.Passed ? 0 : 1;
    }
    catch (OperationCanceledException) when (cancel.IsCancellationRequested)
    {
        Console.Error.WriteLine("drill: interrupted; everything it started was stopped");
        Environment.ExitCode = 130;
    }
    return;
}
if (args is ["content"])
{
    await ContentBench.RunAsync();
    return;
}
if (args is ["database"])
{
    await DatabaseBench.RunAsync();
    await DatabaseWindowBench.RunAsync();
    return;
}
if (args is ["database", "windows"])
{
    await DatabaseWindowBench.RunAsync();
    return;
}
if (args is ["releases"])
{
    await ReleaseBench.RunAsync();
    return;
}
if (args is ["deployments"])
{
    await DeploymentBench.RunAsync();
    return;
}
if (args is ["audit"])
{
    await AuditBench.RunAsync();
    return;
}
if (args is ["typing"])
{
    await TypingBench.RunAsync();
    return;
}
if (args is ["tti"])
{
    await TtiBench.RunAsync();
    return;
}
if (args is ["live"])
{
    await LiveBench.RunAsync();
    return;
}

Console.WriteLine($"Admin foundation benchmarks · {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {Environment.ProcessorCount} cores");
Console.WriteLine();

await using (var empty = await TestDatabase.CreateEmptyAsync())
{
    var clock = Stopwatch.StartNew();
    var applied = await empty.CreateMigrator().MigrateAsync();
    Report.Line("migrations on an empty database", $"{clock.ElapsedMilliseconds} ms for {applied.Count} migration(s)");
}

var clones = new List<double>();
for (var i = 0; i < 5; i++)
{
    var clock = Stopwatch.StartNew();
    await using var clone = await TestDatabase.CreateAsync();
    clones.Add(clock.Elapsed.TotalMilliseconds);
}
Report.Line("test database cloned from template", Report.Summary(clones));

await using var db = await TestDatabase.CreateAsync();

// Session context: each EF Core connection open sets app.* and each close clears them.
const int queries = 2000;
var user = new SessionContext(Guid.NewGuid(), "bench@admin.local", ["Editor"], ["acme"], ["en-GB"], "bench");
var withContext = await Timing.PerOperationAsync(queries, async () =>
{
    await using var context = db.CreateAppContext(user);
    await context.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync();
});
var plain = await Timing.PerOperationAsync(queries, async () =>
{
    await using var context = new Admin.Data.AdminDbContext(new DbContextOptionsBuilder<Admin.Data.AdminDbContext>().UseNpgsql(db.AppConnectionString).Options);
    await context.Database.SqlQueryRaw<int>("SELECT 1 AS \"Value\"").SingleAsync();
});
Report.Line("query with session context (open+set+query+clear)", $"{withContext.Mean * 1000:0} µs mean, p95 {withContext.P95 * 1000:0} µs");
Report.Line("same query without session context", $"{plain.Mean * 1000:0} µs mean, p95 {plain.P95 * 1000:0} µs");
Report.Line("session context overhead per connection use", $"{(withContext.Mean - plain.Mean) * 1000:0} µs");

// NOTIFY -> listener latency, one event at a time.
var listener = new NotificationListener(
    new NpgsqlConnectionStringBuilder(db.AppConnectionString) { Pooling = false }.ConnectionString,
    NullLogger<NotificationListener>.Instance);
var pending = new Dictionary<string, TaskCompletionSource>();
var connected = new TaskCompletionSource();
using var stop = new CancellationTokenSource();
var listening = listener.RunAsync(
    e => { lock (pending) if (e.Id is { } id && pending.Remove(id, out var t)) t.TrySetResult(); return ValueTask.CompletedTask; },
    (state, _) => { if (state == ListenerState.Connected) connected.TrySetResult(); return ValueTask.CompletedTask; },
    stop.Token);
await connected.Task.WaitAsync(TimeSpan.FromSeconds(10));
await using (var sender = await db.OpenAsync(TestPostgres.AppRole))
{
    var latencies = new List<double>();
    for (var i = 0; i < 500; i++)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pending) pending[$"n{i}"] = arrived;
        var clock = Stopwatch.StartNew();
        await sender.ExecuteAsync($"SELECT live_notify('bench', 'n{i}', 'latency')");
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(5));
        latencies.Add(clock.Elapsed.TotalMilliseconds);
    }
    Report.Line("NOTIFY -> listener latency (500 events)", Report.Summary(latencies));

    const int burst = 5000;
    var last = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    lock (pending) pending[$"b{burst - 1}"] = last;
    var burstClock = Stopwatch.StartNew();
    await sender.ExecuteAsync($"SELECT live_notify('bench', 'b' || g, 'burst') FROM generate_series(0, {burst - 1}) AS g");
    await last.Task.WaitAsync(TimeSpan.FromSeconds(30));
    Report.Line($"NOTIFY burst of {burst} in one statement, all delivered", $"{burstClock.ElapsedMilliseconds} ms ({burst / burstClock.Elapsed.TotalSeconds:0} events/s)");
}
stop.Cancel();
await listening;

// Audit: application writes through audit_write, and the home chart's query on a large table.
await using (var context = db.CreateAppContext(user))
{
    var writes = await Timing.PerOperationAsync(2000, () => Admin.Data.Audit.AuditWriter.WriteAsync(context, new("bench.write", "bench", "1", NewData: new { n = 1 })));
    Report.Line("audit_write (with its NOTIFY), one per call", $"{writes.Mean:0.00} ms mean, p95 {writes.P95:0.00} ms");
}
await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
{
    var clock = Stopwatch.StartNew();
    await owner.ExecuteAsync("""
        INSERT INTO audit_events (occurred_at, actor_email, actor_roles, action, table_name, record_id, request_id)
        SELECT now() - random() * interval '90 days', 'user' || (g % 50) || '@bench', ARRAY['Editor'],
               (ARRAY['auth.login','auth.login_failed','user.roles_changed'])[1 + g % 3], 'users', (g % 50)::text, 'bench'
        FROM generate_series(1, 500000) AS g;
        ANALYZE audit_events;
        """);
    Report.Line("loading 500,000 audit events over 90 days", $"{clock.ElapsedMilliseconds} ms");
}
var factory = new SingleContextFactory(db);
var audit = new AuditQueries(factory);
var chart = await Timing.PerOperationAsync(20, () => audit.PerHourAsync(24));
Report.Line("home chart query (24 hourly buckets, 500k rows)", $"{chart.Mean:0.0} ms mean, p95 {chart.P95:0.0} ms");
var search = new Admin.Data.Audit.AuditSearch(factory);
var recent = await Timing.PerOperationAsync(20, () => search.AuditAsync(new Admin.Data.Audit.AuditFilter()));
Report.Line("newest 50 audit events (500k rows)", $"{recent.Mean:0.0} ms mean, p95 {recent.P95:0.0} ms");

await ContentBench.RunAsync();
await DatabaseBench.RunAsync();
await DatabaseWindowBench.RunAsync();
