using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>
/// A brand-new PostgreSQL 15 cluster of its own, for tests that must stop or restart the server: the shared test
/// cluster cannot be restarted while other tests (and other people) use it. Binaries come from ADMIN_PG_BIN.
/// </summary>
public sealed class TemporaryCluster : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    public int Port { get; private set; }
    public string DataDirectory { get; }
    private readonly string _directory;
    private readonly string _bin;

    private TemporaryCluster(string directory, string bin)
    {
        _directory = directory;
        DataDirectory = Path.Combine(directory, "data");
        _bin = bin;
    }

    /// <param name="settings">postgresql.conf lines appended after the defaults (a later line wins), e.g.
    /// "synchronous_commit = on" for a cluster whose acknowledged commits must survive a crash of every process.</param>
    public static async Task<TemporaryCluster> StartAsync(string? settings = null)
    {
        var bin = Environment.GetEnvironmentVariable("ADMIN_PG_BIN") is { Length: > 0 } fromEnv ? fromEnv : "/usr/lib/postgresql/15/bin";
        await RemoveLeftoversAsync(bin);
        return await CreateAsync(bin, async cluster =>
        {
            await cluster.PgAsync("initdb", "-D", cluster.DataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
            // PostgreSQL 15's initdb has no -c; appending keeps the file owned by the postgres OS user.
            await cluster.AppendSettingsAsync("""
                listen_addresses = '127.0.0.1'
                unix_socket_directories = ''
                fsync = off
                synchronous_commit = off
                full_page_writes = off
                """);
        }, settings);
    }

    /// <summary>
    /// A new cluster copied from a running one with pg_basebackup (as its superuser over trust, WAL streamed), started
    /// on a port of its own. With <c>-R</c> in <paramref name="options"/> it starts as a streaming standby of
    /// <paramref name="source"/> (add <c>-C -S name</c> for a replication slot on the source).
    /// </summary>
    /// <param name="settings">postgresql.conf lines appended to the copy's, e.g. "cluster_name = 'standby_one'" (a
    /// standby's walreceiver uses it as its application_name).</param>
    public static Task<TemporaryCluster> StartFromBaseBackupAsync(TemporaryCluster source, string? settings = null, params string[] options) =>
        CreateAsync(source._bin, cluster => cluster.PgAsync("pg_basebackup",
            ["-D", cluster.DataDirectory, "-h", "127.0.0.1", "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-U", "postgres", "-X", "stream", "--no-sync", .. options]), settings);

    /// <summary>A new directory, its data directory made by <paramref name="create"/>, the settings appended, started; deleted again if any step fails.</summary>
    private static async Task<TemporaryCluster> CreateAsync(string bin, Func<TemporaryCluster, Task> create, string? settings)
    {
        var cluster = new TemporaryCluster(CreateDirectory(), bin);
        try
        {
            await create(cluster);
            if (settings is not null) await cluster.AppendSettingsAsync(settings);
            await cluster.StartOnFreePortAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    // The free port may be taken by someone else before the server binds it: then try another (a later port line
    // overrides an earlier one).
    private async Task StartOnFreePortAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            await AppendSettingsAsync($"port = {Port}");
            try
            {
                await PgCtlAsync("start", "-l", Path.Combine(_directory, "server.log"));
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    public string ConnectionString(string database = "postgres", string role = "postgres", Action<NpgsqlConnectionStringBuilder>? tweak = null)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = role,
            Password = role,
        };
        tweak?.Invoke(builder);
        return builder.ConnectionString;
    }

    /// <summary>Roles and an owner-owned database with every migration applied, as on a real server.</summary>
    public async Task CreateMigratedDatabaseAsync(string database)
    {
        await using (var super = new NpgsqlConnection(ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await TestPostgres.EnsureRolesAsync(super);
            await super.ExecuteAsync($"CREATE DATABASE \"{database}\" OWNER {TestPostgres.OwnerRole}");
        }
        await using (var inDb = new NpgsqlConnection(ConnectionString(database, tweak: b => b.Pooling = false)))
        {
            await inDb.OpenAsync();
            await inDb.ExecuteAsync(Admin.Data.Setup.DatabaseSetup.DatabaseSql);
        }
        var migrator = new Admin.Data.Migrations.DatabaseMigrator(
            ConnectionString(database, TestPostgres.OwnerRole, b => b.Pooling = false),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<Admin.Data.Migrations.DatabaseMigrator>.Instance);
        await migrator.MigrateAsync();
    }

    /// <summary>Fast shutdown (every session is terminated) and start again; returns once the server accepts connections.</summary>
    public Task RestartAsync() => PgCtlAsync("restart", "-m", "fast", "-l", Path.Combine(_directory, "server.log"));

    /// <summary>
    /// A power cut: SIGKILL to the postmaster and every process it started, all at once (no shutdown checkpoint, no
    /// chance to flush anything). <see cref="StartAgainAsync"/> then recovers from the WAL.
    /// </summary>
    public void KillEveryProcess()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First().Trim());
        var processes = new List<int> { postmaster };
        foreach (var status in Directory.EnumerateFiles("/proc", "status", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 1 }))
        {
            try
            {
                var parent = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal));
                if (parent is not null && int.Parse(parent[5..].Trim()) == postmaster && int.TryParse(Path.GetFileName(Path.GetDirectoryName(status)), out var pid))
                    processes.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        foreach (var pid in processes)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill(); // SIGKILL
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }
        foreach (var pid in processes) WaitForExit(pid);
        // After a real power cut no process has the lock file's PID. Here the killed postmaster may linger as a zombie
        // (its parent is gone, and this machine's init does not reap), which the next start would take for a running
        // server: the file goes, as a reboot would make it stale.
        File.Delete(Path.Combine(DataDirectory, "postmaster.pid"));
    }

    private static void WaitForExit(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists($"/proc/{pid}") && !IsZombie(pid))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"process {pid} survived SIGKILL");
            Thread.Sleep(10);
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z'));
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Fast shutdown, and the server stays down until <see cref="StartAgainAsync"/>: a database that went away.</summary>
    public Task StopAsync() => PgCtlAsync("stop", "-m", "fast");

    /// <summary>Starts the server again after <see cref="KillEveryProcess"/> (crash recovery) or <see cref="StopAsync"/>; returns once it accepts connections.</summary>
    public Task StartAgainAsync() => PgCtlAsync("start", "-l", Path.Combine(_directory, "server.log"));

    /// <summary>The postmaster and every process it started (backends, checkpointer, WAL writer, …), read from /proc.</summary>
    public IReadOnlyList<int> ProcessIds()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var postmaster) || !Directory.Exists($"/proc/{postmaster}"))
            return [];
        var pids = new List<int> { postmaster };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) == postmaster) pids.Add(pid);
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
        }
        return pids;
    }

    /// <summary>
    /// Sends one signal to the postmaster and all its processes in one kill(1) call: STOP freezes the whole server (as
    /// a network partition would, connections queue), CONT thaws it. Returns the process ids signalled.
    /// </summary>
    public async Task<IReadOnlyList<int>> SignalAllAsync(string signal)
    {
        var pids = ProcessIds();
        if (pids.Count == 0) throw new InvalidOperationException("The cluster is not running.");
        var start = new ProcessStartInfo("kill") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-" + signal);
        foreach (var pid in pids) start.ArgumentList.Add(pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(start)!;
        await kill.WaitForExitAsync();
        return pids;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
                await PgCtlAsync("stop", "-m", "immediate");
        }
        finally
        {
            try { Directory.Delete(_directory, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private Task AppendSettingsAsync(string lines) =>
        File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.auto.conf"), lines + "\n");

    private Task PgCtlAsync(params string[] args) =>
        PgAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", .. args]);

    /// <summary>initdb and postgres refuse to run as root: as root they run as the postgres OS user.</summary>
    private async Task PgAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", "postgres", "--"]) start.ArgumentList.Add(a);
            start.ArgumentList.Add(Path.Combine(_bin, program));
        }
        else
        {
            start.FileName = Path.Combine(_bin, program);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        await RunAsync(start);
    }

    private static async Task RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish within {CommandTimeout}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{start.FileName} {string.Join(' ', start.ArgumentList)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
    }

    /// <summary>Under /var/tmp when root: the postgres OS user may not traverse a 700 directory root made under /tmp.</summary>
    private static string ParentDirectory => Environment.IsPrivilegedProcess ? "/var/tmp" : Path.GetTempPath();

    private const string Prefix = "admin-tmpcluster-";

    private static string CreateDirectory()
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("TemporaryCluster runs PostgreSQL's Unix tools.");
        var directory = Path.Combine(ParentDirectory, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (Environment.IsPrivilegedProcess)
        {
            using var chown = Process.Start("chown", ["postgres:postgres", directory]);
            chown.WaitForExit();
            if (chown.ExitCode != 0) throw new InvalidOperationException($"chown postgres {directory} failed");
        }
        return directory;
    }

    /// <summary>A killed test process leaves its server running: stop and delete the clusters of processes that are gone.</summary>
    private static async Task RemoveLeftoversAsync(string bin)
    {
        foreach (var directory in Directory.EnumerateDirectories(ParentDirectory, Prefix + "*"))
        {
            var pid = Path.GetFileName(directory)[Prefix.Length..].Split('-')[0];
            if (TestPostgres.IsProcessAlive(pid)) continue;
            await new TemporaryCluster(directory, bin).DisposeAsync();
        }
    }

    /// <summary>A port nobody listens on right now (the OS picks it); the cluster binds it a moment later.</summary>
    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
