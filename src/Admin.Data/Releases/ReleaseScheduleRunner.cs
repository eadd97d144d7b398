using Admin.Data.Security;
using Admin.Data.Session;
using Npgsql;

namespace Admin.Data.Releases;

/// <summary>What a tick did with one due release: deployed it, held its schedule (with the reason), or found it gone.</summary>
public sealed record ScheduledDeploy(long ReleaseId, ScheduledOutcome Outcome, string? Reason = null);

public enum ScheduledOutcome { Deployed, Held, Skipped }

/// <summary>
/// The release scheduler's data side. A tick reads the due releases as the system identity <see cref="Actor"/> and
/// deploys each as the release manager who scheduled it (<see cref="ReleaseService.DeployScheduledAsync"/> locks the
/// release and deploys it only while approved, due and not held, so with several app instances a schedule deploys
/// exactly once). A deploy the database refuses at that moment (a blocking conflict), or a person who no longer holds
/// the role, holds the schedule with the reason: the audit trail and the live topic carry the notice, and the release
/// stays approved for a person to decide. Ticks run one at a time (one set of context options for the runner's life).
/// </summary>
public sealed class ReleaseScheduleRunner
{
    public const string Actor = "release-scheduler";
    private static readonly string[] ManagerRoles = ["Admin", "ReleaseManager"];

    private readonly NpgsqlDataSource _dataSource;
    private readonly JobSessionContextSource _session = new();
    private readonly ReleaseService _releases;
    private readonly SemaphoreSlim _oneTick = new(1, 1);

    public ReleaseScheduleRunner(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _releases = new ReleaseService(new SessionDbContexts(dataSource, _session), _session, dataSource);
    }

    public async Task<IReadOnlyList<ScheduledDeploy>> RunDueAsync(string tick, CancellationToken ct = default)
    {
        await _oneTick.WaitAsync(ct);
        try
        {
            var job = SessionRoles.SystemJob(Actor, tick);
            var done = new List<ScheduledDeploy>();
            foreach (var due in await DueAsync(job, ct))
                done.Add(await RunAsync(due, job, ct));
            return done;
        }
        finally
        {
            _session.Current = SessionContext.Anonymous;
            _oneTick.Release();
        }
    }

    private sealed record Due(long Id, Guid? UserId, string? Email, string[] Roles);

    private async Task<ScheduledDeploy> RunAsync(Due due, SessionContext job, CancellationToken ct)
    {
        if (due.UserId is null || !due.Roles.Any(ManagerRoles.Contains))
            return await HoldAsync(due.Id, $"{due.Email ?? "The person who scheduled it"} no longer holds the ReleaseManager or Admin role; someone who does must deploy or schedule it again.", job, ct);
        _session.Current = new SessionContext(due.UserId, due.Email, due.Roles, [], [], job.RequestId);
        try
        {
            return new ScheduledDeploy(due.Id, await _releases.DeployScheduledAsync(due.Id, ct) ? ScheduledOutcome.Deployed : ScheduledOutcome.Skipped);
        }
        catch (UserFacingException e)
        {
            return await HoldAsync(due.Id, e.Message, job, ct);
        }
        finally
        {
            _session.Current = SessionContext.Anonymous;
        }
    }

    /// <summary>The due releases with who scheduled them and the roles that person holds now.</summary>
    private async Task<List<Due>> DueAsync(SessionContext job, CancellationToken ct)
    {
        await using var connection = await SessionConnection.OpenAsync(_dataSource, job, ct);
        await using var command = new NpgsqlCommand("""
            SELECT r.id, r.scheduled_by_id, r.scheduled_by_email,
                   ARRAY(SELECT ro.name FROM user_roles ur JOIN roles ro ON ro.id = ur.role_id WHERE ur.user_id = r.scheduled_by_id ORDER BY ro.name)
            FROM releases r
            WHERE r.status = 'APPROVED' AND r.scheduled_at <= now() AND r.schedule_held_at IS NULL
            ORDER BY r.scheduled_at, r.id
            LIMIT 50
            """, connection);
        var due = new List<Due>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            due.Add(new Due(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetFieldValue<string[]>(3)));
        return due;
    }

    /// <summary>Holds a due schedule with its reason, as the scheduler (a release deployed meanwhile is left alone).</summary>
    private async Task<ScheduledDeploy> HoldAsync(long id, string reason, SessionContext job, CancellationToken ct)
    {
        await using var connection = await SessionConnection.OpenAsync(_dataSource, job, ct);
        await using var command = new NpgsqlCommand("""
            UPDATE releases SET schedule_held_at = now(), schedule_held_reason = $2
            WHERE id = $1 AND status = 'APPROVED' AND scheduled_at IS NOT NULL AND schedule_held_at IS NULL
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = reason });
        return await command.ExecuteNonQueryAsync(ct) == 1 ? new ScheduledDeploy(id, ScheduledOutcome.Held, reason) : new ScheduledDeploy(id, ScheduledOutcome.Skipped);
    }

}
