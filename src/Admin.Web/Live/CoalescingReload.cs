namespace Admin.Web.Live;

/// <summary>
/// Turns a burst of live events into one reload: the first trigger waits a short window, later triggers within it
/// are absorbed, and a trigger that arrives while the reload runs schedules one more, so the view ends up current.
/// Disposing (when the page closes) cancels a pending reload, since the page's services are going away.
/// </summary>
public sealed class CoalescingReload(Func<CancellationToken, Task> reload, TimeSpan window) : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private int _scheduled;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMilliseconds(150);

    public CoalescingReload(Func<CancellationToken, Task> reload) : this(reload, DefaultWindow) { }

    public async Task TriggerAsync()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1) return;
        try
        {
            await Task.Delay(window, _disposed.Token);
            Interlocked.Exchange(ref _scheduled, 0);
            await reload(_disposed.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && _disposed.IsCancellationRequested)
        {
            // The page closed: its circuit's services are going away, so there is nothing to reload.
        }
    }

    // Cancel only: the source is never disposed, so a trigger racing with Dispose still reads a valid token.
    public void Dispose() => _disposed.Cancel();
}
