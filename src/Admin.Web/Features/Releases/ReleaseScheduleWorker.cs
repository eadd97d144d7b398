using Admin.Data.Releases;
using Admin.Web.Infrastructure;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Releases;

/// <summary>The "Releases:Schedules" configuration section: a scheduled release deploys within a second of its time.</summary>
public sealed class ReleaseScheduleOptions : TickOptions
{
    public const string Section = "Releases:Schedules";

    public ReleaseScheduleOptions() => IntervalSeconds = 1;
}

/// <summary>Deploys due scheduled releases every second through <see cref="ReleaseScheduleRunner"/> and logs what each tick did.</summary>
public sealed class ReleaseScheduleWorker(ReleaseScheduleRunner runner, IOptions<ReleaseScheduleOptions> options, TimeProvider time,
    ILogger<ReleaseScheduleWorker> logger) : TickWorker(options.Value, time, logger)
{
    protected override string Name => "Release scheduler";
    protected override string TickPrefix => "relsched";

    protected override async Task RunTickAsync(string tick, CancellationToken ct)
    {
        foreach (var done in await runner.RunDueAsync(tick, ct))
        {
            if (done.Outcome == ScheduledOutcome.Deployed) logger.LogInformation("Scheduled release #{Release} deployed (tick {Tick})", done.ReleaseId, tick);
            else if (done.Outcome == ScheduledOutcome.Held) logger.LogWarning("Scheduled release #{Release} held: {Reason} (tick {Tick})", done.ReleaseId, done.Reason, tick);
        }
    }
}
