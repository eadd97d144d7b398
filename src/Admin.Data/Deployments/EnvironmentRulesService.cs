using System.Text.Json;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Deployments;

/// <summary>A weekly window in a time zone: ISO days (1 Monday .. 7 Sunday), local wall-clock times.</summary>
public sealed record FreezeWindow(string Kind, string Label, int StartDay, TimeOnly StartTime, int EndDay, TimeOnly EndTime, string TimeZone)
{
    public const string Deny = "deny";
    public const string Allow = "allow";
    private static readonly string[] Days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    public static string DayName(int day) => day is >= 1 and <= 7 ? Days[day - 1] : "?";

    public override string ToString() => $"{DayName(StartDay)} {StartTime:HH\\:mm} – {DayName(EndDay)} {EndTime:HH\\:mm} {TimeZone}";
}

/// <summary>An environment's rules: required approval, wait timer after approval, required external checks, windows.</summary>
public sealed record EnvironmentRules(string Name, bool RequiresApproval, int WaitMinutes, string[] RequiredChecks, IReadOnlyList<FreezeWindow> Windows);

public sealed record DeploymentCheck(string Name, string State, string? Detail, string ReportedBy, DateTimeOffset UpdatedAt);

public sealed record RuleOverride(string Reason, string ByEmail, DateTimeOffset At);

/// <summary>The last rollback of the same service and version (<c>Matched</c> "version") or release payload ("release").</summary>
public sealed record RollbackMemory(long DeploymentId, string Service, string Version, long? ReleaseId, string Environment, string Matched,
    string? Reason, string? By, DateTimeOffset? At);

/// <summary>What the environment's rules say about one deployment now.</summary>
/// <param name="Refusal">Why it may not start now (null: it may, as far as the rules go).</param>
/// <param name="Frozen">Why its environment is frozen now, override or not (null: not frozen).</param>
public sealed record DeploymentRulesStatus(
    string? Refusal, string? Rule, DateTimeOffset? NotBefore, string? Frozen, string[] RequiredChecks,
    IReadOnlyList<DeploymentCheck> Checks, RuleOverride? Override, RollbackMemory? RolledBackBefore);

/// <summary>
/// Per-environment deployment rules (issue 18): read by release managers and admins, changed by admins; the freeze
/// overridden per deployment by release managers with a reason. The rules are enforced in PostgreSQL
/// (deploy_rule_refusal, called where the transition happens); this service edits and explains them. Changes and
/// overrides are audited by the database functions.
/// </summary>
public sealed class EnvironmentRulesService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    public const string CheckNamePattern = "^[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}$";

    private sealed record EnvironmentRow(string Name, bool RequiresApproval, int WaitMinutes, string[] RequiredChecks);

    private sealed record WindowRow(string Environment, string Kind, string Label, short StartDay, TimeOnly StartTime, short EndDay, TimeOnly EndTime, string TimeZone);

    private sealed record StatusRow(string? Refusal, string? Frozen, string? RolledBackBefore);

    public async Task<IReadOnlyList<EnvironmentRules>> ListAsync(CancellationToken ct = default)
    {
        RequireReader();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var environments = await db.Database.SqlQuery<EnvironmentRow>($"""
            SELECT name AS "name", requires_approval AS "requires_approval", wait_minutes AS "wait_minutes", required_checks AS "required_checks"
            FROM deploy_environments ORDER BY display_order, name
            """).ToListAsync(ct);
        var windows = await db.Database.SqlQuery<WindowRow>($"""
            SELECT environment AS "environment", kind AS "kind", label AS "label", start_day AS "start_day", start_time AS "start_time",
                   end_day AS "end_day", end_time AS "end_time", time_zone AS "time_zone"
            FROM deploy_windows ORDER BY environment, id
            """).ToListAsync(ct);
        return environments.Select(e => new EnvironmentRules(e.Name, e.RequiresApproval, e.WaitMinutes, e.RequiredChecks,
            windows.Where(w => w.Environment == e.Name)
                .Select(w => new FreezeWindow(w.Kind, w.Label, w.StartDay, w.StartTime, w.EndDay, w.EndTime, w.TimeZone)).ToList())).ToList();
    }

    /// <summary>Replaces an environment's rules (Admin). Throws <see cref="DeploymentException"/> with the reason when refused.</summary>
    public async Task SaveAsync(EnvironmentRules rules, CancellationToken ct = default)
    {
        if (!session.Current.Roles.Contains(DeploymentService.AdminRole)) throw new DeploymentException("Only admins change environment rules.");
        var windows = JsonSerializer.Serialize(rules.Windows.Select(w => new
        {
            kind = w.Kind, label = w.Label, startDay = w.StartDay, startTime = w.StartTime.ToString("HH\\:mm"),
            endDay = w.EndDay, endTime = w.EndTime.ToString("HH\\:mm"), timeZone = w.TimeZone,
        }));
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var refusal = (await db.Database.SqlQueryRaw<string?>(
            "SELECT deploy_rules_save(@name, @approval, @wait, @checks, @windows) AS \"Value\"",
            new NpgsqlParameter("name", rules.Name), new NpgsqlParameter("approval", rules.RequiresApproval),
            new NpgsqlParameter("wait", rules.WaitMinutes), new NpgsqlParameter("checks", rules.RequiredChecks),
            new NpgsqlParameter("windows", NpgsqlDbType.Jsonb) { Value = windows }).ToListAsync(ct)).Single();
        if (refusal is not null) throw new DeploymentException(Sentence(refusal));
        await transaction.CommitAsync(ct);
    }

    /// <summary>Lets one deployment through the freeze (release managers, admins), with a reason; audited.</summary>
    public async Task OverrideFreezeAsync(long deploymentId, string? reason, CancellationToken ct = default)
    {
        if (!DeploymentService.CanApprove(session.Current)) throw new DeploymentException("Only release managers and admins override a freeze.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var refusal = (await db.Database.SqlQuery<string?>($"SELECT deploy_override_freeze({deploymentId}, {reason?.Trim()}) AS \"Value\"").ToListAsync(ct)).Single();
        if (refusal is not null) throw new DeploymentException(Sentence(refusal), "reason");
        await transaction.CommitAsync(ct);
    }

    /// <summary>The rules as they apply to one deployment now, its checks, its override and any remembered rollback.</summary>
    public async Task<DeploymentRulesStatus?> StatusAsync(long deploymentId, CancellationToken ct = default)
    {
        RequireReader();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var row = (await db.Database.SqlQuery<StatusRow>($"""
            SELECT CASE WHEN d.status IN ('queued', 'approved') THEN deploy_rule_refusal(d.id)::text END AS "refusal",
                   (deploy_freeze_refusal(d.environment, clock_timestamp()) ->> 'detail') AS "frozen",
                   deploy_rollback_memory(d.service, d.version, d.release_id, d.id)::text AS "rolled_back_before"
            FROM deployments d WHERE d.id = {deploymentId}
            """).ToListAsync(ct)).SingleOrDefault();
        if (row is null) return null;
        var required = (await db.Database.SqlQuery<string[]>($"""
            SELECT e.required_checks AS "Value" FROM deployments d JOIN deploy_environments e ON e.name = d.environment WHERE d.id = {deploymentId}
            """).ToListAsync(ct)).Single();
        var checks = await db.Database.SqlQuery<DeploymentCheck>($"""
            SELECT name AS "name", state AS "state", detail AS "detail", reported_by AS "reported_by", updated_at AS "updated_at"
            FROM deployment_checks WHERE deployment_id = {deploymentId} ORDER BY name
            """).ToListAsync(ct);
        var overridden = (await db.Database.SqlQuery<RuleOverride>($"""
            SELECT reason AS "reason", by_email AS "by_email", at AS "at" FROM deployment_rule_overrides WHERE deployment_id = {deploymentId}
            """).ToListAsync(ct)).SingleOrDefault();
        using var refusal = row.Refusal is null ? null : JsonDocument.Parse(row.Refusal);
        var r = refusal?.RootElement;
        return new DeploymentRulesStatus(
            r?.GetProperty("detail").GetString(), r?.GetProperty("rule").GetString(),
            r is { } e && e.TryGetProperty("notBefore", out var nb) ? nb.GetDateTimeOffset() : null,
            row.Frozen, required, checks, overridden, ParseRollback(row.RolledBackBefore));
    }

    public static RollbackMemory? ParseRollback(string? json) =>
        json is null ? null : JsonSerializer.Deserialize<RollbackMemory>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    private void RequireReader()
    {
        if (!DeploymentService.CanApprove(session.Current)) throw new DeploymentException("Only release managers and admins see environment rules.");
    }

    private static string Sentence(string text) => char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");
}
