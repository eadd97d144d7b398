using Admin.Data.Database;
using Admin.Web.Infrastructure;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Admin.Web.Features.Database;

/// <summary>The "Monitoring:Sampler" configuration section.</summary>
public sealed class SamplerOptions
{
    public const string Section = "Monitoring:Sampler";

    /// <summary>Take part in sampling (an instance with false never leads; the others still do).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Time between samples of pg_stat_statements (deltas per statement).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Time between samples of table sizes (they change slowly; each sample is a row per table).</summary>
    public TimeSpan TableInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>History older than this is deleted (checked every hour).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How this instance signs its runs (default host:pid; set a pod or service name in production).</summary>
    public string? InstanceName { get; set; }
}

/// <summary>What this instance's sampler is doing, for the panels' footer.</summary>
public sealed class SamplerState(IOptions<SamplerOptions> options)
{
    public string Instance { get; } = string.IsNullOrWhiteSpace(options.Value.InstanceName)
        ? $"{Environment.MachineName}:{Environment.ProcessId}"
        : options.Value.InstanceName;
    public bool IsLeader { get; internal set; }
}

/// <summary>
/// Samples every monitoring target each interval, on one instance only: the holder of an advisory lock
/// (<see cref="AdvisoryLeader"/>). The others ask again every interval and take over within one when the leader
/// stops. Each run writes a live event ("database"/"sampled"), so every instance's open panels reload the same history,
/// and evaluates the alert rules of each target (<see cref="AlertEvaluator"/>).
/// </summary>
public sealed class StatisticsSamplerService(
    MonitoringTargets targets, NpgsqlDataSource console, IConfiguration configuration, IOptions<SamplerOptions> options,
    SamplerState state, AlertEvaluator alerts, HealthChecks checks, DeployRegressions regressions, TimeProvider time,
    ILogger<StatisticsSamplerService> logger) : BackgroundService
{
    public const long LeaderLockKey = 7_311_202_690;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            logger.LogInformation("Statistics sampler disabled ({Section}:Enabled=false)", SamplerOptions.Section);
            return;
        }
        var sampler = new StatisticsSampler(console, state.Instance);
        await using var leader = new AdvisoryLeader(configuration.GetConnectionString(DatabaseExtensions.AppConnectionName)!, LeaderLockKey);
        var lastPrune = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(settings.Interval < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : settings.Interval, time);
        try
        {
            do
            {
                try
                {
                    lastPrune = await TickAsync(leader, sampler, settings, lastPrune, stoppingToken);
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    // The console's database is unreachable: try again next tick (leadership is re-checked then).
                    logger.LogWarning(e, "Statistics sampling failed; retrying in {Interval}", settings.Interval);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            state.IsLeader = false;
        }
    }

    private async Task<DateTimeOffset> TickAsync(AdvisoryLeader leader, StatisticsSampler sampler, SamplerOptions settings, DateTimeOffset lastPrune, CancellationToken ct)
    {
        var wasLeader = state.IsLeader;
        state.IsLeader = await leader.TryLeadAsync(ct);
        if (state.IsLeader != wasLeader)
            logger.LogInformation(state.IsLeader ? "This instance ({Instance}) now samples statistics" : "This instance ({Instance}) no longer samples statistics", state.Instance);
        if (!state.IsLeader) return lastPrune;

        var now = time.GetUtcNow();
        foreach (var target in targets.All)
        {
            var result = await sampler.SampleAsync(target, now, settings.TableInterval, ct);
            if (result.Error is not null)
                logger.LogWarning("Sampling target {Target} failed: {Error}", target.Name, result.Error);
        }
        try
        {
            // Deploy-aware regressions: copy the finished deployments and release events, evaluate the ones now due.
            await regressions.RunAsync(targets.All.Select(t => t.Name), now, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Evaluating deploy regressions failed");
        }
        // The alert rules are evaluated here, by the leader only, on the health read just after the sample and on the
        // regressions of the deployments evaluated lately.
        foreach (var target in targets.All)
        {
            var recent = await regressions.RegressionsAsync(target.Name, now - AlertMetrics.DeployRegressionsLookback, now, ct);
            var more = new Dictionary<string, double> { [AlertMetrics.DeployRegressions] = recent.Sum(r => r.Regressions.Count) };
            foreach (var change in await alerts.EvaluateAsync(target, checks, now, ct, more))
                logger.LogInformation("Alert {Alert} on target {Target} {Event}{Silenced}", change.AlertId, target.Name, change.Event, change.Silenced ? " (silenced)" : "");
        }
        if (now - lastPrune < TimeSpan.FromHours(1)) return lastPrune;
        var removed = await sampler.PruneAsync(now - settings.Retention, ct);
        if (removed > 0) logger.LogInformation("Pruned {Rows} statistics history rows older than {Retention}", removed, settings.Retention);
        return now;
    }
}
