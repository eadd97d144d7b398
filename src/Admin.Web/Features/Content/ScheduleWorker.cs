using Admin.Data.Content;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Content;

/// <summary>The "Content:Schedules" configuration section.</summary>
public sealed class ScheduleOptions
{
    public const string Section = "Content:Schedules";

    /// <summary>Run the worker in this instance (every instance may: SKIP LOCKED makes each schedule fire once).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between looks for due schedules; a schedule fires at most this long after its time.</summary>
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>Schedules per transaction; a tick repeats batches until none is due.</summary>
    public int BatchSize { get; set; } = 50;
}

/// <summary>
/// Publishes and expires due schedules every few seconds through <see cref="ScheduleRunner"/> (each schedule fires exactly
/// once across app instances), with a request id per tick by which it then logs what it fired. A failing tick (database
/// down, …) is logged and retried on the next one.
/// </summary>
public sealed class ScheduleWorker(ScheduleRunner runner, IOptions<ScheduleOptions> options, TimeProvider time, ILogger<ScheduleWorker> logger)
    : BackgroundService
{
    public const string Actor = ScheduleRunner.Actor;

    private int _failedTicks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            logger.LogInformation("Schedule worker disabled (Content:Schedules:Enabled=false)");
            return;
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, settings.IntervalSeconds)), time);
        try
        {
            do
            {
                await RunDueAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: a batch cut short rolls back, and another instance (or the next start) fires it.
        }
    }

    /// <summary>One tick: batches until nothing is due.</summary>
    private async Task RunDueAsync(CancellationToken ct)
    {
        var tick = $"sched_{Guid.NewGuid():N}"[..26];
        var total = 0;
        try
        {
            total = await runner.RunDueAsync(tick, options.Value.BatchSize, ct);
            if (_failedTicks > 0) logger.LogInformation("Schedule worker recovered after {Failed} failed tick(s)", _failedTicks);
            _failedTicks = 0;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // The whole exception once; while the cause lasts (database down, …) one line per tick.
            if (_failedTicks++ == 0)
                logger.LogWarning(ex, "Schedule worker tick {Tick} failed; retrying every {Interval} s", tick, options.Value.IntervalSeconds);
            else
                logger.LogWarning("Schedule worker tick {Tick} failed again ({Failed} in a row): {Error}", tick, _failedTicks, ex.Message);
        }
        if (total > 0) await LogFiredAsync(tick, total, ct);
    }

    private async Task LogFiredAsync(string tick, int total, CancellationToken ct)
    {
        try
        {
            foreach (var fired in await runner.FiredAsync(tick, ct))
                logger.LogInformation("Schedule fired: {Action} {Section} {Details}", fired.Action, fired.Section, fired.Details);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogInformation(ex, "Schedule worker handled {Count} schedule(s) in tick {Tick} (details unavailable)", total, tick);
        }
    }
}
