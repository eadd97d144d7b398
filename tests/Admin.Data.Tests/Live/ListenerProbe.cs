using Admin.Data.Live;
using Microsoft.Extensions.Logging;

namespace Admin.Data.Tests.Live;

/// <summary>
/// Runs a NotificationListener in the background and records what its callbacks report, so a test can wait (with a
/// timeout) for an event or a state instead of sleeping. Disposing cancels the listener and checks it ends cleanly.
/// </summary>
public sealed class ListenerProbe : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly List<LiveEvent> _events = [];
    private readonly List<(ListenerState State, bool Reconnected)> _states = [];
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _changed = NewSignal();
    private Task _run = Task.CompletedTask;

    public CollectingLogger<NotificationListener> Logger { get; } = new();

    public IReadOnlyList<LiveEvent> Events { get { lock (_gate) return [.. _events]; } }
    public IReadOnlyList<(ListenerState State, bool Reconnected)> States { get { lock (_gate) return [.. _states]; } }

    /// <summary>Starts the listener and returns once it reports Connected (LISTEN has been issued by then).</summary>
    public static async Task<ListenerProbe> StartAsync(Func<ILogger<NotificationListener>, NotificationListener> create)
    {
        var probe = new ListenerProbe();
        var listener = create(probe.Logger);
        probe._run = Task.Run(() => listener.RunAsync(probe.OnEventAsync, probe.OnStateAsync, probe._stop.Token));
        await probe.WaitForStateAsync(ListenerState.Connected, reconnected: false);
        return probe;
    }

    public async Task<LiveEvent> WaitForEventAsync(Func<LiveEvent, bool> match, TimeSpan? timeout = null)
    {
        await WaitUntilAsync(() => Events.Any(match), timeout, () => $"a matching event; got {string.Join(", ", Events)}");
        return Events.First(match);
    }

    public Task WaitForStateAsync(ListenerState state, bool reconnected, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => States.Contains((state, reconnected)), timeout,
            () => $"state {state} (reconnected={reconnected}); got {string.Join(", ", States)}");

    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout, Func<string> expected)
    {
        using var expiry = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate) changed = _changed.Task;
            if (condition()) return;
            if (_run.IsCompleted) await _run; // Surfaces a listener that died instead of waiting out the timeout.
            try
            {
                await changed.WaitAsync(expiry.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Waited {timeout ?? DefaultTimeout} for {expected()}");
            }
        }
    }

    private ValueTask OnEventAsync(LiveEvent e)
    {
        lock (_gate) _events.Add(e);
        Signal();
        return ValueTask.CompletedTask;
    }

    private ValueTask OnStateAsync(ListenerState state, bool reconnected)
    {
        lock (_gate) _states.Add((state, reconnected));
        Signal();
        return ValueTask.CompletedTask;
    }

    private void Signal()
    {
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _changed;
            _changed = NewSignal();
        }
        fired.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        // RunAsync returns on cancellation rather than throwing.
        await _run.WaitAsync(DefaultTimeout);
        _stop.Dispose();
    }
}
