using Admin.Data.Content;
using Admin.Web.Infrastructure;
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
/// once across app instances), then logs what the tick fired from the audit trail.
/// </summary>
public sealed class ScheduleWorker(ScheduleRunner runner, IOptions<ScheduleOptions> options, TimeProvider time, ILogger<ScheduleWorker> logger)
    : TickWorker(time, logger)
{
    public const string Actor = ScheduleRunner.Actor;

    protected override string Name => "Schedule worker";
    protected override string TickPrefix => "sched";
    protected override bool Enabled => options.Value.Enabled;
    protected override TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, options.Value.IntervalSeconds));

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
