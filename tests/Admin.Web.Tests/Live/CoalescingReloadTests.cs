using Admin.Web.Live;
using Microsoft.Extensions.Time.Testing;

namespace Admin.Web.Tests.Live;

/// <summary>
/// The reload policy of every live page: the first event reloads at once, what follows is coalesced, the last state is
/// always loaded. Time is a <see cref="FakeTimeProvider"/>, so "at once" means without the clock moving at all.
/// </summary>
public sealed class CoalescingReloadTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task The_first_event_reloads_at_once()
    {
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var reload = new CoalescingReload(_ => { reloaded.TrySetResult(); return Task.CompletedTask; }, TimeSpan.FromMilliseconds(250), _time);
        var start = _time.GetUtcNow();

        await reload.TriggerAsync().WaitAsync(Wait);

        await reloaded.Task.WaitAsync(Wait);
        Assert.Equal(start, _time.GetUtcNow());
        Assert.Equal(1, reload.Reloads);
    }

    [Fact]
    public async Task Events_during_a_reload_cause_exactly_one_more_after_it_no_sooner_than_the_interval()
    {
        var view = new FirstReloadBlocks();
        using var reload = new CoalescingReload(view.ReloadAsync, TimeSpan.FromMilliseconds(250), _time);

        var running = reload.TriggerAsync();
        await view.First.Task.WaitAsync(Wait);
        for (var i = 0; i < 50; i++) Assert.True(reload.TriggerAsync().IsCompleted, "a trigger during a reload must only mark it dirty");
        _time.Advance(TimeSpan.FromMilliseconds(100));
        view.Release.SetResult();

        // The second reload waits for the rest of the interval since the first one started.
        await Task.Delay(100);
        Assert.Equal(1, view.Count);
        _time.Advance(TimeSpan.FromMilliseconds(150));
        await running.WaitAsync(Wait);
        Assert.Equal(2, view.Count);

        // Nothing was left dirty: no third reload, however long we wait.
        _time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.Equal(2, view.Count);
    }

    [Fact]
    public async Task A_burst_of_1000_events_in_one_second_costs_a_few_reloads_and_the_last_state_is_loaded()
    {
        var committed = 0; // what the database holds: each event announces one more change
        var loaded = -1;   // what the view shows
        using var reload = new CoalescingReload(async _ =>
        {
            var seen = Volatile.Read(ref committed);
            await Task.Yield(); // a query's round trip
            Volatile.Write(ref loaded, seen);
        }, TimeSpan.FromMilliseconds(250), _time);

        var triggers = new List<Task>();
        for (var i = 1; i <= 1000; i++)
        {
            Volatile.Write(ref committed, i);
            triggers.Add(reload.TriggerAsync());
            _time.Advance(TimeSpan.FromMilliseconds(1));
            if (i % 50 == 0) await Task.Delay(1); // let the reload loop run, as a real burst would
        }

        // The trailing reload comes at most one interval after the burst.
        for (var step = 0; step < 100 && Volatile.Read(ref loaded) != 1000; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(10);
        }
        await Task.WhenAll(triggers).WaitAsync(Wait);

        Assert.Equal(1000, Volatile.Read(ref loaded));
        Assert.InRange(reload.Reloads, 2, 7);
    }

    [Fact]
    public async Task Dispose_stops_it_a_dirty_view_is_not_reloaded_and_later_events_do_nothing()
    {
        var view = new FirstReloadBlocks();
        var reload = new CoalescingReload(view.ReloadAsync, TimeSpan.FromMilliseconds(250), _time);

        var running = reload.TriggerAsync();
        await view.First.Task.WaitAsync(Wait);
        await reload.TriggerAsync(); // dirty: would reload once more
        reload.Dispose();
        Assert.True(view.Token.IsCancellationRequested, "the running reload's token must be cancelled");
        view.Release.SetResult();
        await running.WaitAsync(Wait);

        await reload.TriggerAsync().WaitAsync(Wait);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(50);
        Assert.Equal(1, view.Count);
    }

    [Fact]
    public async Task A_reload_that_fails_does_not_stop_the_next_event_from_reloading()
    {
        var calls = 0;
        using var reload = new CoalescingReload(_ =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("database away") : Task.CompletedTask,
            TimeSpan.FromMilliseconds(250), _time);

        await Assert.ThrowsAsync<InvalidOperationException>(() => reload.TriggerAsync().WaitAsync(Wait));
        _time.Advance(TimeSpan.FromMilliseconds(250));
        await reload.TriggerAsync().WaitAsync(Wait);
        Assert.Equal(2, calls);
    }

    /// <summary>A view whose first reload runs until released; counts reloads and keeps the token of the last.</summary>
    private sealed class FirstReloadBlocks
    {
        private int _count;

        public TaskCompletionSource First { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationToken Token { get; private set; }
        public int Count => Volatile.Read(ref _count);

        public async Task ReloadAsync(CancellationToken ct)
        {
            Token = ct;
            if (Interlocked.Increment(ref _count) == 1)
            {
                First.SetResult();
                await Release.Task;
            }
        }
    }
}
