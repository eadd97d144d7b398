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
}
