using System.Diagnostics;
using Admin.Data.Live;
using Admin.Web.Live;
using Microsoft.Extensions.Logging.Abstractions;

namespace Admin.Web.Tests.Live;

public sealed class LiveBusTests
{
    private readonly LiveBus _bus = new(NullLogger<LiveBus>.Instance);

    [Fact]
    public async Task A_slow_or_failing_subscriber_neither_blocks_publishing_nor_starves_the_others()
    {
        var gate = new TaskCompletionSource();
        var fast = new TaskCompletionSource<LiveEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var slow = _bus.Subscribe("content", _ => gate.Task);
        using var failing = _bus.Subscribe("content", _ => throw new InvalidOperationException("boom"));
        using var ok = _bus.Subscribe("content", e => { fast.TrySetResult(e); return Task.CompletedTask; });

        var clock = Stopwatch.StartNew();
        _bus.Publish(new LiveEvent("content", "1"));
        Assert.True(clock.ElapsedMilliseconds < 100, "Publish waited for a subscriber");

        Assert.Equal("1", (await fast.Task.WaitAsync(TimeSpan.FromSeconds(2))).Id);
        gate.SetResult();
    }

    [Fact]
    public async Task Resync_reaches_subscribers_of_every_topic()
    {
        var got = new TaskCompletionSource<LiveEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var _ = _bus.Subscribe("deployments", e => { got.TrySetResult(e); return Task.CompletedTask; });
        _bus.Publish(LiveEvent.Resync(DateTimeOffset.UtcNow));
        Assert.True((await got.Task.WaitAsync(TimeSpan.FromSeconds(2))).IsResync);
    }

    [Fact]
    public void State_changes_are_announced_once_per_change()
    {
        var seen = new List<ListenerState>();
        _bus.StateChanged += seen.Add;
        _bus.SetState(ListenerState.Connected);
        _bus.SetState(ListenerState.Connected);
        _bus.SetState(ListenerState.Reconnecting);
        Assert.Equal([ListenerState.Connected, ListenerState.Reconnecting], seen);
    }

    [Fact]
    public async Task Coalescing_reload_turns_a_burst_into_one_reload_and_never_misses_a_late_event()
    {
        var reloads = 0;
        var inReload = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        using var reload = new CoalescingReload(async _ =>
        {
            if (Interlocked.Increment(ref reloads) == 1)
            {
                inReload.SetResult();
                await release.Task;
            }
        }, TimeSpan.FromMilliseconds(50));

        var burst = Enumerable.Range(0, 20).Select(_ => reload.TriggerAsync()).ToList();
        await inReload.Task.WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(1, reloads);

        // An event that arrives while the reload runs must cause one more reload, or the view would be stale.
        var late = reload.TriggerAsync();
        release.SetResult();
        await Task.WhenAll(burst.Append(late)).WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(2, reloads);
    }

    [Fact]
    public async Task Coalescing_reload_does_nothing_once_the_page_is_disposed()
    {
        var reloads = 0;
        var reload = new CoalescingReload(_ => { reloads++; return Task.CompletedTask; }, TimeSpan.FromMilliseconds(100));
        var pending = reload.TriggerAsync();
        reload.Dispose();
        await pending.WaitAsync(TimeSpan.FromSeconds(2));
        await reload.TriggerAsync().WaitAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(0, reloads);
    }
}
