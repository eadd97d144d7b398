using System.Security.Claims;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// The alerts page and the bell: alerts, rules, silences, webhooks and notices, read and changed as the signed-in user
/// (row-level security lets Admins and DBAs in, nobody else). Every change is audited and announced live
/// ("database"/"alert"), so every open bell and alerts page on every instance follows.
/// </summary>
public sealed class AlertService(NpgsqlDataSource console, ISessionContextSource session, MonitoringTargets targets,
    IDbContextFactory<AdminDbContext> adminDb, TimeProvider time)
{
    public const int ResolvedShown = 50, DeliveriesShown = 100, BellShown = 6;
    public static readonly TimeSpan LongestSilence = TimeSpan.FromDays(30);

    public const string RuleSaved = "database.alert_rule_saved", RuleDeleted = "database.alert_rule_deleted",
        Acknowledged = "database.alert_acknowledged", Silenced = "database.alert_silenced", SilenceEnded = "database.alert_silence_ended",
        WebhookSaved = "database.alert_webhook_saved", WebhookDeleted = "database.alert_webhook_deleted";

    private static readonly string[] Managers = ["Admin", DatabaseRoles.Dba];

    public bool MayManage => session.Current.Roles.Any(Managers.Contains);

    private const string ItemColumns = """
        a.id, a.rule_id, r.name, r.metric, r.comparator, r.threshold, a.target, a.state, a.severity, a.value, a.pending_since, a.fired_at,
        a.resolved_at, a.silenced, a.acknowledged_by, a.acknowledged_at,
        (SELECT count(*) FROM alert_deliveries d WHERE d.alert_id = a.id AND d.state = 'delivered')::int,
        (SELECT count(*) FROM alert_deliveries d WHERE d.alert_id = a.id AND d.state = 'failed')::int
        FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
        """;

    public async Task<AlertBoard> LoadAsync(CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        var open = await ItemsAsync(connection, $"SELECT {ItemColumns} WHERE a.state IN ('pending', 'firing') ORDER BY a.state = 'firing' DESC, a.severity = 'critical' DESC, a.fired_at DESC NULLS LAST, a.id DESC", ct);
        var resolved = await ItemsAsync(connection, $"SELECT {ItemColumns} WHERE a.state = 'resolved' ORDER BY a.resolved_at DESC, a.id DESC LIMIT {ResolvedShown}", ct);
        var rules = await ReadAsync(connection, """
            SELECT r.id, r.name, r.target, r.metric, r.comparator, r.threshold, r.for_seconds, r.severity, r.enabled, r.description, r.updated_by,
                   r.updated_at, (SELECT max(s.until) FROM alert_silences s WHERE s.rule_id = r.id AND s.until > now())
            FROM alert_rules r ORDER BY r.severity = 'critical' DESC, r.name
            """, r => new AlertRule(r.GetInt64(0), r.GetString(1), Text(r, 2), r.GetString(3), r.GetString(4), r.GetDouble(5), r.GetInt32(6),
                r.GetString(7), r.GetBoolean(8), Text(r, 9), Text(r, 10), r.GetFieldValue<DateTimeOffset>(11), Time(r, 12)), ct);
        var silences = await ReadAsync(connection, """
            SELECT s.id, s.rule_id, r.name, s.target, s.until, s.reason, s.created_by, s.created_at
            FROM alert_silences s JOIN alert_rules r ON r.id = s.rule_id WHERE s.until > now() ORDER BY s.until
            """, r => new AlertSilence(r.GetInt64(0), r.GetInt64(1), r.GetString(2), Text(r, 3), r.GetFieldValue<DateTimeOffset>(4), r.GetString(5),
                r.GetString(6), r.GetFieldValue<DateTimeOffset>(7)), ct);
        var webhooks = await ReadAsync(connection, "SELECT id, name, url, format, min_severity, enabled, created_by, created_at FROM alert_webhooks ORDER BY name",
            r => new AlertWebhook(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetBoolean(5), r.GetString(6),
                r.GetFieldValue<DateTimeOffset>(7)), ct);
        var deliveries = await DeliveriesAsync(connection, null, ct);
        return new AlertBoard(open, resolved, rules, silences, webhooks, deliveries);
    }

    /// <summary>The notices of one alert (null: the latest of all), each with its last attempt.</summary>
    public async Task<IReadOnlyList<AlertDeliveryItem>> DeliveriesAsync(long? alertId, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        return await DeliveriesAsync(connection, alertId, ct);
    }

    private static Task<List<AlertDeliveryItem>> DeliveriesAsync(NpgsqlConnection connection, long? alertId, CancellationToken ct) =>
        ReadAsync(connection, $"""
            SELECT d.id, d.alert_id, r.name, a.target, w.name, d.event, d.state, d.attempts, d.next_attempt_at, d.delivered_at,
                   t.status_code, t.error, t.instance
            FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN alert_rules r ON r.id = a.rule_id JOIN alert_webhooks w ON w.id = d.webhook_id
            LEFT JOIN LATERAL (SELECT * FROM alert_delivery_attempts t WHERE t.delivery_id = d.id ORDER BY t.attempt DESC LIMIT 1) t ON true
            WHERE {(alertId is null ? "true" : $"d.alert_id = {alertId.Value}")}
            ORDER BY d.id DESC LIMIT {DeliveriesShown}
            """, r => new AlertDeliveryItem(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
                r.GetInt32(7), r.GetFieldValue<DateTimeOffset>(8), Time(r, 9), r.IsDBNull(10) ? null : r.GetInt32(10), Text(r, 11), Text(r, 12)), ct);

    /// <summary>The bell: fired and resolved events (not silenced) since the user last opened it (at most the last 7 days).</summary>
    public async Task<AlertBellSummary> BellAsync(CancellationToken ct = default)
    {
        if (!MayManage) return new AlertBellSummary(0, []);
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            WITH seen AS (SELECT greatest(coalesce((SELECT read_at FROM alert_reads WHERE user_id = app_user_id()), '-infinity'), now() - interval '7 days') AS at)
            SELECT (SELECT count(*) FROM alerts a, seen WHERE NOT a.silenced AND a.fired_at > seen.at)
                 + (SELECT count(*) FROM alerts a, seen WHERE NOT a.silenced AND a.resolved_at > seen.at)
            """, connection);
        var unread = Convert.ToInt32(await command.ExecuteScalarAsync(ct));
        var latest = await ItemsAsync(connection,
            $"SELECT {ItemColumns} WHERE a.fired_at IS NOT NULL ORDER BY a.state = 'firing' DESC, greatest(a.fired_at, a.resolved_at) DESC LIMIT {BellShown}", ct);
        return new AlertBellSummary(unread, latest);
    }

    /// <summary>The user has seen everything up to now.</summary>
    public async Task MarkReadAsync(CancellationToken ct = default)
    {
        if (!MayManage) return;
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, """
            INSERT INTO alert_reads (user_id, read_at) VALUES (app_user_id(), now())
            ON CONFLICT (user_id) DO UPDATE SET read_at = excluded.read_at
            """, ct);
    }

    public async Task AcknowledgeAsync(long alertId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        var changed = await ExecuteAsync(connection, $"""
            UPDATE alerts SET acknowledged_by = app_user_email(), acknowledged_at = now()
            WHERE id = {alertId} AND state IN ('pending', 'firing') AND acknowledged_at IS NULL
            """, ct);
        if (changed == 0) throw new AlertInputException($"Alert #{alertId} is resolved or acknowledged already.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(Acknowledged, "alerts", alertId, actor, new { alert = alertId }, ct);
    }

    /// <summary>No notices for the rule (on one target, or every target) until <paramref name="until"/>.</summary>
    public async Task SilenceAsync(long ruleId, string? target, DateTimeOffset until, string reason, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        var now = time.GetUtcNow();
        if (until <= now) throw new AlertInputException("A silence must end in the future.", "until");
        if (until > now + LongestSilence) throw new AlertInputException($"A silence lasts at most {LongestSilence.TotalDays:0} days; disable the rule instead.", "until");
        if (string.IsNullOrWhiteSpace(reason)) throw new AlertInputException("Say why the rule is silenced (it is shown to the other DBAs).", "reason");
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO alert_silences (rule_id, target, until, reason, created_by)
            SELECT id, $2, $3, btrim($4), app_user_email() FROM alert_rules WHERE id = $1
            RETURNING id
            """, connection)
        {
            Parameters = { new() { Value = ruleId }, new() { Value = (object?)Blank(target) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }, new() { Value = until }, new() { Value = reason } },
        };
        if (await command.ExecuteScalarAsync(ct) is not long id) throw new AlertInputException($"Rule #{ruleId} does not exist.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(Silenced, "alert_silences", id, actor, new { rule = ruleId, target = Blank(target), until, reason }, ct);
    }

    public async Task EndSilenceAsync(long silenceId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        if (await ExecuteAsync(connection, $"UPDATE alert_silences SET until = now() WHERE id = {silenceId} AND until > now()", ct) == 0)
            throw new AlertInputException("That silence has ended already.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(SilenceEnded, "alert_silences", silenceId, actor, new { silence = silenceId }, ct);
    }

    /// <summary>Creates or changes a rule; answers its id.</summary>
    public async Task<long> SaveRuleAsync(AlertRuleInput input, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        var name = input.Name?.Trim() ?? "";
        if (name.Length is 0 or > 200) throw new AlertInputException("Give the rule a name (at most 200 characters).", "name");
        if (AlertMetrics.Find(input.Metric) is null) throw new AlertInputException("Choose what the rule watches.", "metric");
        if (input.Comparator is not (">" or ">=" or "<" or "<=")) throw new AlertInputException("Choose how the value compares with the threshold.", "comparator");
        if (!double.IsFinite(input.Threshold) || Math.Abs(input.Threshold) > 1e15) throw new AlertInputException("The threshold must be a number.", "threshold");
        if (input.ForMinutes is < 0 or > 1440) throw new AlertInputException("\"For at least\" is 0 to 1,440 minutes.", "for");
        if (input.Severity is not ("warning" or "critical")) throw new AlertInputException("Choose warning or critical.", "severity");
        var target = Blank(input.Target);
        if (target is not null && !targets.All.Any(t => t.Name == target)) throw new AlertInputException($"There is no monitoring target \"{target}\".", "target");
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand(input.Id is null
            ? """
              INSERT INTO alert_rules (name, target, metric, comparator, threshold, for_seconds, severity, enabled, description, updated_by)
              VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, app_user_email()) RETURNING id
              """
            : """
              UPDATE alert_rules SET name = $2, target = $3, metric = $4, comparator = $5, threshold = $6, for_seconds = $7, severity = $8,
                                     enabled = $9, description = $10, updated_by = app_user_email(), updated_at = now()
              WHERE id = $1 RETURNING id
              """, connection)
        {
            Parameters =
            {
                new() { Value = input.Id ?? 0 }, new() { Value = name }, new() { Value = (object?)target ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
                new() { Value = input.Metric }, new() { Value = input.Comparator }, new() { Value = input.Threshold }, new() { Value = input.ForMinutes * 60 },
                new() { Value = input.Severity }, new() { Value = input.Enabled },
                new() { Value = (object?)Blank(input.Description) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text },
            },
        };
        object? id;
        try
        {
            id = await command.ExecuteScalarAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new AlertInputException($"A rule named \"{name}\" exists already.", "name");
        }
        if (id is not long saved) throw new AlertInputException($"Rule #{input.Id} does not exist any more.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(RuleSaved, "alert_rules", saved, actor, input with { Name = name, Target = target }, ct);
        return saved;
    }

    /// <summary>Deletes a rule with its alerts, silences and notices.</summary>
    public async Task DeleteRuleAsync(long ruleId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        if (await ExecuteAsync(connection, $"DELETE FROM alert_rules WHERE id = {ruleId}", ct) == 0) throw new AlertInputException($"Rule #{ruleId} does not exist any more.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(RuleDeleted, "alert_rules", ruleId, actor, new { rule = ruleId }, ct);
    }

    public async Task<long> AddWebhookAsync(AlertWebhookInput input, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        var name = input.Name?.Trim() ?? "";
        var url = input.Url?.Trim() ?? "";
        if (name.Length is 0 or > 100) throw new AlertInputException("Give the webhook a name (at most 100 characters).", "name");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || url.Length > 2000 || url.Any(char.IsWhiteSpace))
            throw new AlertInputException("The address must be an http:// or https:// URL.", "url");
        if (input.Format is not ("json" or "slack")) throw new AlertInputException("Choose JSON or Slack.", "format");
        if (input.MinSeverity is not ("warning" or "critical")) throw new AlertInputException("Choose warning or critical.", "severity");
        await using var connection = await OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            INSERT INTO alert_webhooks (name, url, format, min_severity, created_by) VALUES ($1, $2, $3, $4, app_user_email()) RETURNING id
            """, connection)
        {
            Parameters = { new() { Value = name }, new() { Value = url }, new() { Value = input.Format }, new() { Value = input.MinSeverity } },
        };
        long id;
        try
        {
            id = (long)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new AlertInputException($"A webhook named \"{name}\" exists already.", "name");
        }
        await AnnounceAsync(connection, ct);
        // The address is a credential: the audit keeps where it points, not the secret.
        await AuditAsync(WebhookSaved, "alert_webhooks", id, actor, new { name, url = AlertWebhook.Mask(url), input.Format, input.MinSeverity }, ct);
        return id;
    }

    public async Task SetWebhookEnabledAsync(long webhookId, bool enabled, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        if (await ExecuteAsync(connection, $"UPDATE alert_webhooks SET enabled = {(enabled ? "true" : "false")} WHERE id = {webhookId}", ct) == 0)
            throw new AlertInputException($"Webhook #{webhookId} does not exist any more.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(WebhookSaved, "alert_webhooks", webhookId, actor, new { webhook = webhookId, enabled }, ct);
    }

    public async Task DeleteWebhookAsync(long webhookId, ClaimsPrincipal actor, CancellationToken ct = default)
    {
        Refuse();
        await using var connection = await OpenAsync(ct);
        if (await ExecuteAsync(connection, $"DELETE FROM alert_webhooks WHERE id = {webhookId}", ct) == 0) throw new AlertInputException($"Webhook #{webhookId} does not exist any more.");
        await AnnounceAsync(connection, ct);
        await AuditAsync(WebhookDeleted, "alert_webhooks", webhookId, actor, new { webhook = webhookId }, ct);
    }

    private void Refuse()
    {
        if (!MayManage) throw new AlertInputException($"Alerts are for Admins and {DatabaseRoles.DbaLabel}s.");
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken ct) => SessionConnection.OpenAsync(console, session.Current, ct);

    private static Task AnnounceAsync(NpgsqlConnection connection, CancellationToken ct) =>
        ExecuteAsync(connection, "SELECT live_notify('database', NULL, 'alert')", ct);

    private Task AuditAsync(string action, string table, long id, ClaimsPrincipal actor, object data, CancellationToken ct) =>
        DatabaseAuditActions.WriteAsync(adminDb, action, table, id.ToString(System.Globalization.CultureInfo.InvariantCulture), actor, data, ct);

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<List<T>> ReadAsync<T>(NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> map, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct)) rows.Add(map(reader));
        return rows;
    }

    private static Task<List<AlertItem>> ItemsAsync(NpgsqlConnection connection, string sql, CancellationToken ct) =>
        ReadAsync(connection, sql, r => new AlertItem(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetDouble(5),
            r.GetString(6), r.GetString(7), r.GetString(8), r.IsDBNull(9) ? null : r.GetDouble(9), r.GetFieldValue<DateTimeOffset>(10), Time(r, 11),
            Time(r, 12), r.GetBoolean(13), Text(r, 14), Time(r, 15), r.GetInt32(16), r.GetInt32(17)), ct);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
