using System.Globalization;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Drill;

public sealed record Check(string Name, bool Passed, string Detail);

public sealed record DrillResult(int Acknowledged, int Lost, IReadOnlyList<Check> Checks, string Summary)
{
    public bool Passed => Lost == 0 && Checks.All(c => c.Passed);
}

/// <summary>
/// `./admin drill`: a cluster of its own (synchronous_commit = on), N app instances behind nginx, a few minutes of
/// realistic load through nginx, and four faults one after another (PostgreSQL restart, kill -9 of the instance holding
/// the DBA's circuit, kill -9 of every process of the cluster, the cluster frozen with SIGSTOP); then the checks: every
/// acknowledged write present, the audit chain intact, each schedule fired once, errors only inside fault windows,
/// recovery times, the browser on another instance with the editor's unsaved edit offered there. Everything it started
/// is stopped on the way out (also on Ctrl-C).
/// </summary>
public static class FaultDrill
{
    private const string Database = "admin";

    public static async Task<DrillResult> RunAsync(DrillOptions options, CancellationToken cancel = default)
    {
        var journal = new Journal();
        void Log(string line) => options.Log($"[{journal.Now,6:0.0} s] {line}");
        TemporaryCluster? cluster = null;
        var apps = new List<AppProcess>();
        Balancer? nginx = null;
        BrowserWatch? browser = null;
        EditorWatch? editor = null;
        var edit = (Check?)null;
        NpgsqlDataSource? appData = null;
        var frozen = false;
        try
        {
            Log("PostgreSQL: a cluster of the drill's own (synchronous_commit = on)");
            cluster = await TemporaryCluster.StartAsync("synchronous_commit = on\nmax_connections = 200");
            await cluster.CreateMigratedDatabaseAsync(Database);
            Log($"PostgreSQL on 127.0.0.1:{cluster.Port}, database '{Database}' migrated");
            cancel.ThrowIfCancellationRequested();

            var settings = new Dictionary<string, string>
            {
                ["ConnectionStrings__Admin"] = cluster.ConnectionString(Database, TestPostgres.AppRole),
                ["ConnectionStrings__AdminOwner"] = cluster.ConnectionString(Database, TestPostgres.OwnerRole),
                ["ConnectionStrings__AdminExplain"] = cluster.ConnectionString(Database, TestPostgres.ExplainRole),
                ["Admin__DemoSeed"] = "true",
                ["Admin__DemoContent"] = "true",
                ["Account__SignIn__PerAddress__PermitLimit"] = "0",
                ["Account__SignIn__PerAccount__PermitLimit"] = "0",
                // Every request arrives from nginx's address: the per-address delivery limit would count all clients as one.
                ["Content__Delivery__PermitLimit"] = "0",
                ["Content__Schedules__IntervalSeconds"] = "2",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Microsoft.AspNetCore.DataProtection"] = "Error",
            };
            for (var i = 0; i < options.Instances; i++) apps.Add(new AppProcess(settings));
            // The first one migrates and seeds; the others start side by side after it.
            await apps[0].StartAsync();
            await Task.WhenAll(apps.Skip(1).Select(a => a.StartAsync()));
            Log($"{apps.Count} app instances: {string.Join(", ", apps.Select(a => a.BaseUrl.Authority))}");

            nginx = await Balancer.StartAsync(apps.Select(a => a.BaseUrl));
            Log($"nginx ({Balancer.Binary}) on {nginx.BaseUrl.Authority} with deploy/nginx/admin.conf");

            appData = NpgsqlDataSource.Create(cluster.ConnectionString(Database, TestPostgres.AppRole, b => b.Timeout = 5));
            var people = await PeopleAsync(cluster);
            var token = (await new ApiTokenService(new Factory(appData, people.Admin), new FixedSessionContextSource(people.Admin))
                .CreateAsync("drill-ci", TokenScope.Everything)).Secret;

            if (options.Browser)
            {
                browser = await BrowserWatch.OpenAsync(nginx.BaseUrl, journal, "dba@admin.local", "Dba-Demo-2026");
                Log($"chromium: the DBA's Activity panel, served by {browser.CurrentUpstream}");
                try
                {
                    editor = await EditorWatch.OpenAsync(browser, journal, Super(cluster), "editor@admin.local", "Editor-Demo-2026");
                    Log($"chromium, second context with the DBA's affinity cookie: the editor on a section, served by {string.Join(", ", editor.Upstreams)}");
                }
                catch (Exception e)
                {
                    edit = new Check(EditorWatch.CheckName, false, $"the editor's page did not open: {Journal.Describe(e)}");
                }
            }

            // ------------------------------------------------------------------ load and faults
            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var workload = new Workload(journal, nginx.BaseUrl, token, appData, people);
            var loadStart = journal.Now;
            Log($"load for {options.Duration.TotalSeconds:0} s through nginx: {options.CiClients} CI clients, {options.Editors} editors, exports, storefront");
            var load = workload.RunAsync(options.CiClients, options.Editors, stopLoad.Token);
            var stamps = new List<(double At, string? Stamp)>();
            using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            var sampler = browser is null ? Task.CompletedTask : Task.Run(async () =>
            {
                while (!stopSampling.IsCancellationRequested)
                {
                    var stamp = await browser.ActivityStampAsync();
                    lock (stamps) stamps.Add((journal.Now, stamp));
                    try { await Task.Delay(2000, stopSampling.Token); } catch (OperationCanceledException) { }
                }
            });

            var warmUp = Math.Min(20, options.Duration.TotalSeconds * 0.15);
            var slot = (options.Duration.TotalSeconds - warmUp) / 4;
            var reconnect = (Check?)null;
            var sticky = (Check?)null;
            var killAt = 0.0;
            var faults = new Func<Task>[]
            {
                async () =>
                {
                    var start = journal.Now;
                    await cluster.RestartAsync();
                    Fault(new FaultWindow("pg_ctl restart -m fast", start, journal.Now, "fast shutdown, every session terminated"));
                },
                async () =>
                {
                    var victim = apps.FirstOrDefault(a => browser?.CurrentUpstream == a.BaseUrl.Authority) ?? apps[0];
                    if (browser is not null)
                    {
                        // Sign-in page, sign-in post, its redirect, the Activity panel: all on one instance, or circuits break.
                        var loads = browser.Loads;
                        var instances = loads.Select(l => l.Upstream).Distinct().ToList();
                        sticky = new Check("sticky sessions keep a browser on one instance", instances.Count == 1,
                            $"{loads.Count} page loads before the kill, served by {string.Join(", ", instances)}");
                    }
                    // The editor on the same instance types without saving; the working copy must outlive the kill.
                    var typed = false;
                    if (editor is not null)
                    {
                        try
                        {
                            if (editor.Upstreams is not [var served] || served != victim.BaseUrl.Authority)
                                edit = new Check(EditorWatch.CheckName, false,
                                    $"the editor's pages were served by {string.Join(", ", editor.Upstreams)}, not by the instance to kill ({victim.BaseUrl.Authority})");
                            else
                            {
                                await editor.TypeUnsavedAsync();
                                typed = true;
                            }
                        }
                        catch (Exception e)
                        {
                            edit = new Check(EditorWatch.CheckName, false, $"typing or its autosave before the kill: {Journal.Describe(e)}");
                        }
                    }
                    if (typed) await Until(killAt, journal, cancel);
                    var start = journal.Now;
                    await victim.KillAsync();
                    var reconnecting = browser is null ? null : FollowBrowserAsync(browser, victim, start, journal);
                    var restoring = typed ? editor!.FollowAsync(victim.BaseUrl.Authority, start, Super(cluster)) : null;
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    await victim.StartAsync();
                    Fault(new FaultWindow("kill -9 of one app instance", start, journal.Now, $"{victim.BaseUrl.Authority} killed, restarted"));
                    if (reconnecting is not null) reconnect = await reconnecting;
                    if (restoring is not null) edit = await restoring;
                },
                async () =>
                {
                    var start = journal.Now;
                    var processes = cluster.ProcessIds().Count;
                    await Task.Run(cluster.KillEveryProcess);
                    await cluster.StartAgainAsync();
                    Fault(new FaultWindow("kill -9 of every cluster process", start, journal.Now, $"{processes} processes at once, crash recovery on start"));
                },
                async () =>
                {
                    var start = journal.Now;
                    var pids = await cluster.SignalAllAsync("STOP");
                    frozen = true;
                    await Task.Delay(options.Pause, cancel);
                    await cluster.SignalAllAsync("CONT");
                    frozen = false;
                    Fault(new FaultWindow($"database frozen {options.Pause.TotalSeconds:0} s", start, journal.Now, $"SIGSTOP of {pids.Count} processes, then SIGCONT"));
                },
            };
            void Fault(FaultWindow window)
            {
                journal.Fault(window);
                Log($"fault: {window.Name} from {window.Start:0.0} s to {window.End:0.0} s ({window.Detail})");
            }
            // Each fault waits for its slot, and for the previous one's recovery (a slow restart must not run two faults together).
            // The instance kill begins with the editor's typing and its autosave (every 3 s): started up to 4 s earlier,
            // and the kill itself still waits for its time.
            var lastEnd = 0.0;
            for (var i = 0; i < faults.Length; i++)
            {
                var at = Math.Max(loadStart + warmUp + i * slot, lastEnd + options.Gap.TotalSeconds);
                var typing = i == 1 && editor is not null ? 4 : 0;
                if (i == 1) killAt = at;
                await Until(at - typing, journal, cancel);
                await faults[i]();
                lastEnd = journal.Now;
            }
            // The load runs on past the last fault's grace, so that recovery is seen, not assumed.
            await Until(Math.Max(loadStart + options.Duration.TotalSeconds, lastEnd + options.Grace.TotalSeconds + options.Gap.TotalSeconds), journal, cancel);
            stopLoad.Cancel();
            Log("load stopped; waiting for calls still retrying and for the last schedules");
            await load;
            await WaitForSchedulesAsync(cluster, journal, TimeSpan.FromSeconds(40));
            stopSampling.Cancel();
            await sampler;

            // ------------------------------------------------------------------ checks
            var result = await DrillChecks.CheckAsync(options, cluster, appData, journal, [.. new[] { sticky, reconnect, edit }.OfType<Check>()], stamps, Log);
            if (journal.Attempts.Any(a => a.Status == 500))
            {
                Log("the instances' last logged exceptions (for the HTTP 500s):");
                foreach (var app in apps)
                    foreach (var line in app.Output.Split('\n').Where(l => l.Contains(" fail: ", StringComparison.Ordinal)).Distinct().TakeLast(4))
                    {
                        var path = line.IndexOf("RequestPath:", StringComparison.Ordinal) is var p and >= 0 ? line[p..].Split(' ')[0] : "";
                        var error = line.IndexOf("request. ", StringComparison.Ordinal) is var e and >= 0 ? line[(e + 9)..] : line;
                        Log($"  {app.BaseUrl.Authority} {path}: {(error.Length > 300 ? error[..300] : error)}");
                    }
            }
            return result;
        }
        finally
        {
            if (browser is not null) await Quietly(() => browser.DisposeAsync().AsTask());
            if (nginx is not null) await Quietly(() => nginx.DisposeAsync().AsTask());
            foreach (var app in apps) await Quietly(() => app.DisposeAsync().AsTask());
            if (appData is not null) await appData.DisposeAsync();
            if (cluster is not null)
            {
                if (frozen) await Quietly(() => cluster.SignalAllAsync("CONT"));
                await Quietly(() => cluster.DisposeAsync().AsTask());
            }
        }
    }

    /// <summary>After the kill of its instance, the browser must end up interactive on another instance.</summary>
    /// <remarks>The editor on the same instance, and their unsaved edit, are followed by <see cref="EditorWatch.FollowAsync"/>.</remarks>
    private static async Task<Check> FollowBrowserAsync(BrowserWatch browser, AppProcess victim, double killedAt, Journal journal)
    {
        const string name = "browser on the killed instance reconnects to another";
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline)
            {
                var moved = browser.Loads.Any(l => l.At > killedAt && l.Upstream != victim.BaseUrl.Authority);
                if (moved)
                {
                    await browser.WaitInteractiveAsync(TimeSpan.FromSeconds(30));
                    var states = string.Join(" → ", browser.States.Where(s => s.At > killedAt).Select(s => s.State));
                    var upstream = browser.Loads.Last(l => l.At > killedAt).Upstream;
                    return new Check(name, true, $"interactive on {upstream} {journal.Now - killedAt:0.0} s after the kill (states: {states})");
                }
                await Task.Delay(250);
            }
            return new Check(name, false, $"no page load on another instance within 60 s; states: {string.Join(" → ", browser.States.Select(s => s.State))}");
        }
        catch (Exception e)
        {
            return new Check(name, false, Journal.Describe(e));
        }
    }

    private static string Super(TemporaryCluster cluster) => cluster.ConnectionString(Database, tweak: b => b.Pooling = false);

    private static async Task Until(double at, Journal journal, CancellationToken cancel)
    {
        var wait = at - journal.Now;
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(wait), cancel);
    }

    private static async Task Quietly(Func<Task> cleanup)
    {
        try { await cleanup(); }
        catch (Exception e) { Console.Error.WriteLine($"drill clean-up: {Journal.Describe(e)}"); }
    }

    /// <summary>The demo users the app seeded, with their real ids (approvals need two different console users).</summary>
    private static async Task<People> PeopleAsync(TemporaryCluster cluster)
    {
        await using var super = new NpgsqlConnection(cluster.ConnectionString(Database, tweak: b => b.Pooling = false));
        await super.OpenAsync();
        var ids = new Dictionary<string, Guid>();
        await using (var command = new NpgsqlCommand("SELECT email, id FROM users WHERE email LIKE '%@admin.local'", super))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync()) ids[reader.GetString(0)] = reader.GetGuid(1);
        SessionContext As(string email, string role, string[] brands, string[] locales) =>
            new(ids.TryGetValue(email, out var id) ? id : throw new InvalidOperationException($"demo user {email} was not seeded"),
                email, [role], brands, locales, "drill");
        return new People(
            As("admin@admin.local", "Admin", [], []),
            As("release@admin.local", "ReleaseManager", ["acme", "globex"], ["en-GB", "de-DE", "fr-FR"]),
            As("editor@admin.local", "Editor", ["acme"], ["en-GB", "de-DE"]),
            As("dba@admin.local", "Dba", [], []));
    }

    /// <summary>Waits until no acknowledged schedule is still pending (each is due a few seconds after it was made).</summary>
    private static async Task WaitForSchedulesAsync(TemporaryCluster cluster, Journal journal, TimeSpan limit)
    {
        var ids = journal.Acks.OfType<Ack.Scheduled>().Select(s => s.ScheduleId).ToArray();
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); clock.Elapsed < limit; await Task.Delay(1000))
        {
            try
            {
                await using var super = new NpgsqlConnection(cluster.ConnectionString(Database, tweak: b => b.Pooling = false));
                await super.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT count(*) FROM section_schedules WHERE status = 'pending' AND id = ANY($1)", super);
                command.Parameters.Add(new NpgsqlParameter { Value = ids });
                if ((long)(await command.ExecuteScalarAsync())! == 0) return;
            }
            catch (NpgsqlException) { }
        }
    }

    private sealed class Factory(NpgsqlDataSource dataSource, SessionContext user) : Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Data.AdminDbContext>
    {
        public Admin.Data.AdminDbContext CreateDbContext() => TestDatabase.CreateAppContext(dataSource, user);
    }

    internal static string Seconds(double value) => value.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}
