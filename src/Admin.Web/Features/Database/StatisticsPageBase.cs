using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Database;

/// <summary>
/// A Database page that reloads when the sampler (on whichever instance leads) announces a new sample of its target
/// ("database"/"sampled"), so every open panel on every instance shows the same minute; the subscription, coalescing
/// and disposal are <see cref="LiveComponentBase"/>'s. When no announcement has come for a while (sampler disabled,
/// listener reconnecting), a fallback timer reloads on its own.
/// </summary>
public abstract class StatisticsPageBase : LiveComponentBase
{
    public const string Topic = "database";
    public const string SampledKind = "sampled";

    private Timer? _fallback;
    private long _lastReloadTicks = Environment.TickCount64;

    /// <summary>Time after which the page reloads without an announcement (1.5 × this, checked every this).</summary>
    protected virtual TimeSpan FallbackInterval => TimeSpan.FromMinutes(1);

    /// <summary>The target the page shows (events of other targets are ignored).</summary>
    protected abstract string TargetName { get; }

    /// <summary>Reloads what the page shows (it re-renders afterwards).</summary>
    protected abstract Task ReloadAsync(CancellationToken ct);

    protected override void OnInitialized()
    {
        Live(Topic, TrackedReloadAsync, when: e => e.Kind == SampledKind && string.Equals(e.Id, TargetName, StringComparison.OrdinalIgnoreCase));
        if (!RendererInfo.IsInteractive) return;
        var interval = FallbackInterval;
        _fallback = new Timer(_ =>
        {
            if (Environment.TickCount64 - Interlocked.Read(ref _lastReloadTicks) > interval.TotalMilliseconds * 1.5)
                _ = InvokeAsync(async () =>
                {
                    await TrackedReloadAsync(CancellationToken.None);
                    StateHasChanged();
                });
        }, null, interval, interval);
    }

    private async Task TrackedReloadAsync(CancellationToken ct)
    {
        Interlocked.Exchange(ref _lastReloadTicks, Environment.TickCount64);
        await ReloadAsync(ct);
    }

    public override void Dispose()
    {
        _fallback?.Dispose();
        _fallback = null;
        base.Dispose();
    }
}
