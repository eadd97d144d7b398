using Npgsql;

namespace Admin.Data.Database;

/// <summary>One server process of pg_stat_activity, with what it waits for and who blocks it.</summary>
public sealed record BackendSession(
    int Pid,
    string? User,
    string? Application,
    string? Client,
    string? Database,
    string? State,
    string? WaitEventType,
    string? WaitEvent,
    DateTimeOffset? QueryStart,
    DateTimeOffset? TransactionStart,
    TimeSpan? Duration,
    string Query,
    string? BackendType,
    IReadOnlyList<int> BlockedBy,
    string? WaitingLockMode,
    string? WaitingLockOn)
{
    public bool IsClient => BackendType == "client backend";
    public bool IsWaitingForLock => BlockedBy.Count > 0;
}

/// <summary>A session in the blocked-by tree: the sessions it blocks are its children.</summary>
public sealed record BlockingNode(BackendSession Session, IReadOnlyList<BlockingNode> Children)
{
    public int Descendants => Children.Sum(c => 1 + c.Descendants);
}

public sealed record CountBy(string Key, int Count);

/// <summary>What pg_stat_activity of a target shows at one moment.</summary>
public sealed record ActivitySnapshot(
    DateTimeOffset TakenAt,
    int OwnPid,
    int MaxConnections,
    IReadOnlyList<BackendSession> Sessions)
{
    /// <summary>Client connections (what max_connections limits); background workers are left out.</summary>
    public IReadOnlyList<BackendSession> Clients => Sessions.Where(s => s.IsClient).ToList();
    public int Total => Clients.Count;
    public int Active => Clients.Count(s => s.State == "active");
    public int Idle => Clients.Count(s => s.State == "idle");
    public int IdleInTransaction => Clients.Count(s => s.State is "idle in transaction" or "idle in transaction (aborted)");
    public int Waiting => Clients.Count(s => s.IsWaitingForLock);

    public IReadOnlyList<CountBy> ByState => Group(s => s.State ?? "(unknown)");
    public IReadOnlyList<CountBy> ByUser => Group(s => s.User ?? "(none)");
    public IReadOnlyList<CountBy> ByApplication => Group(s => string.IsNullOrEmpty(s.Application) ? "(none)" : s.Application);

    /// <summary>Sessions doing something (not idle), the monitoring query itself left out, longest first.</summary>
    public IReadOnlyList<BackendSession> Running => Sessions
        .Where(s => s.Pid != OwnPid && s.State is not null && s.State != "idle")
        .OrderByDescending(s => s.Duration ?? TimeSpan.Zero).ThenBy(s => s.Pid).ToList();

    /// <summary>
    /// Roots are sessions that block others and wait for nobody; children are the sessions they block, recursively.
    /// A session blocked by several appears under each of them.
    /// </summary>
    public IReadOnlyList<BlockingNode> BlockingTree
    {
        get
        {
            var byPid = Sessions.ToDictionary(s => s.Pid);
            var blockedBy = Sessions.Where(s => s.BlockedBy.Count > 0)
                .SelectMany(s => s.BlockedBy.Select(b => (Blocker: b, Blocked: s)))
                .ToLookup(p => p.Blocker, p => p.Blocked);
            var rootPids = blockedBy.Select(g => g.Key)
                .Where(pid => !byPid.TryGetValue(pid, out var s) || s.BlockedBy.Count == 0)
                .Order();
            return rootPids.Select(pid => Build(pid, [])).ToList();

            BlockingNode Build(int pid, HashSet<int> path)
            {
                var session = byPid.TryGetValue(pid, out var s) ? s : Unknown(pid);
                path = [.. path, pid];
                var children = blockedBy[pid].Where(c => !path.Contains(c.Pid)).OrderBy(c => c.Pid)
                    .Select(c => Build(c.Pid, path)).ToList();
                return new BlockingNode(session, children);
            }
        }
    }

    private static BackendSession Unknown(int pid) =>
        new(pid, null, null, null, null, null, null, null, null, null, null, "(not visible)", null, [], null, null);

    private IReadOnlyList<CountBy> Group(Func<BackendSession, string> key) => Clients
        .GroupBy(key).Select(g => new CountBy(g.Key, g.Count()))
        .OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).ToList();
}

public enum SignalOutcome { Done, NotFound, OwnConnection, NotPermitted, NotDone }

/// <summary>What a cancel or terminate did, in words a DBA can act on.</summary>
public sealed record SignalResult(SignalOutcome Outcome, string Message, BackendSession? Target)
{
    public bool Succeeded => Outcome == SignalOutcome.Done;
}

/// <summary>
/// Connections, running queries and lock waits of a monitoring target (pg_stat_activity, pg_blocking_pids, pg_locks),
/// and cancel/terminate of a backend. Reading needs pg_monitor; signalling other roles' backends needs
/// pg_signal_backend, and PostgreSQL never lets a non-superuser signal a superuser's backend.
/// </summary>
public static class ActivityStats
{
    public const int QueryTextLimit = 2048;

    private const string SessionColumns = $"""
        a.pid, a.usename::text, a.application_name,
        CASE WHEN a.client_addr IS NULL THEN NULL ELSE host(a.client_addr) || ':' || a.client_port END,
        a.datname::text, a.state, a.wait_event_type, a.wait_event, a.query_start, a.xact_start,
        CASE WHEN a.state = 'active' THEN clock_timestamp() - a.query_start
             WHEN a.state LIKE 'idle in transaction%' THEN clock_timestamp() - a.xact_start END,
        left(coalesce(a.query, ''), 2048), a.backend_type
        """;

    // One query: every session, whom it waits for (only sessions waiting on a lock are asked: pg_blocking_pids is
    // not free) and the lock it waits for, plus the settings the summary needs.
    private const string SnapshotSql = $"""
        SELECT {SessionColumns},
               CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) ELSE '{"{}"}'::int[] END,
               w.mode, w.target,
               current_setting('max_connections')::int, pg_backend_pid(), clock_timestamp()
        FROM pg_stat_activity a
        LEFT JOIN LATERAL (
            SELECT l.mode,
                   CASE WHEN l.relation IS NOT NULL THEN coalesce(
                            (SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = l.relation),
                            'relation ' || l.relation::text)
                        WHEN l.transactionid IS NOT NULL THEN 'transaction ' || l.transactionid::text
                        ELSE l.locktype END AS target
            FROM pg_locks l
            WHERE l.pid = a.pid AND NOT l.granted
            LIMIT 1) w ON a.wait_event_type = 'Lock'
        ORDER BY a.pid
        """;

    public static async Task<ActivitySnapshot> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(SnapshotSql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var sessions = new List<BackendSession>();
        int maxConnections = 0, ownPid = 0;
        var takenAt = DateTimeOffset.UtcNow;
        while (await reader.ReadAsync(ct))
        {
            sessions.Add(ReadSession(reader) with
            {
                BlockedBy = reader.IsDBNull(13) ? [] : reader.GetFieldValue<int[]>(13),
                WaitingLockMode = Text(reader, 14),
                WaitingLockOn = Text(reader, 15),
            });
            maxConnections = reader.GetInt32(16);
            ownPid = reader.GetInt32(17);
            takenAt = reader.GetFieldValue<DateTimeOffset>(18);
        }
        return new ActivitySnapshot(takenAt, ownPid, maxConnections, sessions);
    }

    /// <summary>Cancels the running query of a backend (pg_cancel_backend); the session stays connected.</summary>
    public static Task<SignalResult> CancelAsync(NpgsqlDataSource dataSource, int pid, CancellationToken ct = default) =>
        SignalAsync(dataSource, pid, terminate: false, ct);

    /// <summary>Ends a backend (pg_terminate_backend), waiting up to 5 s for it to exit.</summary>
    public static Task<SignalResult> TerminateAsync(NpgsqlDataSource dataSource, int pid, CancellationToken ct = default) =>
        SignalAsync(dataSource, pid, terminate: true, ct);

    private static async Task<SignalResult> SignalAsync(NpgsqlDataSource dataSource, int pid, bool terminate, CancellationToken ct)
    {
        var verb = terminate ? "terminate" : "cancel";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        BackendSession? target = null;
        int ownPid;
        bool targetIsSuperuser = false;
        await using (var look = new NpgsqlCommand($"""
            SELECT pg_backend_pid(), t.*
            FROM (SELECT 1) one
            LEFT JOIN (SELECT {SessionColumns}, coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)
                       FROM pg_stat_activity a WHERE a.pid = @pid) t ON true
            """, connection))
        {
            look.Parameters.AddWithValue("pid", pid);
            await using var reader = await look.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            ownPid = reader.GetInt32(0);
            if (!reader.IsDBNull(1))
            {
                target = ReadSession(reader, offset: 1);
                targetIsSuperuser = reader.GetBoolean(14);
            }
        }

        var ownApplication = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).ApplicationName;
        if (pid == ownPid || (ownApplication is { Length: > 0 } && target?.Application == ownApplication))
            return new(SignalOutcome.OwnConnection,
                $"Process {pid} is one of the console's own monitoring connections; it is not signalled.", target);
        if (target is null)
            return new(SignalOutcome.NotFound, $"There is no process {pid} any more (it may have ended already).", null);
        if (targetIsSuperuser)
            return new(SignalOutcome.NotPermitted,
                $"Process {pid} belongs to superuser {target.User}. PostgreSQL never lets a role that is not a superuser {verb} a superuser's session; do it as a superuser (psql).",
                target);

        try
        {
            await using var signal = new NpgsqlCommand(
                terminate ? "SELECT pg_terminate_backend(@pid, 5000)" : "SELECT pg_cancel_backend(@pid)", connection);
            signal.Parameters.AddWithValue("pid", pid);
            var done = (bool)(await signal.ExecuteScalarAsync(ct))!;
            return done
                ? new(SignalOutcome.Done, terminate
                    ? $"Session {pid} ({target.User}) was terminated."
                    : $"The query of session {pid} ({target.User}) was cancelled.", target)
                : new(SignalOutcome.NotDone, terminate
                    ? $"Session {pid} was signalled but had not ended after 5 seconds."
                    : $"Session {pid} could not be signalled (it may have ended already).", target);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return new(SignalOutcome.NotPermitted,
                $"PostgreSQL refused to {verb} process {pid} of {target.User}: {e.MessageText}. The monitoring role needs pg_signal_backend (GRANT pg_signal_backend TO <role>), and no role but a superuser may signal a superuser's session.",
                target);
        }
    }

    /// <summary>Application names of the console's own connections (monitoring, EXPLAIN, sampler leader, listener, deploy API).</summary>
    public const string ConsoleApplicationPrefix = "admin-";

    // What "kill all queries running longer than N" may reach: client sessions running a statement in the target's
    // database for at least N, never the console's own (its login role, its application names, this very connection),
    // never walsenders, autovacuum or background workers (not client backends).
    private const string LongRunningFilter = $"""
        a.backend_type = 'client backend' AND a.state = 'active' AND a.pid <> pg_backend_pid()
        AND a.datname = current_database()
        AND a.usename IS DISTINCT FROM current_user
        AND coalesce(a.application_name, '') NOT LIKE '{ConsoleApplicationPrefix}%'
        AND clock_timestamp() - a.query_start >= @longer_than
        """;

    /// <summary>The sessions "kill all queries running longer than <paramref name="longerThan"/>" would signal, longest first.</summary>
    public static async Task<IReadOnlyList<BackendSession>> LongRunningAsync(NpgsqlDataSource dataSource, TimeSpan longerThan, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {SessionColumns} FROM pg_stat_activity a
            WHERE {LongRunningFilter}
            ORDER BY a.query_start, a.pid
            """);
        command.Parameters.AddWithValue("longer_than", longerThan);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<BackendSession>();
        while (await reader.ReadAsync(ct)) rows.Add(ReadSession(reader));
        return rows;
    }

    /// <summary>
    /// Signals each of the <paramref name="shown"/> sessions that still matches at this moment: same pid, the same statement
    /// (its query_start), still running and still longer than <paramref name="longerThan"/>; the check and the signal are
    /// one statement per session. A session that ended or moved on is <see cref="SignalOutcome.NotFound"/> ("already gone").
    /// </summary>
    public static async Task<IReadOnlyList<SignalResult>> SignalLongRunningAsync(NpgsqlDataSource dataSource, IReadOnlyList<BackendSession> shown,
        TimeSpan longerThan, bool terminate, CancellationToken ct = default)
    {
        var verb = terminate ? "terminate" : "cancel";
        var results = new List<SignalResult>();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        foreach (var session in shown)
        {
            if (session.QueryStart is not { } queryStart)
            {
                results.Add(new(SignalOutcome.NotFound, $"Session {session.Pid} runs no statement.", session));
                continue;
            }
            await using var command = new NpgsqlCommand($"""
                SELECT {SessionColumns}, coalesce(r.rolsuper, false),
                       CASE WHEN coalesce(r.rolsuper, false) THEN NULL
                            WHEN @terminate THEN pg_terminate_backend(a.pid, 5000) ELSE pg_cancel_backend(a.pid) END
                FROM pg_stat_activity a LEFT JOIN pg_roles r ON r.oid = a.usesysid
                WHERE {LongRunningFilter} AND a.pid = @pid AND a.query_start = @query_start
                """, connection);
            command.Parameters.AddWithValue("longer_than", longerThan);
            command.Parameters.AddWithValue("terminate", terminate);
            command.Parameters.AddWithValue("pid", session.Pid);
            command.Parameters.AddWithValue("query_start", queryStart.ToUniversalTime());
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                if (!await reader.ReadAsync(ct))
                {
                    results.Add(new(SignalOutcome.NotFound,
                        $"Session {session.Pid} was already gone (it ended, or finished that statement) and was not signalled.", session));
                    continue;
                }
                var now = ReadSession(reader);
                if (reader.GetBoolean(13))
                    results.Add(new(SignalOutcome.NotPermitted,
                        $"Session {session.Pid} belongs to superuser {now.User}; only a superuser may {verb} it (psql).", now));
                else if (reader.GetBoolean(14))
                    results.Add(new(SignalOutcome.Done, terminate
                        ? $"Session {session.Pid} ({now.User}) was terminated."
                        : $"The query of session {session.Pid} ({now.User}) was cancelled.", now));
                else
                    results.Add(new(SignalOutcome.NotDone, terminate
                        ? $"Session {session.Pid} was signalled but had not ended after 5 seconds."
                        : $"Session {session.Pid} could not be signalled (it may have ended already).", now));
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                results.Add(new(SignalOutcome.NotPermitted,
                    $"PostgreSQL refused to {verb} session {session.Pid} of {session.User}: {e.MessageText}. The monitoring role needs pg_signal_backend.", session));
            }
        }
        return results;
    }

    private static BackendSession ReadSession(NpgsqlDataReader r, int offset = 0) => new(
        r.GetInt32(offset),
        Text(r, offset + 1), Text(r, offset + 2), Text(r, offset + 3), Text(r, offset + 4), Text(r, offset + 5),
        Text(r, offset + 6), Text(r, offset + 7),
        r.IsDBNull(offset + 8) ? null : r.GetFieldValue<DateTimeOffset>(offset + 8),
        r.IsDBNull(offset + 9) ? null : r.GetFieldValue<DateTimeOffset>(offset + 9),
        r.IsDBNull(offset + 10) ? null : r.GetTimeSpan(offset + 10),
        r.GetString(offset + 11), Text(r, offset + 12), [], null, null);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
