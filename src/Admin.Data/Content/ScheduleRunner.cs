using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Content;

/// <summary>A schedule a tick fired, as its audit row tells it: the action, locale/key of the section, the details.</summary>
public sealed record FiredSchedule(string Action, string Section, string Details);

/// <summary>
/// The schedule worker's data side. Fires due schedules through <see cref="ContentService.RunDueSchedulesAsync"/> (FOR
/// UPDATE SKIP LOCKED: with several app instances each schedule fires exactly once) as the system identity
/// <see cref="Actor"/> with the tick's request id, so audit rows and live events say who did it; then reads back from
/// the audit trail what the tick fired. Ticks run one at a time: the contexts carry one identity, the current tick's
/// (one set of context options for the runner's life, so EF Core builds its services once).
/// </summary>
public sealed class ScheduleRunner
{
    public const string Actor = "scheduler";

    private readonly NpgsqlDataSource _dataSource;
    private readonly JobSessionContextSource _session = new();
    private readonly SessionDbContexts _contexts;
    private readonly SemaphoreSlim _oneTick = new(1, 1);

    public ScheduleRunner(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _contexts = new SessionDbContexts(dataSource, _session);
    }

    /// <summary>Fires every due schedule, <paramref name="batchSize"/> per transaction, until none is due; answers how many fired.</summary>
    public async Task<int> RunDueAsync(string tick, int batchSize, CancellationToken ct = default)
    {
        await _oneTick.WaitAsync(ct);
        try
        {
            _session.Current = SessionRoles.SystemJob(Actor, tick);
            var content = new ContentService(_contexts, _session);
            var total = 0;
            int handled;
            do
            {
                handled = await content.RunDueSchedulesAsync(batchSize, ct);
                total += handled;
            }
            while (handled > 0);
            return total;
        }
        finally
        {
            _session.Current = SessionContext.Anonymous;
            _oneTick.Release();
        }
    }

    /// <summary>What tick <paramref name="tick"/> fired, in order, from the audit trail (read as the scheduler).</summary>
    public async Task<IReadOnlyList<FiredSchedule>> FiredAsync(string tick, CancellationToken ct = default)
    {
        await using var connection = await SessionConnection.OpenAsync(_dataSource, SessionRoles.SystemJob(Actor, tick), ct);
        await using var command = new NpgsqlCommand("""
            SELECT a.action, coalesce(hs.locale || '/' || hs.section_key, a.record_id), a.new_data::text
            FROM audit_events a LEFT JOIN homepage_sections hs ON hs.id::text = a.record_id
            WHERE a.request_id = $1 ORDER BY a.id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = tick });
        var fired = new List<FiredSchedule>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) fired.Add(new FiredSchedule(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return fired;
    }

}
