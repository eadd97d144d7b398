using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Admin.TestSupport;

namespace Admin.Drill;

/// <summary>
/// Debian's nginx running the repo's deploy/nginx/admin.conf (placeholders filled: the instances, a loopback port),
/// under a main configuration of its own in a temporary prefix, in the foreground as a child of the drill.
/// </summary>
public sealed class Balancer : IAsyncDisposable
{
    /// <summary>Response header naming the instance that answered (added for the drill only).</summary>
    public const string UpstreamHeader = "X-Admin-Upstream";

    private readonly string _prefix;
    private Process? _process;

    public Uri BaseUrl { get; }

    private Balancer(string prefix, Uri baseUrl)
    {
        _prefix = prefix;
        BaseUrl = baseUrl;
    }

    public static string Binary => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    public static async Task<Balancer> StartAsync(IEnumerable<Uri> instances)
    {
        var prefix = Directory.CreateTempSubdirectory("admin-drill-nginx-").FullName;
        var port = FreePort();
        var balancer = new Balancer(prefix, new Uri($"http://127.0.0.1:{port}"));
        try
        {
            var template = await File.ReadAllTextAsync(Path.Combine(AppProcess.RepoRoot, "deploy", "nginx", "admin.conf"));
            var site = template
                .Replace("{{SERVERS}}", string.Join('\n', instances.Select(u => $"    server {u.Host}:{u.Port} max_fails=1 fail_timeout=5s;")))
                .Replace("{{LISTEN}}", $"127.0.0.1:{port}")
                .Replace("{{EXTRA}}", $"    add_header {UpstreamHeader} $upstream_addr always;");
            await File.WriteAllTextAsync(Path.Combine(prefix, "admin.conf"), site);
            foreach (var dir in (string[])["logs", "client_body", "proxy"]) Directory.CreateDirectory(Path.Combine(prefix, dir));
            // The drill's own main file: foreground, one worker, everything under the prefix (root keeps its workers as root
            // so they can write the prefix; in production Debian's /etc/nginx/nginx.conf includes admin.conf instead).
            await File.WriteAllTextAsync(Path.Combine(prefix, "nginx.conf"), $$"""
                {{(Environment.IsPrivilegedProcess ? "user root;" : "")}}
                worker_processes 1;
                pid {{prefix}}/nginx.pid;
                error_log {{prefix}}/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log {{prefix}}/logs/access.log;
                    client_body_temp_path {{prefix}}/client_body;
                    proxy_temp_path {{prefix}}/proxy;
                    include {{prefix}}/admin.conf;
                }
                """);
            var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in (string[])["-p", prefix, "-c", Path.Combine(prefix, "nginx.conf"), "-e", Path.Combine(prefix, "logs", "error.log"), "-g", "daemon off;"])
                start.ArgumentList.Add(a);
            balancer._process = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start");
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            for (var clock = Stopwatch.StartNew(); ; await Task.Delay(100))
            {
                if (balancer._process.HasExited)
                    throw new InvalidOperationException($"nginx exited with {balancer._process.ExitCode}: {await balancer._process.StandardError.ReadToEndAsync()}");
                try
                {
                    if ((await http.GetAsync(new Uri(balancer.BaseUrl, "/healthz"))).IsSuccessStatusCode) return balancer;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
                if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException("nginx did not answer /healthz within 20 s");
            }
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        try { Directory.Delete(_prefix, recursive: true); }
        catch (IOException) { }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }
}
