using System.Collections.Concurrent;
using Admin.Data.Live;
using Admin.Web.Live;

namespace Admin.Web.Features.Content;

/// <summary>
/// Who has which section open in an editor, on every app instance. Each open editor announces itself through
/// PostgreSQL (topic <see cref="Topic"/>, id = section id, kind "open" every <see cref="HeartbeatInterval"/>, "closed"
/// when it closes; the event's actor is the editor's email), so all instances hear all editors. An editor that stops
/// sending (browser closed, instance died) drops out after <see cref="Expiry"/>.
/// </summary>
public sealed class PresenceTracker(LiveBus bus, TimeProvider time) : IHostedService, IDisposable
{
    public const string Topic = "content-presence";
    public const string Open = "open";
    public const string Closed = "closed";
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, DateTimeOffset>> _sections = new();
    private IDisposable? _subscription;
    private ITimer? _pruner;

    /// <summary>Raised with the section id whenever the set of people editing it changes (someone came or went).</summary>
    public event Action<Guid>? Changed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = bus.Subscribe(Topic, e =>
        {
            Apply(e);
            return Task.CompletedTask;
        });
        _pruner = time.CreateTimer(_ => Prune(), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The emails of everyone with the section open now, in alphabetical order.</summary>
    public IReadOnlyList<string> EditorsOf(Guid sectionId)
    {
        if (!_sections.TryGetValue(sectionId, out var editors)) return [];
        var cutoff = time.GetUtcNow() - Expiry;
        return editors.Where(p => p.Value > cutoff).Select(p => p.Key).Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    internal void Apply(LiveEvent e)
    {
        if (e.IsResync || e.Topic != Topic || !Guid.TryParse(e.Id, out var sectionId) || string.IsNullOrWhiteSpace(e.Actor)) return;
        var editors = _sections.GetOrAdd(sectionId, _ => new(StringComparer.OrdinalIgnoreCase));
        bool changed;
        switch (e.Kind)
        {
            case Open:
                var now = time.GetUtcNow();
                changed = !editors.TryGetValue(e.Actor, out var seen) || seen <= now - Expiry;
                editors[e.Actor] = now;
                break;
            case Closed:
                changed = editors.TryRemove(e.Actor, out _);
                break;
            default:
                return;
        }
        if (changed) Changed?.Invoke(sectionId);
    }

    /// <summary>Forgets editors whose last heartbeat is older than <see cref="Expiry"/> and tells whoever shows them.</summary>
    internal void Prune()
    {
        var cutoff = time.GetUtcNow() - Expiry;
        foreach (var (sectionId, editors) in _sections)
        {
            var removed = false;
            foreach (var (email, seen) in editors)
                if (seen <= cutoff && editors.TryRemove(new KeyValuePair<string, DateTimeOffset>(email, seen)))
                    removed = true;
            if (editors.IsEmpty) _sections.TryRemove(new KeyValuePair<Guid, ConcurrentDictionary<string, DateTimeOffset>>(sectionId, editors));
            if (removed) Changed?.Invoke(sectionId);
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _pruner?.Dispose();
    }
}
