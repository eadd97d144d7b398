using System.Collections.Immutable;
using System.Security.Claims;
using Admin.Data.Live;
using Admin.Web.Features.Account;

namespace Admin.Web.Live;

/// <summary>
/// The in-process fan-out of live events: the PostgreSQL listener publishes, Blazor components and the SignalR relay
/// subscribe (and must dispose their subscription). A handler that throws is logged and does not affect the others.
/// Subscribers to a topic also receive "resync" events, because after a reconnect anything may have changed.
/// </summary>
public sealed class LiveBus(ILogger<LiveBus> logger)
{
    public const string AllTopics = "*";

    private ImmutableList<Subscription> _subscriptions = ImmutableList<Subscription>.Empty;

    public ListenerState State { get; private set; } = ListenerState.Connecting;
    public event Action<ListenerState>? StateChanged;

    /// <summary>When <see cref="State"/> last changed (null before the first change).</summary>
    public DateTimeOffset? StateSince { get; private set; }

    /// <summary>When the listener last connected or reconnected (null while it never has): readiness reports it.</summary>
    public DateTimeOffset? ConnectedAt { get; private set; }

    public int SubscriberCount => _subscriptions.Count;

    public IDisposable Subscribe(string topic, Func<LiveEvent, Task> handler)
    {
        var subscription = new Subscription(this, topic, handler);
        ImmutableInterlocked.Update(ref _subscriptions, list => list.Add(subscription));
        return subscription;
    }

    /// <summary>
    /// Subscribes on behalf of a user: only events the user may read (<see cref="LiveReaders"/>, the row-level security
    /// of the rows they announce) reach the handler, so a page neither shows nor counts what the database hides from them.
    /// </summary>
    public IDisposable Subscribe(string topic, ClaimsPrincipal reader, Func<LiveEvent, Task> handler) =>
        Subscribe(topic, e => LiveReaders.MayRead(reader, e) ? handler(e) : Task.CompletedTask);

    /// <summary>
    /// Starts every matching handler and returns at once: the listener must not wait for a page to reload before it
    /// reads the next notification. Handlers that need to coalesce bursts use <see cref="CoalescingReload"/>.
    /// </summary>
    public void Publish(LiveEvent e)
    {
        foreach (var s in _subscriptions)
            if (s.Topic == AllTopics || s.Topic == e.Topic || e.IsResync)
                _ = InvokeAsync(s, e);
    }

    public void SetState(ListenerState state, DateTimeOffset? at = null)
    {
        if (State == state) return;
        State = state;
        StateSince = at ?? DateTimeOffset.UtcNow;
        if (state == ListenerState.Connected) ConnectedAt = StateSince;
        StateChanged?.Invoke(state);
    }

    private async Task InvokeAsync(Subscription s, LiveEvent e)
    {
        try
        {
            await s.Handler(e);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Live subscriber for {Topic} failed on {EventTopic}/{EventId}", s.Topic, e.Topic, e.Id);
        }
    }

    private sealed class Subscription(LiveBus bus, string topic, Func<LiveEvent, Task> handler) : IDisposable
    {
        public string Topic { get; } = topic;
        public Func<LiveEvent, Task> Handler { get; } = handler;

        public void Dispose() => ImmutableInterlocked.Update(ref bus._subscriptions, list => list.Remove(this));
    }
}
