using Admin.Data;
using Admin.Data.Content;
using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

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
/// Publishes and expires due schedules every few seconds through <see cref="ContentService.RunDueSchedulesAsync"/>,
/// which locks them FOR UPDATE SKIP LOCKED: with several app instances each schedule fires exactly once. Acts as the
/// identity "scheduler" (audit rows and live events say so) with a request id per tick, by which it then reads back
/// from the audit trail what it fired, for the log. A failing tick (database down, …) is logged and retried on the
/// next one.
/// </summary>
public sealed class ScheduleWorker(
    IServiceScopeFactory scopes, NpgsqlDataSource dataSource, IOptions<ScheduleOptions> options, TimeProvider time,
    ILogger<ScheduleWorker> logger) : BackgroundService
{
    public const string Actor = "scheduler";

    private readonly SchedulerSession _session = new();
    private SchedulerContexts? _contexts;
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
        _contexts ??= new SchedulerContexts(dataSource, _session);
        var tick = $"sched_{Guid.NewGuid():N}"[..26];
        _session.Current = SessionRoles.SystemJob(Actor, tick);
        var total = 0;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var content = ActivatorUtilities.CreateInstance<ContentService>(scope.ServiceProvider, _contexts, _session);
            int handled;
            do
            {
                handled = await content.RunDueSchedulesAsync(options.Value.BatchSize, ct);
                total += handled;
            }
            while (handled > 0);
            if (_failedTicks > 0) logger.LogInformation("Schedule worker recovered after {Failed} failed tick(s)", _failedTicks);
            _failedTicks = 0;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // The whole exception once; while the cause lasts (database down, …) one line per tick.
            if (_failedTicks++ == 0)
                logger.LogWarning(ex, "Schedule worker tick {Tick} failed after {Handled} schedule(s); retrying every {Interval} s",
                    tick, total, options.Value.IntervalSeconds);
            else
                logger.LogWarning("Schedule worker tick {Tick} failed again ({Failed} in a row): {Error}", tick, _failedTicks, ex.Message);
        }
        if (total > 0) await LogFiredAsync(tick, total, ct);
    }

    private async Task LogFiredAsync(string tick, int total, CancellationToken ct)
    {
        try
        {
            await using var connection = await SessionConnection.OpenAsync(dataSource, SessionRoles.SystemJob(Actor, tick), ct);
            await using var command = new NpgsqlCommand("""
                SELECT a.action, coalesce(hs.locale || '/' || hs.section_key, a.record_id), a.new_data::text
                FROM audit_events a LEFT JOIN homepage_sections hs ON hs.id::text = a.record_id
                WHERE a.request_id = $1 ORDER BY a.id
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = tick });
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
                logger.LogInformation("Schedule fired: {Action} {Section} {Details}", reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            logger.LogInformation(ex, "Schedule worker handled {Count} schedule(s) in tick {Tick} (details unavailable)", total, tick);
        }
    }

    /// <summary>The worker's identity for the current tick; ticks run one after another, never at once.</summary>
    private sealed class SchedulerSession : ISessionContextSource
    {
        public SessionContext Current { get; set; } = SessionContext.Anonymous;
    }

    /// <summary>Contexts over the app's data source carrying the worker's identity, not an HTTP request's.</summary>
    private sealed class SchedulerContexts(NpgsqlDataSource dataSource, ISessionContextSource session) : IDbContextFactory<AdminDbContext>
    {
        private readonly DbContextOptions<AdminDbContext> _options = new DbContextOptionsBuilder<AdminDbContext>()
            .UseNpgsql(dataSource)
            .AddInterceptors(new SessionContextInterceptor(session), new DenialInterceptor(dataSource, session))
            .Options;

        public AdminDbContext CreateDbContext() => new(_options);
    }
}
