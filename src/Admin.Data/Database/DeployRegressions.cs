using System.Text.Json;
using Admin.Data.Session;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Database;

/// <summary>The "Monitoring:Regressions" settings: which events count, the windows and the thresholds of a regression.</summary>
public sealed class RegressionOptions
{
    public const string Section = "Monitoring:Regressions";

    /// <summary>The deployments' environment that gives markers and comparisons; empty or <c>*</c>: every environment.</summary>
    public string Environment { get; set; } = "production";

    /// <summary>Release deploys and rollbacks are events too (they change the content every environment serves).</summary>
    public bool IncludeReleases { get; set; } = true;

    public TimeSpan Before { get; set; } = TimeSpan.FromMinutes(60);
    public TimeSpan After { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Slower: the mean grew by at least this many percent …</summary>
    public double MeanPercent { get; set; } = 50;

    /// <summary>… and by at least this many milliseconds.</summary>
    public double MeanMs { get; set; } = 1;

    /// <summary>A statement is judged only with at least this many calls in each window (a new one: after the event).</summary>
    public long MinCalls { get; set; } = 10;

    /// <summary>More calls: calls per minute after at least this factor times those before.</summary>
    public double CallsFactor { get; set; } = 3;

    /// <summary>A statement new after the event is heavy from this total time in the after window.</summary>
    public double NewHeavyTotalMs { get; set; } = 100;

    /// <summary>Events evaluated per sampler run at most (the rest on the next runs).</summary>
    public int EvaluatePerRun { get; set; } = 50;

    /// <summary>How far back events are copied and evaluated (the sampler's retention: older windows have no samples).</summary>
    public TimeSpan Lookback { get; set; } = TimeSpan.FromDays(7);

    public string? EnvironmentFilter => string.IsNullOrWhiteSpace(Environment) || Environment.Trim() == "*" ? null : Environment.Trim();
}

public static class DeployEventKinds
{
    public const string Deployment = "deployment";
    public const string ReleaseDeploy = "release_deploy";
    public const string ReleaseRollback = "release_rollback";

    public static bool IsKnown(string? kind) => kind is Deployment or ReleaseDeploy or ReleaseRollback;
}

/// <summary>A finished deployment (with its environment, service, version, status) or a release deployed or rolled back (with its name).</summary>
public sealed record DeployEvent(string Kind, long Id, DateTimeOffset At, string? Environment, string? Service, string? Version, string? Name, string Status)
{
    /// <summary>"deployment #12 orders 1.4.2 → production (succeeded)", "release #5 “Spring” deployed".</summary>
    public string Label => Kind switch
    {
        DeployEventKinds.Deployment => $"Deployment #{Id} {Service} {Version} → {Environment} ({Status.Replace('_', ' ')})",
        DeployEventKinds.ReleaseDeploy => $"Release #{Id} “{Name}” deployed",
        _ => $"Release #{Id} “{Name}” rolled back",
    };

    /// <summary>The short marker text on a chart.</summary>
    public string Short => Kind == DeployEventKinds.Deployment ? $"#{Id} {Service} {Version}" : Kind == DeployEventKinds.ReleaseDeploy ? $"R{Id} deployed" : $"R{Id} rolled back";

    /// <summary>The address of the event in the address bar: <c>deployment:12</c>, <c>release_deploy:5</c>.</summary>
    public string Key => $"{Kind}:{Id}";
}

[Flags]
public enum RegressionReason { None = 0, Slower = 1, MoreCalls = 2, New = 4 }

/// <summary>One statement in the windows before and after an event.</summary>
public sealed record RegressionStatement(
    long QueryId, string Query, RegressionReason Reason, long BeforeCalls, double BeforeTotalMs, long AfterCalls, double AfterTotalMs,
    double BeforeMinutes, double AfterMinutes)
{
    public double BeforeMeanMs => BeforeCalls == 0 ? 0 : BeforeTotalMs / BeforeCalls;
    public double AfterMeanMs => AfterCalls == 0 ? 0 : AfterTotalMs / AfterCalls;
    public double MeanChangeMs => AfterMeanMs - BeforeMeanMs;
    public double? MeanChangePercent => BeforeCalls > 0 && BeforeMeanMs > 0 ? 100 * MeanChangeMs / BeforeMeanMs : null;
    public double BeforePerMinute => BeforeMinutes > 0 ? BeforeCalls / BeforeMinutes : 0;
    public double AfterPerMinute => AfterMinutes > 0 ? AfterCalls / AfterMinutes : 0;
    public double PerMinuteChange => AfterPerMinute - BeforePerMinute;
    public double? PerMinuteChangePercent => BeforeCalls > 0 && BeforePerMinute > 0 ? 100 * PerMinuteChange / BeforePerMinute : null;

    /// <summary>Time per minute the statement costs more after the event (what orders the list).</summary>
    public double CostChangePerMinute => (AfterMinutes > 0 ? AfterTotalMs / AfterMinutes : 0) - (BeforeMinutes > 0 ? BeforeTotalMs / BeforeMinutes : 0);
}

/// <summary>
/// An event's comparison: the windows (the after window clipped at the next event and at now, <see cref="ClippedBy"/>
/// says by what), the statements judged regressions and the heavy statements new after it.
/// </summary>
public sealed record RegressionReport(
    DeployEvent Event, TimeWindow Before, TimeWindow After, string? ClippedBy, bool Complete, int Compared,
    IReadOnlyList<RegressionStatement> Regressions, IReadOnlyList<RegressionStatement> NewHeavy, DateTimeOffset EvaluatedAt);

/// <summary>An event in the list: its counts once evaluated (null while its after window runs, or before the sampler got to it).</summary>
public sealed record RegressionSummary(DeployEvent Event, int? Regressions, int? NewHeavy, int? Compared, DateTimeOffset? AfterTo, string? ClippedBy);

/// <summary>
/// Deploy-aware regressions (issue 16): deployments and release deploys as markers on the Database area's charts, and
/// per event the statements whose mean time or calls per minute grew beyond the thresholds between the window before
/// it and the window after it (sums of the sampled deltas through <see cref="StatisticsWindows"/>). The sampler's
/// leader copies the events (<see cref="SyncEventsAsync"/>, as the System job: DBAs do not read deployments) and
/// evaluates each one once its after window has ended (<see cref="EvaluatePendingAsync"/>); the list and the alert
/// evaluator read those stored evaluations.
/// </summary>
public sealed class DeployRegressions(NpgsqlDataSource console, StatisticsWindows windows, RegressionOptions options)
{
    public RegressionOptions Options => options;

    /// <summary>Markers on one chart at most (a 7-day chart of a busy environment has hundreds of deployments).</summary>
    public const int MarkerLimit = 200;

    private const string EventColumns = "e.kind, e.source_id, e.at, e.environment, e.service, e.version, e.name, e.status";

    // The events that count: deployments of the configured environment (or all), release events when included.
    private const string EventFilter = "(e.kind = 'deployment' AND (@env::text IS NULL OR e.environment = @env)) OR (e.kind <> 'deployment' AND @releases)";

    private void AddFilter(NpgsqlCommand command)
    {
        command.Parameters.Add(new NpgsqlParameter("env", NpgsqlDbType.Text) { Value = (object?)options.EnvironmentFilter ?? DBNull.Value });
        command.Parameters.AddWithValue("releases", options.IncludeReleases);
    }

    /// <summary>
    /// Copies the finished deployments (succeeded, failed, rolled back) and the release deploys and rollbacks of the
    /// lookback into <c>monitoring_deploy_events</c> (new ones, and a changed status); removes older events and their
    /// evaluations. Runs as the System job. Returns the rows written.
    /// </summary>
    public async Task<int> SyncEventsAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        await using var connection = await SessionConnection.OpenAsync(console, SessionRoles.SystemJob("deploy-regressions"), ct);
        await using var command = new NpgsqlCommand("""
            WITH src AS (
                SELECT 'deployment' AS kind, id, finished_at AS at, environment, service, version, NULL::text AS name, status
                  FROM deployments
                 WHERE status IN ('succeeded', 'failed', 'rolled_back') AND finished_at >= @since
                   AND created_at >= @since - interval '7 days'
                UNION ALL
                SELECT 'release_deploy', id, deployed_at, NULL, NULL, NULL, name, status FROM releases WHERE deployed_at >= @since
                UNION ALL
                SELECT 'release_rollback', id, closed_at, NULL, NULL, NULL, name, status FROM releases
                 WHERE status = 'ROLLED_BACK' AND closed_at >= @since),
            up AS (
                INSERT INTO monitoring_deploy_events AS m (kind, source_id, at, environment, service, version, name, status)
                SELECT * FROM src
                ON CONFLICT (kind, source_id) DO UPDATE SET at = EXCLUDED.at, status = EXCLUDED.status, name = EXCLUDED.name
                 WHERE (m.at, m.status, m.name) IS DISTINCT FROM (EXCLUDED.at, EXCLUDED.status, EXCLUDED.name)
                RETURNING 1),
            gone AS (DELETE FROM monitoring_deploy_events WHERE at < @since RETURNING 1),
            gone_r AS (DELETE FROM monitoring_deploy_regressions WHERE at < @since RETURNING 1)
            SELECT (SELECT count(*) FROM up)::int
            """, connection);
        command.Parameters.AddWithValue("since", now - options.Lookback);
        return (int)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>The events in a chart's range, oldest first: the latest <paramref name="limit"/> when there are more.</summary>
    public async Task<IReadOnlyList<DeployEvent>> MarkersAsync(TimeWindow range, int limit = MarkerLimit, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"""
            SELECT * FROM (SELECT {EventColumns} FROM monitoring_deploy_events e
                            WHERE e.at >= @from AND e.at < @to AND ({EventFilter})
                            ORDER BY e.at DESC, e.kind DESC, e.source_id DESC LIMIT @limit) latest
             ORDER BY at, kind, source_id
            """);
        command.Parameters.AddWithValue("from", range.From);
        command.Parameters.AddWithValue("to", range.To);
        command.Parameters.AddWithValue("limit", limit);
        AddFilter(command);
        var list = new List<DeployEvent>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadEvent(r, 0));
        return list;
    }

    /// <summary>One event as the Database area knows it (copied by the sampler), or null.</summary>
    public async Task<DeployEvent?> EventAsync(string kind, long id, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"SELECT {EventColumns} FROM monitoring_deploy_events e WHERE e.kind = @kind AND e.source_id = @id");
        command.Parameters.AddWithValue("kind", kind);
        command.Parameters.AddWithValue("id", id);
        await using var r = await command.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadEvent(r, 0) : null;
    }

    /// <summary>The event's windows: before it, and after it up to the next counted event, now, or the configured length.</summary>
    public async Task<(TimeWindow Before, TimeWindow After, string? ClippedBy, bool Complete)> WindowsAsync(DeployEvent e, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"""
            SELECT {EventColumns} FROM monitoring_deploy_events e
             WHERE e.at > @at AND e.at < @until AND ({EventFilter})
             ORDER BY e.at, e.kind, e.source_id LIMIT 1
            """);
        command.Parameters.AddWithValue("at", e.At);
        command.Parameters.AddWithValue("until", e.At + options.After);
        AddFilter(command);
        DeployEvent? next = null;
        await using (var r = await command.ExecuteReaderAsync(ct))
            if (await r.ReadAsync(ct)) next = ReadEvent(r, 0);
        return Windows(e, next, now, options);
    }

    /// <summary>The windows of <paramref name="e"/> given the next event (pure, for tests).</summary>
    public static (TimeWindow Before, TimeWindow After, string? ClippedBy, bool Complete) Windows(DeployEvent e, DeployEvent? next, DateTimeOffset now, RegressionOptions options)
    {
        var before = new TimeWindow(e.At - options.Before, e.At);
        var end = e.At + options.After;
        string? clipped = null;
        if (next is not null && next.At < end)
        {
            end = next.At;
            clipped = $"the next event: {next.Label}";
        }
        if (now < end)
        {
            end = now < e.At ? e.At : now;
            clipped = "now (the after window is still running)";
        }
        return (before, new TimeWindow(e.At, end), clipped, end <= now && !(clipped?.StartsWith("now", StringComparison.Ordinal) ?? false));
    }

    /// <summary>Compares the windows around <paramref name="e"/> on a target now (with the statements' texts).</summary>
    public async Task<RegressionReport> EvaluateAsync(string target, DeployEvent e, DateTimeOffset now, CancellationToken ct = default)
    {
        var (before, after, clipped, complete) = await WindowsAsync(e, now, ct);
        if (after.Length <= TimeSpan.Zero)
            return new RegressionReport(e, before, after, clipped, complete, 0, [], [], now);
        var changes = await windows.AllChangesAsync(target, before, after, ct);
        var (regressions, added) = Judge(changes.Statements, before, after, options);
        var texts = await TextsAsync(target, regressions.Concat(added).Select(s => s.QueryId), ct);
        return new RegressionReport(e, before, after, clipped, complete, changes.TotalStatements,
            regressions.Select(s => s with { Query = Text(texts, s.QueryId) }).ToList(),
            added.Select(s => s with { Query = Text(texts, s.QueryId) }).ToList(), now);
    }

    /// <summary>Which statements are regressions and which are new heavy ones (pure: the thresholds of <paramref name="o"/>).</summary>
    public static (List<RegressionStatement> Regressions, List<RegressionStatement> NewHeavy) Judge(
        IEnumerable<StatementChange> changes, TimeWindow before, TimeWindow after, RegressionOptions o)
    {
        var bm = before.Length.TotalMinutes;
        var am = after.Length.TotalMinutes;
        var regressions = new List<RegressionStatement>();
        var added = new List<RegressionStatement>();
        foreach (var c in changes)
        {
            var s = new RegressionStatement(c.QueryId, c.Query, RegressionReason.None, c.BeforeCalls, c.BeforeTotalMs, c.AfterCalls, c.AfterTotalMs, bm, am);
            if (c.Kind == ChangeKind.New)
            {
                if (c.AfterCalls >= o.MinCalls && c.AfterTotalMs >= o.NewHeavyTotalMs) added.Add(s with { Reason = RegressionReason.New });
                continue;
            }
            if (c.Kind != ChangeKind.Both || c.BeforeCalls < o.MinCalls || c.AfterCalls < o.MinCalls) continue;
            var reason = RegressionReason.None;
            if (s.MeanChangePercent >= o.MeanPercent && s.MeanChangeMs >= o.MeanMs) reason |= RegressionReason.Slower;
            if (s.BeforePerMinute > 0 && s.AfterPerMinute >= s.BeforePerMinute * o.CallsFactor) reason |= RegressionReason.MoreCalls;
            if (reason != RegressionReason.None) regressions.Add(s with { Reason = reason });
        }
        regressions.Sort((a, b) => b.CostChangePerMinute.CompareTo(a.CostChangePerMinute));
        added.Sort((a, b) => b.AfterTotalMs.CompareTo(a.AfterTotalMs));
        return (regressions, added);
    }

    /// <summary>
    /// Evaluates the target's events whose after window has ended and that have no evaluation yet (oldest first, at
    /// most <see cref="RegressionOptions.EvaluatePerRun"/>) and stores them. Returns how many were stored.
    /// </summary>
    public async Task<int> EvaluatePendingAsync(string target, DateTimeOffset now, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"""
            SELECT {EventColumns} FROM monitoring_deploy_events e
             WHERE e.at >= @since AND e.at < @now AND ({EventFilter})
               AND NOT EXISTS (SELECT 1 FROM monitoring_deploy_regressions r WHERE r.target = @target AND r.kind = e.kind AND r.source_id = e.source_id)
             ORDER BY e.at, e.kind, e.source_id LIMIT @n
            """);
        command.Parameters.AddWithValue("since", now - options.Lookback);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("n", Math.Max(1, options.EvaluatePerRun));
        AddFilter(command);
        var pending = new List<DeployEvent>();
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct)) pending.Add(ReadEvent(r, 0));
        var stored = 0;
        foreach (var e in pending)
        {
            var report = await EvaluateAsync(target, e, now, ct);
            if (!report.Complete) break; // later events end even later
            await StoreAsync(target, report, ct);
            stored++;
        }
        return stored;
    }

    /// <summary>The sampler's step after each run: copy the events, then evaluate what has become due on every target.</summary>
    public async Task<int> RunAsync(IEnumerable<string> targets, DateTimeOffset now, CancellationToken ct = default)
    {
        await SyncEventsAsync(now, ct);
        var stored = 0;
        foreach (var target in targets) stored += await EvaluatePendingAsync(target, now, ct);
        return stored;
    }

    private async Task StoreAsync(string target, RegressionReport report, CancellationToken ct)
    {
        await using var command = console.CreateCommand("""
            INSERT INTO monitoring_deploy_regressions
                   (target, kind, source_id, at, before_from, after_to, clipped_by, regressions, new_heavy, compared, statements, evaluated_at)
            VALUES (@target, @kind, @id, @at, @before_from, @after_to, @clipped, @regressions, @new_heavy, @compared, @statements, @evaluated)
            ON CONFLICT (target, kind, source_id) DO NOTHING
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("kind", report.Event.Kind);
        command.Parameters.AddWithValue("id", report.Event.Id);
        command.Parameters.AddWithValue("at", report.Event.At);
        command.Parameters.AddWithValue("before_from", report.Before.From);
        command.Parameters.AddWithValue("after_to", report.After.To);
        command.Parameters.Add(new NpgsqlParameter("clipped", NpgsqlDbType.Text) { Value = (object?)report.ClippedBy ?? DBNull.Value });
        command.Parameters.AddWithValue("regressions", report.Regressions.Count);
        command.Parameters.AddWithValue("new_heavy", report.NewHeavy.Count);
        command.Parameters.AddWithValue("compared", report.Compared);
        var rows = report.Regressions.Concat(report.NewHeavy)
            .Select(s => new StoredStatement(s.QueryId, (int)s.Reason, s.BeforeCalls, s.BeforeTotalMs, s.AfterCalls, s.AfterTotalMs)).ToList();
        command.Parameters.Add(new NpgsqlParameter("statements", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(rows) });
        command.Parameters.AddWithValue("evaluated", report.EvaluatedAt);
        await command.ExecuteNonQueryAsync(ct);
    }

    private sealed record StoredStatement(long Q, int R, long Bc, double Bms, long Ac, double Ams);

    /// <summary>The events of a range (newest first) with their stored counts: the Regressions page's list.</summary>
    public async Task<IReadOnlyList<RegressionSummary>> ListAsync(string target, TimeWindow range, int limit = 1000, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"""
            SELECT {EventColumns}, r.regressions, r.new_heavy, r.compared, r.after_to, r.clipped_by
              FROM monitoring_deploy_events e
              LEFT JOIN monitoring_deploy_regressions r ON r.target = @target AND r.kind = e.kind AND r.source_id = e.source_id
             WHERE e.at >= @from AND e.at < @to AND ({EventFilter})
             ORDER BY e.at DESC, e.kind, e.source_id LIMIT @limit
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("from", range.From);
        command.Parameters.AddWithValue("to", range.To);
        command.Parameters.AddWithValue("limit", limit);
        AddFilter(command);
        var list = new List<RegressionSummary>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new RegressionSummary(ReadEvent(r, 0), r.IsDBNull(8) ? null : r.GetInt32(8), r.IsDBNull(9) ? null : r.GetInt32(9),
                r.IsDBNull(10) ? null : r.GetInt32(10), r.IsDBNull(11) ? null : r.GetFieldValue<DateTimeOffset>(11), r.IsDBNull(12) ? null : r.GetString(12)));
        return list;
    }

    /// <summary>
    /// For the alert evaluator: the stored evaluations of the events at or after <paramref name="from"/> and before
    /// <paramref name="to"/> on a target (oldest first), each with its regressions and new heavy statements (texts
    /// included). An event appears once its after window has ended and the sampler's leader has evaluated it (within a
    /// sampler interval or two); the same call returns the same evaluation every time (it is written once).
    /// </summary>
    public async Task<IReadOnlyList<RegressionReport>> RegressionsAsync(string target, DateTimeOffset from, DateTimeOffset to, CancellationToken ct = default)
    {
        await using var command = console.CreateCommand($"""
            SELECT {EventColumns}, r.before_from, r.after_to, r.clipped_by, r.compared, r.statements::text, r.evaluated_at
              FROM monitoring_deploy_regressions r
              JOIN monitoring_deploy_events e ON e.kind = r.kind AND e.source_id = r.source_id
             WHERE r.target = @target AND r.at >= @from AND r.at < @to
             ORDER BY r.at, r.kind, r.source_id
            """);
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        var rows = new List<(DeployEvent E, TimeWindow B, TimeWindow A, string? Clip, int Compared, List<StoredStatement> S, DateTimeOffset At)>();
        await using (var r = await command.ExecuteReaderAsync(ct))
            while (await r.ReadAsync(ct))
            {
                var e = ReadEvent(r, 0);
                rows.Add((e, new TimeWindow(r.GetFieldValue<DateTimeOffset>(8), e.At), new TimeWindow(e.At, r.GetFieldValue<DateTimeOffset>(9)),
                    r.IsDBNull(10) ? null : r.GetString(10), r.GetInt32(11), JsonSerializer.Deserialize<List<StoredStatement>>(r.GetString(12)) ?? [],
                    r.GetFieldValue<DateTimeOffset>(13)));
            }
        var texts = await TextsAsync(target, rows.SelectMany(x => x.S.Select(s => s.Q)), ct);
        return rows.Select(x =>
        {
            var all = x.S.Select(s => new RegressionStatement(s.Q, Text(texts, s.Q), (RegressionReason)s.R, s.Bc, s.Bms, s.Ac, s.Ams,
                x.B.Length.TotalMinutes, x.A.Length.TotalMinutes)).ToList();
            return new RegressionReport(x.E, x.B, x.A, x.Clip, true, x.Compared,
                all.Where(s => s.Reason != RegressionReason.New).ToList(), all.Where(s => s.Reason == RegressionReason.New).ToList(), x.At);
        }).ToList();
    }

    private async Task<Dictionary<long, string>> TextsAsync(string target, IEnumerable<long> ids, CancellationToken ct)
    {
        var array = ids.Distinct().ToArray();
        var texts = new Dictionary<long, string>();
        if (array.Length == 0) return texts;
        await using var command = console.CreateCommand("SELECT queryid, query FROM monitoring_statements WHERE target = @target AND queryid = ANY(@ids)");
        command.Parameters.AddWithValue("target", target);
        command.Parameters.AddWithValue("ids", array);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) texts[r.GetInt64(0)] = r.GetString(1);
        return texts;
    }

    private static string Text(Dictionary<long, string> texts, long id) => texts.TryGetValue(id, out var t) ? t : "(text no longer available)";

    private static DeployEvent ReadEvent(NpgsqlDataReader r, int i) => new(
        r.GetString(i), r.GetInt64(i + 1), r.GetFieldValue<DateTimeOffset>(i + 2), Str(r, i + 3), Str(r, i + 4), Str(r, i + 5), Str(r, i + 6), r.GetString(i + 7));

    private static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
