using Admin.Data.Releases;
using Admin.Web.Infrastructure;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Releases;

/// <summary>The "Releases:Schedules" configuration section.</summary>
public sealed class ReleaseScheduleOptions
{
    public const string Section = "Releases:Schedules";

    /// <summary>Run the scheduler in this instance (every instance may: the release's lock makes each deploy happen once).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between looks for due releases: a scheduled release deploys at most this long after its time.</summary>
    public int IntervalSeconds { get; set; } = 1;
}

/// <summary>Deploys due scheduled releases every second through <see cref="ReleaseScheduleRunner"/> and logs what each tick did.</summary>
public sealed class ReleaseScheduleWorker(ReleaseScheduleRunner runner, IOptions<ReleaseScheduleOptions> options, TimeProvider time,
    ILogger<ReleaseScheduleWorker> logger) : TickWorker(time, logger)
{
    protected override string Name => "Release scheduler";
    protected override string TickPrefix => "relsched";
    protected override bool Enabled => options.Value.Enabled;
    protected override TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(1, options.Value.IntervalSeconds));

    protected override async Task RunTickAsync(string tick, CancellationToken ct)
    {
        foreach (var done in await runner.RunDueAsync(tick, ct))
        {
            if (done.Outcome == ScheduledOutcome.Deployed) logger.LogInformation("Scheduled release #{Release} deployed (tick {Tick})", done.ReleaseId, tick);
            else if (done.Outcome == ScheduledOutcome.Held) logger.LogWarning("Scheduled release #{Release} held: {Reason} (tick {Tick})", done.ReleaseId, done.Reason, tick);
        }
    }
}
