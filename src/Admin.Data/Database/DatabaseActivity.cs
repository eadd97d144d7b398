using System.Security.Claims;
using Admin.Data;
using Admin.Data.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Database;

public static class DatabaseAuditActions
{
    public const string QueryCancelled = "database.query_cancelled";
    public const string BackendTerminated = "database.backend_terminated";
    public const string StatisticsReset = "database.statistics_reset";
    public const string Explained = "database.explained";
    public const string ExplainAnalyzed = "database.explain_analyzed";
    public const string LongQueriesCancelled = "database.long_queries_cancelled";
    public const string LongQueriesTerminated = "database.long_queries_terminated";

    /// <summary>Writes one audit row for an action of the Database panels, with the signed-in user as the actor.</summary>
    public static async Task WriteAsync(IDbContextFactory<AdminDbContext> adminDb, string action, string table, string recordId,
        ClaimsPrincipal actor, object data, CancellationToken ct)
    {
        await using var db = await adminDb.CreateDbContextAsync(ct);
        await AuditWriter.WriteAsync(db, new AuditEntry(action, table, recordId,
            NewData: data,
            ActorId: Guid.TryParse(actor.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var id) ? id : null,
            ActorEmail: actor.FindFirst(ClaimTypes.Email)?.Value ?? actor.Identity?.Name,
            ActorRoles: actor.FindAll(ClaimTypes.Role).Select(c => c.Value).ToList()), ct);
    }
}

/// <summary>What a panel load found: the data, or why the target could not be read.</summary>
public sealed record TargetRead<T>(T? Value, string? Problem) where T : class;

/// <summary>
/// The Activity and Tables panels' service: reads a monitoring target, and cancels or terminates backends for users in
/// role Dba only (checked here, not only in the UI). Every attempt is audited with its outcome, including one refused
/// because the user is not a DBA (nothing is signalled then).
/// </summary>
public sealed class DatabaseActivity(MonitoringTargets targets, IDbContextFactory<AdminDbContext> adminDb, ILogger<DatabaseActivity> logger)
{
    public IReadOnlyList<MonitoringTarget> Targets => targets.All;

    public MonitoringTarget Target(string? name) => targets.Get(name);

    public static bool MaySignal(ClaimsPrincipal user) => user.IsInRole(DatabaseRoles.Dba);

    public Task<TargetRead<ActivitySnapshot>> LoadActivityAsync(string? target, CancellationToken ct = default) =>
        ReadAsync(target, ds => ActivityStats.LoadAsync(ds, ct));

    public Task<TargetRead<IReadOnlyList<TableStat>>> LoadTablesAsync(string? target, CancellationToken ct = default) =>
        ReadAsync(target, ds => TableStats.LoadAsync(ds, ct));

    /// <summary>The Vacuum page: bloat estimates, vacuums running, lagging tables, xmin horizon holders, wraparound, NOT VALID constraints.</summary>
    public Task<TargetRead<VacuumReport>> LoadVacuumAsync(string? target, CancellationToken ct = default) =>
        ReadAsync(target, ds => VacuumStats.LoadAsync(ds, ct));

    public Task<SignalResult> CancelAsync(string? target, int pid, ClaimsPrincipal actor, CancellationToken ct = default) =>
        SignalAsync(target, pid, actor, terminate: false, ct);

    public Task<SignalResult> TerminateAsync(string? target, int pid, ClaimsPrincipal actor, CancellationToken ct = default) =>
        SignalAsync(target, pid, actor, terminate: true, ct);

    private async Task<SignalResult> SignalAsync(string? targetName, int pid, ClaimsPrincipal actor, bool terminate, CancellationToken ct)
    {
        var target = targets.Get(targetName);
        SignalResult result;
        if (!MaySignal(actor))
        {
            // Refused before anything reaches PostgreSQL, and audited: the attempt itself is worth knowing about.
            result = new SignalResult(SignalOutcome.NotPermitted,
                $"Only users in role {DatabaseRoles.DbaLabel} may {(terminate ? "terminate sessions" : "cancel queries")}.", null);
            await AuditSignalAsync(target, pid, actor, terminate, result, ct);
            return result;
        }
        try
        {
            result = terminate
                ? await ActivityStats.TerminateAsync(target.DataSource, pid, ct)
                : await ActivityStats.CancelAsync(target.DataSource, pid, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Signalling process {Pid} on target {Target} failed", pid, target.Name);
            return new SignalResult(SignalOutcome.NotDone, $"The server {target.Name} could not be reached: {e.Message}", null);
        }
        if (result.Outcome is SignalOutcome.Done or SignalOutcome.NotDone or SignalOutcome.NotPermitted)
            await AuditSignalAsync(target, pid, actor, terminate, result, ct);
        return result;
    }

    /// <summary>The shortest "longer than" a DBA may pick: below it every running statement would match.</summary>
    public static readonly TimeSpan MinLongerThan = TimeSpan.FromSeconds(1);

    /// <summary>Why a "longer than" cannot be used, or null.</summary>
    public static string? CheckLongerThan(TimeSpan longerThan) =>
        longerThan < MinLongerThan ? $"Pick a duration of at least {MinLongerThan.TotalSeconds:0} second." :
        longerThan > TimeSpan.FromDays(365) ? "Pick a duration under a year." : null;

    /// <summary>The sessions "kill all queries running longer than N" would signal on the target (its database only).</summary>
    public Task<TargetRead<IReadOnlyList<BackendSession>>> LoadLongRunningAsync(string? target, TimeSpan longerThan, CancellationToken ct = default) =>
        CheckLongerThan(longerThan) is { } problem
            ? Task.FromResult(new TargetRead<IReadOnlyList<BackendSession>>(null, problem))
            : ReadAsync(target, ds => ActivityStats.LongRunningAsync(ds, longerThan, ct));

    /// <summary>
    /// Cancels (or terminates) the queries of the <paramref name="shown"/> sessions (what the DBA confirmed) that still run
    /// longer than <paramref name="longerThan"/>; DBAs only. One audit entry holds the list and each outcome, including a
    /// refusal (then nothing is signalled).
    /// </summary>
    public async Task<BulkSignalResult> SignalLongRunningAsync(string? targetName, TimeSpan longerThan, bool terminate,
        IReadOnlyList<BackendSession> shown, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        var target = targets.Get(targetName);
        BulkSignalResult result;
        if (!MaySignal(actor))
            result = new BulkSignalResult([], terminate, $"Only users in role {DatabaseRoles.DbaLabel} may {(terminate ? "terminate sessions" : "cancel queries")}.", Refused: true);
        else if (CheckLongerThan(longerThan) is { } problem)
            return new BulkSignalResult([], terminate, problem, Refused: true);
        else
        {
            try
            {
                var results = await ActivityStats.SignalLongRunningAsync(target.DataSource, shown, longerThan, terminate, ct);
                result = new BulkSignalResult(results, terminate, BulkSignalResult.Summary(results, terminate), Refused: false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(e, "Signalling long queries on target {Target} failed", target.Name);
                result = new BulkSignalResult([], terminate, $"The server {target.Name} could not be reached: {e.Message}", Refused: true);
            }
        }
        await DatabaseAuditActions.WriteAsync(adminDb,
            terminate ? DatabaseAuditActions.LongQueriesTerminated : DatabaseAuditActions.LongQueriesCancelled,
            "pg_stat_activity", target.Name, actor,
            new
            {
                target = target.Name,
                longer_than_seconds = longerThan.TotalSeconds,
                terminate,
                outcome = result.Refused ? nameof(SignalOutcome.NotPermitted) : nameof(SignalOutcome.Done),
                message = result.Message,
                sessions = shown.Select((s, i) =>
                {
                    var r = result.Results.Count == shown.Count ? result.Results[i] : null;
                    return new
                    {
                        pid = s.Pid,
                        user = s.User,
                        application = s.Application,
                        query_start = s.QueryStart,
                        query = s.Query,
                        outcome = r?.Outcome.ToString() ?? (result.Refused ? nameof(SignalOutcome.NotPermitted) : nameof(SignalOutcome.NotFound)),
                        message = r?.Message,
                    };
                }).ToList(),
            }, ct);
        return result;
    }

    private Task AuditSignalAsync(MonitoringTarget target, int pid, ClaimsPrincipal actor, bool terminate, SignalResult result, CancellationToken ct) =>
        DatabaseAuditActions.WriteAsync(adminDb,
            terminate ? DatabaseAuditActions.BackendTerminated : DatabaseAuditActions.QueryCancelled,
            "pg_stat_activity", pid.ToString(), actor,
            new
            {
                pid,
                target = target.Name,
                user = result.Target?.User,
                application = result.Target?.Application,
                database = result.Target?.Database,
                query = result.Target?.Query,
                outcome = result.Outcome.ToString(),
                message = result.Message,
            }, ct);

    private async Task<TargetRead<T>> ReadAsync<T>(string? targetName, Func<NpgsqlDataSource, Task<T>> read) where T : class
    {
        var target = targets.Get(targetName);
        try
        {
            return new TargetRead<T>(await read(target.DataSource), null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(e, "Monitoring target {Target} could not be read", target.Name);
            return new TargetRead<T>(null, $"The server \"{target.Name}\" ({target.Description}) cannot be reached or refused the query: {e.Message}");
        }
    }
}

/// <summary>What "kill all queries running longer than N" did: one result per session the DBA confirmed.</summary>
public sealed record BulkSignalResult(IReadOnlyList<SignalResult> Results, bool Terminate, string Message, bool Refused)
{
    public int Signalled => Results.Count(r => r.Outcome == SignalOutcome.Done);
    public int Gone => Results.Count(r => r.Outcome == SignalOutcome.NotFound);
    public int Failed => Results.Count(r => r.Outcome is SignalOutcome.NotPermitted or SignalOutcome.NotDone or SignalOutcome.OwnConnection);

    /// <summary>"2 cancelled, 1 already gone" (and how many were refused or not done, if any).</summary>
    public static string Summary(IReadOnlyList<SignalResult> results, bool terminate)
    {
        var done = results.Count(r => r.Outcome == SignalOutcome.Done);
        var gone = results.Count(r => r.Outcome == SignalOutcome.NotFound);
        var failed = results.Count - done - gone;
        return $"{done} {(terminate ? "terminated" : "cancelled")}, {gone} already gone" + (failed > 0 ? $", {failed} not signalled" : "");
    }
}
