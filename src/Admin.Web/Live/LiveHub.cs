using System.Security.Claims;
using Admin.Data.Live;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Admin.Web.Live;

/// <summary>
/// /hubs/live: browser clients subscribe to topics (the area keys: content, releases, deployments, database, audit)
/// and receive "live" messages. A topic is granted only to the roles that may use its area, and each event reaches
/// only the subscribers whose roles may read it (<see cref="LiveReaders"/>): a DBA on the audit topic hears of
/// database actions and denials, not of sign-ins or password resets. Open connections are registered so that
/// <see cref="LiveConnectionRevalidator"/> can close those of a user who was disabled or whose access changed.
/// </summary>
[Authorize]
public sealed class LiveHub(LiveConnections connections) : Hub
{
    public const string Path = "/hubs/live";
    public const string EventMethod = "live";

    /// <summary>Per topic, every non-empty combination of its area's roles and the group of subscribers holding exactly it.</summary>
    private static readonly Dictionary<string, (string[] Roles, string Group)[]> RoleSets =
        Areas.All.ToDictionary(a => a.Key, a => Enumerable.Range(1, (1 << a.Roles.Count) - 1)
            .Select(mask => a.Roles.Where((_, i) => (mask & (1 << i)) != 0).ToArray())
            .Select(roles => (roles, GroupName(a.Key, roles)))
            .ToArray());

    public override Task OnConnectedAsync()
    {
        connections.Add(Context);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        connections.Remove(Context);
        return Task.CompletedTask;
    }

    public async Task Subscribe(string topic)
    {
        var area = Areas.ByKey(topic) ?? throw new HubException($"Unknown topic '{topic}'.");
        if (!area.Allows(Context.User!)) throw new HubException($"Your roles do not allow the '{topic}' topic.");
        await Groups.AddToGroupAsync(Context.ConnectionId, GroupName(area, Context.User!));
    }

    public Task Unsubscribe(string topic) => Areas.ByKey(topic) is { } area
        ? Groups.RemoveFromGroupAsync(Context.ConnectionId, GroupName(area, Context.User!))
        : Task.CompletedTask;

    /// <summary>
    /// The subscriber's group for a topic: the topic and the area roles the user holds ("topic:audit:Admin,Dba"). A
    /// connection is in one group per topic, so an event sent to several groups reaches it once.
    /// </summary>
    public static string GroupName(Area area, ClaimsPrincipal user) => GroupName(area.Key, area.Roles.Where(user.IsInRole));

    private static string GroupName(string topic, IEnumerable<string> roles) => $"topic:{topic}:{string.Join(',', roles)}";

    /// <summary>The groups whose members may read the event: those holding at least one role that may read it.</summary>
    public static IReadOnlyList<string> GroupsFor(LiveEvent e)
    {
        if (!RoleSets.TryGetValue(e.Topic, out var sets)) return [];
        var readers = LiveReaders.Of(e);
        return sets.Where(s => s.Roles.Any(readers.Contains)).Select(s => s.Group).ToList();
    }
}

/// <summary>
/// Relays bus events to the hub groups allowed to read them (<see cref="LiveHub.GroupsFor"/>); resync, which carries
/// nothing, goes to every connected client.
/// </summary>
public sealed class LiveHubRelay(LiveBus bus, IHubContext<LiveHub> hub) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(LiveBus.AllTopics, e => e.IsResync
            ? hub.Clients.All.SendAsync(LiveHub.EventMethod, e)
            : LiveHub.GroupsFor(e) is { Count: > 0 } groups
                ? hub.Clients.Groups(groups).SendAsync(LiveHub.EventMethod, e)
                : Task.CompletedTask);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
