namespace Admin.Web.Infrastructure;

/// <summary>
/// A background job that runs one tick every few seconds in every app instance (a tick must be safe to run on several
/// instances at once: the jobs lock what they fire), with a request id per tick for the audit rows it causes. A
/// failing tick (database down, …) is logged in full once, then in one line per tick while the cause lasts, and the
/// next tick tries again.
/// </summary>
public abstract class TickWorker(TickOptions options, TimeProvider time, ILogger logger) : BackgroundService
{
    private int _failedTicks;

    /// <summary>What the log calls this job ("Schedule worker").</summary>
    protected abstract string Name { get; }

    /// <summary>The start of each tick's request id ("sched").</summary>
    protected abstract string TickPrefix { get; }

    protected abstract Task RunTickAsync(string tick, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Enabled)
        {
            logger.LogInformation("{Name} disabled by configuration", Name);
            return;
        }
        using var timer = new PeriodicTimer(options.Interval, time);
        try
        {
            do
            {
                await TickAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a tick cut short rolls back, and another instance (or the next start) does its work.
        }
    }

    private async Task TickAsync(CancellationToken ct)
    {
        var tick = $"{TickPrefix}_{Guid.NewGuid():N}"[..26];
        try
        {
            await RunTickAsync(tick, ct);
            if (_failedTicks > 0) logger.LogInformation("{Name} recovered after {Failed} failed tick(s)", Name, _failedTicks);
            _failedTicks = 0;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (_failedTicks++ == 0)
                logger.LogWarning(ex, "{Name} tick {Tick} failed; retrying every {Interval} s", Name, tick, options.Interval.TotalSeconds);
            else
                logger.LogWarning("{Name} tick {Tick} failed again ({Failed} in a row): {Error}", Name, tick, _failedTicks, ex.Message);
        }
    }
}

/// <summary>A tick job's configuration section: whether this instance runs it, and how often (read once at start).</summary>
public abstract class TickOptions
{
    /// <summary>Run the job in this instance (every instance may: each job locks what it fires).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between ticks: the longest a due item waits past its time.</summary>
    public int IntervalSeconds { get; set; }

    public TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, IntervalSeconds));
}
