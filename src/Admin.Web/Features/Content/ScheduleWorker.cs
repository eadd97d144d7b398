using Admin.Data.Content;
using Admin.Web.Infrastructure;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Content;

/// <summary>The "Content:Schedules" configuration section: a schedule fires within five seconds of its time.</summary>
public sealed class ScheduleOptions : TickOptions
{
    public const string Section = "Content:Schedules";

    public ScheduleOptions() => IntervalSeconds = 5;

    /// <summary>Schedules per transaction; a tick repeats batches until none is due.</summary>
    public int BatchSize { get; set; } = 50;
}

/// <summary>
/// Publishes and expires due schedules every few seconds through <see cref="ScheduleRunner"/> (each schedule fires exactly
/// once across app instances), then logs what the tick fired from the audit trail.
/// </summary>
public sealed class ScheduleWorker(ScheduleRunner runner, IOptions<ScheduleOptions> options, TimeProvider time, ILogger<ScheduleWorker> logger)
    : TickWorker(options.Value, time, logger)
{
    public const string Actor = ScheduleRunner.Actor;

    protected override string Name => "Schedule worker";
    protected override string TickPrefix => "sched";

    protected override async Task RunTickAsync(string tick, CancellationToken ct)
    {
        var total = await runner.RunDueAsync(tick, options.Value.BatchSize, ct);
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
