using Admin.Web.Live;

namespace Admin.Web.Features.Database;

/// <summary>
/// Reloads a Database page when the sampler (on whichever instance leads) announces a new sample of its target, so
/// every open panel on every instance shows the same minute. When no announcement has come for a while (sampler
/// disabled, listener reconnecting), a fallback timer reloads on its own.
/// </summary>
public sealed class StatisticsRefresh : IDisposable
{
    private readonly CoalescingReload _reload;
    private readonly IDisposable _subscription;
    private readonly Timer _fallback;
    private readonly TimeSpan _interval;
    private long _lastReloadTicks = Environment.TickCount64;

    public StatisticsRefresh(LiveBus bus, Func<string> target, Func<CancellationToken, Task> reload, TimeSpan? interval = null)
    {
        _interval = interval ?? TimeSpan.FromMinutes(1);
        _reload = new CoalescingReload(async ct =>
        {
            Interlocked.Exchange(ref _lastReloadTicks, Environment.TickCount64);
            await reload(ct);
        });
        _subscription = bus.Subscribe("database", e =>
            e.Kind == "sampled" && string.Equals(e.Id, target(), StringComparison.OrdinalIgnoreCase) || e.IsResync
                ? _reload.TriggerAsync()
                : Task.CompletedTask);
        _fallback = new Timer(_ =>
        {
            if (Environment.TickCount64 - Interlocked.Read(ref _lastReloadTicks) > _interval.TotalMilliseconds * 1.5)
                _ = _reload.TriggerAsync();
        }, null, _interval, _interval);
    }

    public void Dispose()
    {
        _fallback.Dispose();
        _subscription.Dispose();
        _reload.Dispose();
    }
}
