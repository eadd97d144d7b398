using System.Diagnostics;
using System.Net.Http.Json;
using Admin.Data.Session;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>One notice to send: the alert as the webhook will read it.</summary>
public sealed record AlertNotice(
    long DeliveryId, int Attempt, string Event, string WebhookUrl, string Format, long AlertId, string Rule, string Metric, string Comparator,
    double Threshold, string Target, string Severity, double? Value, DateTimeOffset? FiredAt, DateTimeOffset? ResolvedAt)
{
    public string Condition => AlertMetrics.Condition(Metric, Comparator, Threshold);
}

/// <summary>
/// Sends queued alert notices to webhooks, on every app instance: a notice is claimed (FOR UPDATE SKIP LOCKED, held for
/// <see cref="ClaimFor"/>) before it is sent, so two instances never send the same one at once; an instance that dies
/// mid-send leaves it to be sent again after the claim ends (receivers can tell by the X-Admin-Delivery header). Every
/// attempt is recorded with its outcome; failures are retried with exponential backoff up to <see cref="MaxAttempts"/>.
/// A resolve notice waits until its firing notice has gone (or given up).
/// </summary>
public sealed class AlertDeliverer(NpgsqlDataSource console, HttpClient http, string instance, TimeProvider time, Uri? consoleUrl = null)
{
    public const int MaxAttempts = 8;
    public static readonly TimeSpan ClaimFor = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>10 s after the first failure, doubling, at most an hour.</summary>
    public static TimeSpan Backoff(int failedAttempts) => TimeSpan.FromSeconds(Math.Min(3600, 10 * Math.Pow(2, Math.Max(0, failedAttempts - 1))));

    /// <summary>Claims up to <paramref name="batch"/> due notices, sends them and records each; answers how many were sent.</summary>
    public async Task<int> DeliverDueAsync(int batch = 20, CancellationToken ct = default)
    {
        var notices = await ClaimAsync(batch, ct);
        foreach (var notice in notices) await SendAsync(notice, ct);
        return notices.Count;
    }

    private async Task<List<AlertNotice>> ClaimAsync(int batch, CancellationToken ct)
    {
        await using var connection = await SessionConnection.OpenAsync(console, SessionRoles.SystemJob(AlertEvaluator.Actor), ct);
        await using var command = new NpgsqlCommand("""
            WITH due AS (
                SELECT d.id FROM alert_deliveries d
                WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until <= $1)
                  AND NOT (d.event = 'resolved' AND EXISTS (
                      SELECT 1 FROM alert_deliveries f
                      WHERE f.alert_id = d.alert_id AND f.webhook_id = d.webhook_id AND f.event = 'firing' AND f.state = 'pending'))
                ORDER BY d.next_attempt_at, d.id
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            UPDATE alert_deliveries d SET claimed_until = $1 + $3, attempts = d.attempts + 1
            FROM due, alerts a, alert_rules r, alert_webhooks w
            WHERE d.id = due.id AND a.id = d.alert_id AND r.id = a.rule_id AND w.id = d.webhook_id
            RETURNING d.id, d.attempts, d.event, w.url, w.format, a.id, r.name, r.metric, r.comparator, r.threshold, a.target,
                      a.severity, a.value, a.fired_at, a.resolved_at
            """, connection)
        {
            Parameters = { new() { Value = time.GetUtcNow() }, new() { Value = batch }, new() { Value = ClaimFor } },
        };
        var notices = new List<AlertNotice>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            notices.Add(new AlertNotice(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetString(6), reader.GetString(7), reader.GetString(8), reader.GetDouble(9), reader.GetString(10),
                reader.GetString(11), reader.IsDBNull(12) ? null : reader.GetDouble(12),
                reader.IsDBNull(13) ? null : reader.GetFieldValue<DateTimeOffset>(13), reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14)));
        return notices.OrderBy(n => n.DeliveryId).ToList();
    }

    private async Task SendAsync(AlertNotice notice, CancellationToken ct)
    {
        var started = time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        int? status = null;
        string? error = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, notice.WebhookUrl)
            {
                Content = JsonContent.Create(AlertBodies.For(notice, consoleUrl)),
            };
            request.Headers.Add("X-Admin-Delivery", notice.DeliveryId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("X-Admin-Event", notice.Event);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(SendTimeout);
            using var response = await http.SendAsync(request, timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode) error = $"HTTP {status} {response.ReasonPhrase}";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            error = e is OperationCanceledException ? $"no answer within {SendTimeout.TotalSeconds:0} s" : e.Message;
        }
        await RecordAsync(notice, started, clock.Elapsed, status, error, ct);
    }

    private async Task RecordAsync(AlertNotice notice, DateTimeOffset started, TimeSpan took, int? status, string? error, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var connection = await SessionConnection.OpenAsync(console, SessionRoles.SystemJob(AlertEvaluator.Actor), ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    INSERT INTO alert_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error, instance)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """)
                {
                    Parameters =
                    {
                        new() { Value = notice.DeliveryId }, new() { Value = notice.Attempt }, new() { Value = started },
                        new() { Value = took.TotalMilliseconds }, new() { Value = (object?)status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer },
                        new() { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }, new() { Value = instance },
                    },
                },
                new NpgsqlBatchCommand("""
                    UPDATE alert_deliveries
                    SET state = CASE WHEN $2 THEN 'delivered' WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
                        delivered_at = CASE WHEN $2 THEN $4 END,
                        next_attempt_at = CASE WHEN $2 THEN next_attempt_at ELSE $4 + $5 END,
                        claimed_until = NULL
                    WHERE id = $1
                    """)
                {
                    Parameters =
                    {
                        new() { Value = notice.DeliveryId }, new() { Value = error is null }, new() { Value = MaxAttempts }, new() { Value = now },
                        new() { Value = Backoff(notice.Attempt) },
                    },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The bodies webhooks receive: the console's JSON, or a Slack-compatible message.</summary>
public static class AlertBodies
{
    public static object For(AlertNotice n, Uri? consoleUrl)
    {
        var link = consoleUrl is null ? null : new Uri(consoleUrl, $"/database/alerts?alert={n.AlertId}").ToString();
        var value = AlertMetrics.Value(n.Metric, n.Value);
        if (n.Format == "slack")
        {
            var head = n.Event == "firing"
                ? $":rotating_light: [{n.Severity.ToUpperInvariant()}] {n.Rule} on {n.Target}"
                : $":white_check_mark: Resolved: {n.Rule} on {n.Target}";
            return new { text = $"{head}\n{n.Condition} (now {value})" + (link is null ? "" : $"\n<{link}|Open in Admin>") };
        }
        return new
        {
            @event = n.Event,
            delivery_id = n.DeliveryId,
            attempt = n.Attempt,
            alert = new
            {
                id = n.AlertId, rule = n.Rule, condition = n.Condition, metric = n.Metric, comparator = n.Comparator, threshold = n.Threshold,
                target = n.Target, severity = n.Severity, value = n.Value, value_text = value, fired_at = n.FiredAt, resolved_at = n.ResolvedAt,
                url = link,
            },
        };
    }
}
