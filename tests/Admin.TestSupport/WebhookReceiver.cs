using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Admin.TestSupport;

/// <summary>A webhook request as it arrived: the console's headers and the JSON body.</summary>
public sealed record ReceivedWebhook(string Path, string? Delivery, string? Event, JsonElement Body);

/// <summary>
/// A real HTTP endpoint on a free loopback port that records what is posted to it, for the alert notices' tests.
/// Answers 200, or the next of <see cref="FailNext"/>'s status codes first.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<HttpStatusCode> _failures = new();
    private readonly Task _loop;

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public Uri Url { get; }

    public WebhookReceiver()
    {
        var port = FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/hook/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>The next requests are answered with these status codes (then 200 again).</summary>
    public void FailNext(params HttpStatusCode[] codes)
    {
        foreach (var code in codes) _failures.Enqueue(code);
    }

    /// <summary>Waits until at least <paramref name="count"/> requests arrived (or the timeout).</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Received.Count < count && DateTime.UtcNow < until) await Task.Delay(50);
        return Received.ToList();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new StreamReader(context.Request.InputStream);
            var text = await body.ReadToEndAsync();
            var status = _failures.TryDequeue(out var failure) ? failure : HttpStatusCode.OK;
            if (status == HttpStatusCode.OK)
                Received.Enqueue(new ReceivedWebhook(context.Request.Url!.AbsolutePath, context.Request.Headers["X-Admin-Delivery"],
                    context.Request.Headers["X-Admin-Event"], JsonDocument.Parse(text).RootElement.Clone()));
            context.Response.StatusCode = (int)status;
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}
