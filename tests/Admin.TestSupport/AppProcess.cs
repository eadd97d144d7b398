using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
namespace Admin.TestSupport;

/// <summary>
/// The console as a process of its own (<c>dotnet Admin.Web.dll</c>, the way ./admin run starts it) on a fixed loopback
/// port, so a test can kill it (SIGKILL: no graceful shutdown, like a crash or an OOM kill) and start it again at the
/// same address, like a restart or a deploy. Its data-protection keys live in one folder for every start, as a real
/// deployment's do, so a sign-in cookie outlives a restart. The browser tests run it over their database; the
/// time-to-interactive bench over the dev database.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly Queue<string> _output = new();
    private Process? _process;

    public Uri BaseUrl { get; }

    /// <summary>The app over a test database, with the demo users and no sign-in throttling.</summary>
    /// <param name="settings">Configuration for the app, as environment variables (e.g. ["Reconnect__MaxRetries"] = "3").</param>
    public AppProcess(TestDatabase database, IReadOnlyDictionary<string, string>? settings = null)
        : this(new Dictionary<string, string>
        {
            ["ConnectionStrings__Admin"] = database.AppConnectionString,
            ["ConnectionStrings__AdminOwner"] = database.OwnerConnectionString,
            ["ConnectionStrings__AdminExplain"] = database.ExplainConnectionString,
            ["Admin__DemoSeed"] = "true",
            ["Account__SignIn__PerAddress__PermitLimit"] = "0",
            ["Account__SignIn__PerAccount__PermitLimit"] = "0",
        }.Concat(settings ?? new Dictionary<string, string>()).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value))
    {
    }

    /// <summary>The app in the Development environment with only these settings (the rest from appsettings*.json).</summary>
    public AppProcess(IReadOnlyDictionary<string, string> settings)
    {
        BaseUrl = new Uri($"http://127.0.0.1:{FreePort()}");
        _environment = new()
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = BaseUrl.ToString().TrimEnd('/'),
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (key, value) in settings) _environment[key] = value;
    }

    /// <summary>Starts the app and returns once /healthz answers.</summary>
    public async Task StartAsync()
    {
        if (_process is { HasExited: false }) throw new InvalidOperationException("The app is already running.");
        var web = Path.Combine(RepoRoot, "src", "Admin.Web");
        var dll = Path.Combine(web, "bin", Configuration, "net10.0", "Admin.Web.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"Build Admin.Web first ({Configuration}: ./admin test and ./admin bench build it).", dll);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = web, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in _environment) start.Environment[key] = value;

        lock (_output) _output.Clear();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (process.HasExited) throw new InvalidOperationException($"The app exited with {process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync(new Uri(BaseUrl, "/healthz"))).IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException($"The app did not answer /healthz within 90 s:\n{Output}");
    }

    /// <summary>Kills the process at once (SIGKILL): open connections drop without a goodbye.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>The app's last lines of output, for failure messages.</summary>
    public string Output
    {
        get { lock (_output) return string.Join('\n', _output); }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > 200) _output.Dequeue();
        }
    }

    /// <summary>The checkout: the folder above this program's bin folder that holds Admin.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Admin.sln"))) return dir.FullName;
        throw new InvalidOperationException($"No Admin.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>Debug or Release, as the program that starts the app: the tests and the bench run from PROJECT/bin/CONFIGURATION/net10.0/.</summary>
    private static string Configuration =>
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }
}
