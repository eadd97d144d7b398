namespace Admin.Web.Live;

/// <summary>
/// Turns a burst of live events into one reload: the first trigger waits a short window, later triggers within it
/// are absorbed, and a trigger that arrives while the reload runs schedules one more, so the view ends up current.
/// </summary>
public sealed class CoalescingReload(Func<Task> reload, TimeSpan window)
{
    private int _scheduled;

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMilliseconds(150);

    public CoalescingReload(Func<Task> reload) : this(reload, DefaultWindow) { }

    public async Task TriggerAsync()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 1) return;
        await Task.Delay(window);
        Interlocked.Exchange(ref _scheduled, 0);
        await reload();
    }
}
