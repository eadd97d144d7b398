using System.Globalization;

namespace Admin.Data.Database;

/// <summary>A number alert rules may compare: a health check's figure, or a check's verdict (0 PASS, 1 WARN, 2 FAIL).</summary>
public sealed record AlertMetric(string Key, string Label, string Unit)
{
    public bool IsCheck => Key.StartsWith(AlertMetrics.CheckPrefix, StringComparison.Ordinal);
}

/// <summary>
/// What alert rules can watch, and the observed values of one target. Every health check is a metric (its verdict),
/// every figure behind the checks too; the list follows <see cref="HealthChecks"/>, so a new check can be alerted on
/// without a change here.
/// </summary>
public static class AlertMetrics
{
    public const string CheckPrefix = "check:";

    /// <summary>Statements slower since a deployment or release evaluated in the last <see cref="DeployRegressionsLookback"/> (see DeployRegressions).</summary>
    public const string DeployRegressions = "deploy_regressions";

    public static readonly TimeSpan DeployRegressionsLookback = TimeSpan.FromHours(3);

    /// <summary>1 when the target answered the health checks, 0 when it could not be read.</summary>
    public const string Reachable = "reachable";

    private static readonly AlertMetric[] FigureMetrics =
    [
        new(Reachable, "Target reachable (1 yes, 0 no)", ""),
        new(DeployRegressions, "Statements slower since a deployment (last 3 hours)", "statements"),
        new("blocked_sessions", "Sessions waiting on a lock", "sessions"),
        new("connections", "Connections", "connections"),
        new("connections_pct", "Connections, share of max_connections", "%"),
        new("idle_in_transaction", "Sessions idle in transaction over 5 minutes", "sessions"),
        new("idle_in_transaction_max_seconds", "Longest idle transaction", "s"),
        new("long_queries", "Queries running over 5 minutes", "queries"),
        new("cache_hit_pct", "Cache hit ratio", "%"),
        new("index_hit_pct", "Index hit rate", "%"),
        new("xid_age", "Oldest transaction id age", "transactions"),
        new("xid_age_pct", "Oldest transaction id age, share of 2^31", "%"),
    ];

    /// <summary>Every metric: the checks' verdicts first (by title), then the figures.</summary>
    public static IReadOnlyList<AlertMetric> All { get; } =
        [.. HealthChecks.Catalog.OrderBy(c => c.Title, StringComparer.Ordinal).Select(c => new AlertMetric(CheckPrefix + c.Key, c.Title, "verdict")), .. FigureMetrics];

    public static AlertMetric? Find(string key) => All.FirstOrDefault(m => m.Key == key);

    /// <summary>A target's observed values: each check's verdict as a number and each figure.</summary>
    public static Dictionary<string, double> ValuesOf(HealthReport report)
    {
        var values = report.Figures.ToDictionary(f => f.Key, f => f.Value);
        foreach (var check in report.Checks) values[CheckPrefix + check.Key] = (int)check.Status;
        return values;
    }

    /// <summary>"Blocked queries is FAIL", "Cache hit ratio &lt; 95 %".</summary>
    public static string Condition(string metric, string comparator, double threshold)
    {
        if (metric == Reachable && (comparator, threshold) is ("<", 1) or ("<=", 0)) return "The target cannot be read";
        var known = Find(metric);
        var label = known?.Label ?? metric;
        if (known?.IsCheck == true)
            return (comparator, threshold) switch
            {
                (">=", 2) or (">", 1) => $"{label} is FAIL",
                (">=", 1) or (">", 0) => $"{label} is WARN or FAIL",
                _ => $"{label} verdict {comparator} {threshold.ToString(CultureInfo.InvariantCulture)} (0 PASS, 1 WARN, 2 FAIL)",
            };
        return $"{label} {comparator} {Value(metric, threshold)}";
    }

    /// <summary>A value as the metric's unit reads.</summary>
    public static string Value(string metric, double? value)
    {
        if (value is not { } v) return "—";
        var known = Find(metric);
        if (known?.IsCheck == true) return v switch { >= 2 => "FAIL", >= 1 => "WARN", _ => "PASS" };
        var number = v.ToString(Math.Abs(v) >= 100 || v == Math.Floor(v) ? "N0" : "0.0", CultureInfo.InvariantCulture);
        return known?.Unit switch { "%" => $"{number} %", "s" => $"{number} s", null or "" => number, var unit => $"{number} {unit}" };
    }
}
