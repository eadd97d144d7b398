using System.Security.Claims;
using Admin.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>The outcome of an action on the slow-queries panel, in words for the user.</summary>
public sealed record QueryActionResult(bool Succeeded, string Message);

/// <summary>
/// The slow-queries panel's service: top statements of a target, their sampled history, EXPLAIN, and the reset of the
/// statistics. EXPLAIN ANALYZE and reset run something on the server, so they are for role Dba only (checked here,
/// not only in the UI) and audited, refused attempts included; plain EXPLAIN only plans.
/// </summary>
public sealed class DatabaseQueries(
    MonitoringTargets targets, StatisticsHistory history, StatisticsWindows windows, IDbContextFactory<AdminDbContext> adminDb,
    TimeProvider time, ILogger<DatabaseQueries> logger)
{
    public static bool MayRun(ClaimsPrincipal user) => user.IsInRole(DatabaseRoles.Dba);

    // The audit rows' outcome, named like the Activity panel's (SignalOutcome).
    private const string Done = nameof(SignalOutcome.Done), NotPermitted = nameof(SignalOutcome.NotPermitted), Refused = "Refused";

    public async Task<TargetRead<StatementReport>> LoadAsync(string? target, StatementSort sort, int top, string? search, CancellationToken ct = default, long? queryId = null)
    {
        var t = targets.Get(target);
        try
        {
            return new TargetRead<StatementReport>(await SlowQueries.LoadAsync(t.DataSource, sort, top, search, queryId,
                (ids, c) => history.StatementTextsAsync(t.Name, ids, c), ct), null);
        }
        catch (StatementsUnavailableException e)
        {
            return new TargetRead<StatementReport>(null, e.Message);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(e, "Monitoring target {Target} could not be read", t.Name);
            return new TargetRead<StatementReport>(null, DatabaseOverview.Unreachable(t.Name, e));
        }
    }

    public Task<IReadOnlyList<StatementPoint>> HistoryAsync(string? target, long queryId, HistoryRange range, CancellationToken ct = default) =>
        history.StatementAsync(targets.Get(target).Name, queryId, range, time.GetUtcNow(), ct);

    public Task<string?> SampledTextAsync(string? target, long queryId, CancellationToken ct = default) =>
        history.StatementTextAsync(targets.Get(target).Name, queryId, ct);

    /// <summary>The top statements of a window of the sampled history (the console's database, so no target problem to report).</summary>
    public Task<WindowReport> WindowAsync(string? target, TimeWindow window, StatementSort sort, int top, string? search, CancellationToken ct = default) =>
        windows.StatementsAsync(targets.Get(target).Name, window, sort, top, search, ct);

    public Task<ComparisonReport> CompareAsync(string? target, TimeWindow before, TimeWindow after, ChangeSort sort, bool ascending, int top,
        string? search, CancellationToken ct = default) =>
        windows.CompareAsync(targets.Get(target).Name, before, after, sort, ascending, top, search, ct);

    public Task<SamplerRun?> LastSampleAsync(string? target, CancellationToken ct = default) =>
        history.LastRunAsync(targets.Get(target).Name, ct);

    /// <summary>
    /// The plan, or the reason it was refused (the exception's message is written for the user). Every EXPLAIN is audited
    /// with its statement text and outcome, plain or analyzed, refused or failed.
    /// </summary>
    public async Task<(ExplainResult? Plan, string? Problem)> ExplainAsync(string? target, string sql, bool analyze, ClaimsPrincipal user, CancellationToken ct = default)
    {
        var t = targets.Get(target);
        var action = analyze ? DatabaseAuditActions.ExplainAnalyzed : DatabaseAuditActions.Explained;
        if (analyze && !MayRun(user))
        {
            var refused = $"EXPLAIN ANALYZE runs the statement: only users in role {DatabaseRoles.DbaLabel} may use it.";
            await AuditAsync(action, t.Name, user, new { target = t.Name, statement = sql, outcome = NotPermitted, message = refused }, ct);
            return (null, refused);
        }
        ExplainResult? plan = null;
        string? problem = null;
        try
        {
            plan = await QueryExplainer.ExplainAsync(t, sql, analyze, ct);
        }
        catch (ExplainRefusedException e)
        {
            problem = e.Message;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            problem = DatabaseOverview.Unreachable(t.Name, e);
        }
        await AuditAsync(action, t.Name, user, plan is not null
            ? new { target = t.Name, statement = sql, executionMs = plan.ExecutionMs, outcome = Done }
            : new { target = t.Name, statement = sql, executionMs = (double?)null, outcome = Refused, message = problem }, ct);
        return (plan, problem);
    }

    public async Task<QueryActionResult> ResetAsync(string? target, ClaimsPrincipal user, CancellationToken ct = default)
    {
        var t = targets.Get(target);
        if (!MayRun(user))
        {
            var refused = $"Only users in role {DatabaseRoles.DbaLabel} may reset query statistics.";
            await AuditAsync(DatabaseAuditActions.StatisticsReset, t.Name, user, new { target = t.Name, statistics = "pg_stat_statements", outcome = NotPermitted, message = refused }, ct);
            return new QueryActionResult(false, refused);
        }
        try
        {
            await SlowQueries.ResetAsync(t.DataSource, ct);
        }
        catch (StatementsUnavailableException e)
        {
            return new QueryActionResult(false, e.Message);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return new QueryActionResult(false, DatabaseOverview.Unreachable(t.Name, e));
        }
        await AuditAsync(DatabaseAuditActions.StatisticsReset, t.Name, user, new { target = t.Name, statistics = "pg_stat_statements", outcome = Done }, ct);
        return new QueryActionResult(true, $"Query statistics of {t.Name} were reset. The sampled history is kept.");
    }

    private Task AuditAsync(string action, string target, ClaimsPrincipal user, object data, CancellationToken ct) =>
        DatabaseAuditActions.WriteAsync(adminDb, action, "pg_stat_statements", target, user, data, ct);
}
