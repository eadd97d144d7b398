namespace Admin.Web.Features.Database;

/// <summary>Calls a page's reload every interval until disposed (the Database pages' statistics refresh by server push).</summary>
public sealed class MinuteRefresh : IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    public MinuteRefresh(Func<CancellationToken, Task> reload, TimeSpan? interval = null) =>
        _ = LoopAsync(reload, interval ?? TimeSpan.FromMinutes(1));

    private async Task LoopAsync(Func<CancellationToken, Task> reload, TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                try { await reload(_stop.Token); }
                catch (Exception) when (!_stop.IsCancellationRequested) { /* the page shows its own error; try again next tick */ }
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
