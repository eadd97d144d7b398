using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Admin.Web.Live;

/// <summary>
/// /hubs/live: browser clients subscribe to topics (the area keys: content, releases, deployments, database, audit)
/// and receive "live" messages. A topic is granted only to the roles that may use its area.
/// </summary>
[Authorize]
public sealed class LiveHub : Hub
{
    public const string Path = "/hubs/live";
    public const string EventMethod = "live";

    public async Task Subscribe(string topic)
    {
        var area = Areas.ByKey(topic) ?? throw new HubException($"Unknown topic '{topic}'.");
        if (!area.Allows(Context.User!)) throw new HubException($"Your roles do not allow the '{topic}' topic.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupName(topic));
    }

    public Task Unsubscribe(string topic) => Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupName(topic));

    public static string GroupName(string topic) => "topic:" + topic;
}

/// <summary>Relays every bus event to the hub group of its topic; resync goes to every connected client.</summary>
public sealed class LiveHubRelay(LiveBus bus, IHubContext<LiveHub> hub) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(LiveBus.AllTopics, e => e.IsResync
            ? hub.Clients.All.SendAsync(LiveHub.EventMethod, e)
            : hub.Clients.Group(LiveHub.GroupName(e.Topic)).SendAsync(LiveHub.EventMethod, e));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
