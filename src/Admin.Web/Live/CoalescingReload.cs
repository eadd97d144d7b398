namespace Admin.Web.Live;

/// <summary>
/// Turns live events into reloads, at once for the first and coalesced for a burst: a trigger while nothing runs starts a
/// reload immediately; triggers while a reload runs (or waits) only mark the view dirty, and a dirty view gets exactly one
/// more reload when the running one ends, started no sooner than <see cref="MinInterval"/> after the previous one
/// started. So an isolated change shows after one reload, a burst of any size costs at most one reload per interval,
/// and the last event of a burst is always followed by a reload that starts after it (no final update is lost).
/// Disposing (when the page closes) cancels a pending reload, since the page's services are going away.
/// </summary>
public sealed class CoalescingReload : IDisposable
{
    /// <summary>Shortest time between the starts of two reloads (a burst of 1,000 events in a second: about 5 reloads).</summary>
    public static readonly TimeSpan DefaultMinInterval = TimeSpan.FromMilliseconds(250);

    private readonly Func<CancellationToken, Task> _reload;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();
    private bool _running;
    private bool _dirty;
    private long? _lastStart;

    public CoalescingReload(Func<CancellationToken, Task> reload, TimeSpan? minInterval = null, TimeProvider? time = null)
    {
        _reload = reload;
        MinInterval = minInterval ?? DefaultMinInterval;
        _time = time ?? TimeProvider.System;
    }

    public TimeSpan MinInterval { get; }

    /// <summary>How many reloads have started (for tests and benchmarks).</summary>
    public int Reloads { get; private set; }

    /// <summary>
    /// Reloads now, or marks the view dirty when a reload is already under way. The task completes when this trigger's
    /// reloads are done (at once for a trigger that only marked the view dirty); it faults when a reload throws.
    /// </summary>
    public Task TriggerAsync()
    {
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested) return Task.CompletedTask;
            if (_running)
            {
                _dirty = true;
                return Task.CompletedTask;
            }
            _running = true;
        }
        return RunAsync();
    }

    private async Task RunAsync()
    {
        var finished = false;
        try
        {
            // Off the caller's thread: the listener publishing this event must not run a page's query before it reads
            // the next notification.
            await Task.Yield();
            while (true)
            {
                if (_lastStart is { } last && MinInterval - _time.GetElapsedTime(last) is { Ticks: > 0 } wait)
                    await Task.Delay(wait, _time, _disposed.Token);
                _disposed.Token.ThrowIfCancellationRequested();
                lock (_lock) _dirty = false;
                _lastStart = _time.GetTimestamp();
                Reloads++;
                await _reload(_disposed.Token);
                lock (_lock)
                {
                    if (!_dirty || _disposed.IsCancellationRequested)
                    {
                        _running = false;
                        finished = true;
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
        {
            // The page closed: its circuit's services are going away, so there is nothing to reload.
        }
        finally
        {
            // A reload that threw leaves the view idle, so the next event reloads again.
            if (!finished)
                lock (_lock) _running = false;
        }
    }

    // Cancel only: the source is never disposed, so a trigger racing with Dispose still reads a valid token.
    public void Dispose() => _disposed.Cancel();
}
