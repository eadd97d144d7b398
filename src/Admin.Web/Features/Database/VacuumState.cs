using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Vacuum page's state: a target's <see cref="VacuumReport"/>, and the words for each row: why a table is not
/// vacuumed, what to do about each xmin horizon holder and each bloated relation, how far wraparound is.
/// </summary>
public sealed class VacuumState(DatabaseActivity activity)
{
    /// <summary>Below either, rewriting a relation is not worth its lock or its I/O: VACUUM reuses the space.</summary>
    public const long WorthBytes = 100L << 20;
    public const double WorthPercent = 30;

    public VacuumReport? Report { get; private set; }
    public string? Problem { get; private set; }
    public string? LoadedTarget { get; private set; }
    public bool Loading => Report is null && Problem is null;

    public async Task LoadAsync(string? target, CancellationToken ct = default)
    {
        if (LoadedTarget != target) { Report = null; Problem = null; }
        LoadedTarget = target;
        var read = await activity.LoadVacuumAsync(target, ct);
        Problem = read.Problem;
        if (read.Value is { } r) Report = r;
    }

    public static bool Worth(BloatEstimate b) => b.WastedBytes >= WorthBytes && b.WastedPercent >= WorthPercent;

    /// <summary>What to do about an estimated bloat, or why to leave it.</summary>
    public static string BloatAdvice(BloatEstimate b)
    {
        if (b.Unreliable) return "Estimate unreliable: some columns have no statistics (ANALYZE it, or the monitoring role may not read them).";
        if (!Worth(b))
            return $"Leave it: under {WorthBytes >> 20} MB or {WorthPercent:0} % wasted, VACUUM reuses the space and a rewrite gains little.";
        return b.Index is null
            ? $"Rewrite it: pg_repack -t {b.QualifiedTable} (online, needs the extension), or VACUUM FULL {b.QualifiedTable}; (locks out reads and writes while it runs)."
            : $"REINDEX INDEX CONCURRENTLY {b.Schema}.{b.Index}; (builds a new copy alongside, then swaps; needs the free space of one copy).";
    }

    /// <summary>Why vacuum has not caught up with a table.</summary>
    public static string LaggingReason(LaggingTable t, VacuumReport report)
    {
        if (t.VacuumingPid is { } pid) return $"Being vacuumed now (process {pid}): see Vacuum in progress.";
        if (!t.AutovacuumEnabled) return "autovacuum_enabled = off on this table: autovacuum never visits it; run VACUUM yourself or turn it back on.";
        if (!report.AutovacuumOn) return "autovacuum is off on this server: nothing vacuums tables unless someone runs VACUUM.";
        if (report.Horizon is { } h && t.LastVacuumAny is { } last && (h.Since is null || h.Since < last))
            return $"The xmin horizon: vacuum ran at {last.UtcDateTime:yyyy-MM-dd HH:mm} UTC but may not remove rows that {Describe(h)} may still see. End that holder first.";
        return $"Waiting for an autovacuum worker: {report.AutovacuumMaxWorkers} workers (autovacuum_max_workers) are shared by every table, and a large table ahead in line holds one for long.";
    }

    /// <summary>A holder in a few words: "session 1234 (idle in transaction)", "prepared transaction 'x'".</summary>
    public static string Describe(HorizonHolder h) => h.Kind switch
    {
        HorizonHolderKind.Session => $"session {h.Pid} ({h.State ?? "unknown state"})",
        HorizonHolderKind.PreparedTransaction => $"prepared transaction '{h.Name}'",
        HorizonHolderKind.ReplicationSlot => $"replication slot {h.Name}",
        _ => $"standby {h.Name} (hot_standby_feedback)",
    };

    public static string KindText(HorizonHolderKind kind) => kind switch
    {
        HorizonHolderKind.Session => "Session",
        HorizonHolderKind.PreparedTransaction => "Prepared transaction",
        HorizonHolderKind.ReplicationSlot => "Replication slot",
        _ => "Standby feedback",
    };

    /// <summary>What to do about a holder (statements are shown, never run).</summary>
    public static string HolderAdvice(HorizonHolder h) => h.Kind switch
    {
        HorizonHolderKind.Session when h.State?.StartsWith("idle in transaction", StringComparison.Ordinal) == true =>
            "The application left a transaction open: terminate the session on the Activity page, and set idle_in_transaction_session_timeout.",
        HorizonHolderKind.Session =>
            "A long statement or transaction: cancel its query or terminate the session on the Activity page.",
        HorizonHolderKind.PreparedTransaction =>
            $"Finish it in database {h.Database}, as {h.User} or a superuser, once the transaction manager that prepared it is known: COMMIT PREPARED '{h.Name.Replace("'", "''")}'; or ROLLBACK PREPARED '{h.Name.Replace("'", "''")}';",
        HorizonHolderKind.ReplicationSlot when !h.Active =>
            $"Nothing consumes this slot now. If nothing will again: SELECT pg_drop_replication_slot('{h.Name.Replace("'", "''")}');",
        HorizonHolderKind.ReplicationSlot =>
            $"Its consumer (process {h.Pid}) is behind: look at the subscriber or decoding client; dropping an active slot needs it stopped first.",
        _ => "A query on the standby holds it through hot_standby_feedback: end that query on the standby, or turn hot_standby_feedback off there (queries may then be cancelled by replay).",
    };

    /// <summary>Holders the Activity page can signal (sessions of the target).</summary>
    public static bool OnActivityPage(HorizonHolder h) => h.Kind == HorizonHolderKind.Session && h.Pid is not null;

    public static string Xids(long xids) => xids switch
    {
        >= 1_000_000_000 => $"{xids / 1e9:0.##} billion",
        >= 1_000_000 => $"{xids / 1e6:0.#} million",
        _ => xids.ToString("N0"),
    };

    public static string Percent(long age, long of) => $"{100.0 * age / Math.Max(1, of):0.#} %";

    public static string AgeClass(long age, long freezeMaxAge) =>
        age > VacuumReport.WraparoundLimit / 2 ? "db-bad" : age > freezeMaxAge ? "db-warn" : "";

    public static string Since(DateTimeOffset? since, DateTimeOffset now) =>
        since is { } s ? ActivityState.FormatDuration(now - s) : "—";
}
