using System.Globalization;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>The result of <see cref="PreDeployChecks.RunAsync"/>: each check, and FAIL overall when any check FAILs.</summary>
public sealed record PreDeployReport(string Target, DateTimeOffset CheckedAt, IReadOnlyList<PreDeployCheck> Checks)
{
    public CheckStatus Overall =>
        Checks.Any(c => c.Status == CheckStatus.Fail) ? CheckStatus.Fail
        : Checks.Any(c => c.Status == CheckStatus.Warn) ? CheckStatus.Warn : CheckStatus.Pass;

    public bool Passed => Overall != CheckStatus.Fail;

    public PreDeployCheck this[string key] => Checks.Single(c => c.Key == key);
}

public sealed record PreDeployCheck(string Key, string Title, CheckStatus Status, string Figure, string Threshold);

/// <summary>
/// The pre-deployment checklist (seed 001): run it before applying a migration; deploy only when no check FAILs.
/// <list type="bullet">
/// <item><c>connections</c>: client connections under 80 % of max_connections (WARN from 70 %).</item>
/// <item><c>long-queries</c>: no query running over 5 minutes.</item>
/// <item><c>blocking-locks</c>: no session waiting on another's lock.</item>
/// <item><c>cache-hit</c>: buffer cache hit ratio over 95 % (WARN under 99 %).</item>
/// <item><c>invalid-indexes</c>: no invalid index.</item>
/// </list>
/// One round trip; needs only pg_monitor. An unreachable target throws (NpgsqlException): treat that as a FAIL.
/// </summary>
public sealed class PreDeployChecks(MonitoringTargets targets)
{
    private const string Sql = """
        SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
               current_setting('max_connections')::int,
               (SELECT count(*) FROM pg_stat_activity
                 WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()
                   AND now() - query_start > interval '5 minutes'),
               (SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0),
               (SELECT 100.0 * sum(blks_hit) / nullif(sum(blks_hit) + sum(blks_read), 0)
                  FROM pg_stat_database WHERE datname = current_database())::float8,
               (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
        """;

    /// <summary>Runs the checklist against the named monitoring target (the console's own database when null/unknown).</summary>
    public async Task<PreDeployReport> RunAsync(string? target, CancellationToken ct = default)
    {
        var t = targets.Get(target);
        await using var command = t.DataSource.CreateCommand(Sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        long connections = reader.GetInt64(0); int max = reader.GetInt32(1);
        long longQueries = reader.GetInt64(2), blocked = reader.GetInt64(3), invalid = reader.GetInt64(5);
        double? cache = reader.IsDBNull(4) ? null : reader.GetDouble(4);
        var connPct = 100.0 * connections / Math.Max(1, max);
        return new PreDeployReport(t.Name, DateTimeOffset.UtcNow,
        [
            new("connections", "Active connections under 80 % of max",
                connPct >= 80 ? CheckStatus.Fail : connPct >= 70 ? CheckStatus.Warn : CheckStatus.Pass,
                $"{connections} / {max} ({connPct:0} %)", "FAIL ≥ 80 %, WARN ≥ 70 %"),
            new("long-queries", "No query over 5 minutes", longQueries > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                longQueries.ToString(CultureInfo.InvariantCulture), "FAIL: any"),
            new("blocking-locks", "No blocking locks", blocked > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                $"{blocked} blocked", "FAIL: any session waiting on a lock"),
            new("cache-hit", "Cache hit over 95 %",
                cache is { } c ? (c < 95 ? CheckStatus.Fail : c < 99 ? CheckStatus.Warn : CheckStatus.Pass) : CheckStatus.Pass,
                cache is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " %" : "no reads yet", "FAIL < 95 %, WARN < 99 %"),
            new("invalid-indexes", "No invalid indexes", invalid > 0 ? CheckStatus.Fail : CheckStatus.Pass,
                invalid.ToString(CultureInfo.InvariantCulture), "FAIL: any"),
        ]);
    }
}
