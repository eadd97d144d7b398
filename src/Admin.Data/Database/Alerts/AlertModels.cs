namespace Admin.Data.Database;

public static class AlertStates
{
    public const string Pending = "pending", Firing = "firing", Resolved = "resolved";
}

public sealed record AlertRule(
    long Id, string Name, string? Target, string Metric, string Comparator, double Threshold, int ForSeconds, string Severity,
    bool Enabled, string? Description, string? UpdatedBy, DateTimeOffset UpdatedAt, DateTimeOffset? SilencedUntil)
{
    public string Condition => AlertMetrics.Condition(Metric, Comparator, Threshold);
}

/// <summary>What a DBA fills in for a rule (Id null: a new one).</summary>
public sealed record AlertRuleInput(
    long? Id, string Name, string? Target, string Metric, string Comparator, double Threshold, int ForMinutes, string Severity, bool Enabled,
    string? Description);

public sealed record AlertItem(
    long Id, long RuleId, string Rule, string Metric, string Comparator, double Threshold, string Target, string State, string Severity,
    double? Value, DateTimeOffset PendingSince, DateTimeOffset? FiredAt, DateTimeOffset? ResolvedAt, bool Silenced,
    string? AcknowledgedBy, DateTimeOffset? AcknowledgedAt, int Notices, int NoticesFailed)
{
    public string Condition => AlertMetrics.Condition(Metric, Comparator, Threshold);
    public string ValueText => AlertMetrics.Value(Metric, Value);
}

public sealed record AlertSilence(long Id, long RuleId, string Rule, string? Target, DateTimeOffset Until, string Reason, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record AlertWebhook(long Id, string Name, string Url, string Format, string MinSeverity, bool Enabled, string CreatedBy, DateTimeOffset CreatedAt)
{
    /// <summary>The address without its secret part (a Slack URL's path is its credential): scheme, host and the path's start.</summary>
    public string MaskedUrl => Mask(Url);

    public static string Mask(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u)
        ? $"{u.Scheme}://{u.Authority}{(u.AbsolutePath.Length > 8 ? u.AbsolutePath[..8] + "…" : u.AbsolutePath)}"
        : "…";
}

public sealed record AlertWebhookInput(string Name, string Url, string Format, string MinSeverity);

public sealed record AlertDeliveryItem(
    long Id, long AlertId, string Rule, string Target, string Webhook, string Event, string State, int Attempts, DateTimeOffset NextAttemptAt,
    DateTimeOffset? DeliveredAt, int? LastStatus, string? LastError, string? LastInstance);

/// <summary>The alerts page: open alerts first, then the latest resolved; rules, silences, webhooks, latest notices.</summary>
public sealed record AlertBoard(
    IReadOnlyList<AlertItem> Open, IReadOnlyList<AlertItem> Resolved, IReadOnlyList<AlertRule> Rules, IReadOnlyList<AlertSilence> Silences,
    IReadOnlyList<AlertWebhook> Webhooks, IReadOnlyList<AlertDeliveryItem> Deliveries);

/// <summary>The bell: events since the user last looked, and the newest few.</summary>
public sealed record AlertBellSummary(int Unread, IReadOnlyList<AlertItem> Latest);

/// <summary>A refusal or bad input on the alerts page, in words for the user.</summary>
public sealed class AlertInputException(string message, string? field = null) : UserFacingException(message, field);
