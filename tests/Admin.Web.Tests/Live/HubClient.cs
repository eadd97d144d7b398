using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Admin.Data.Live;
using Admin.Web.Live;
using Microsoft.AspNetCore.SignalR.Client;

namespace Admin.Web.Tests.Live;

/// <summary>
/// A SignalR .NET client of /hubs/live on an app served by Kestrel, signed in through the real login form (its cookie
/// carries the sign-in), recording every "live" message and whether the server closed the connection.
/// </summary>
public sealed class HubClient : IAsyncDisposable
{
    private readonly ConcurrentQueue<LiveEvent> _events = new();
    private readonly TaskCompletionSource<Exception?> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HubClient(HubConnection connection)
    {
        Connection = connection;
        connection.On<LiveEvent>(LiveHub.EventMethod, e => _events.Enqueue(e));
        connection.Closed += e =>
        {
            _closed.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public HubConnection Connection { get; }

    public IReadOnlyList<LiveEvent> Events => _events.ToList();

    /// <summary>Completes when the connection closes (the server aborted it, or it was disposed).</summary>
    public Task Closed => _closed.Task;

    public static async Task<HubClient> ConnectAsync(Uri server, string email, string password)
    {
        var cookies = new CookieContainer();
        using (var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = server })
        {
            var response = await WebAppFixture.PostLoginAsync(http, email, password);
            if (response.StatusCode != HttpStatusCode.Redirect) throw new InvalidOperationException($"Login as {email} failed: {(int)response.StatusCode}");
        }
        var client = new HubClient(new HubConnectionBuilder().WithUrl(new Uri(server, LiveHub.Path), o => o.Cookies = cookies).Build());
        await client.Connection.StartAsync();
        return client;
    }

    public Task SubscribeAsync(string topic) => Connection.InvokeAsync("Subscribe", topic);

    /// <summary>Waits until a message matching the predicate has arrived.</summary>
    public async Task<LiveEvent> WaitForAsync(Func<LiveEvent, bool> match, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_events.FirstOrDefault(match) is { } e) return e;
            if (clock.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
                throw new TimeoutException("no such live message; got: " + string.Join(", ", _events.Select(x => $"{x.Topic}/{x.Id}/{x.Kind}")));
            await Task.Delay(10);
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
