using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>The Replication page's state: one target's replication snapshot, and the words and marks for its figures.</summary>
public sealed class ReplicationState(DatabaseReplication replication)
{
    public ReplicationSnapshot? Snapshot { get; private set; }
    public string? Problem { get; private set; }
    public string? LoadedTarget { get; private set; }
    public bool Loading => Snapshot is null && Problem is null;

    public async Task LoadAsync(string? target, CancellationToken ct = default)
    {
        if (LoadedTarget != target) { Snapshot = null; Problem = null; }
        LoadedTarget = target;
        var read = await replication.LoadAsync(target, ct);
        Problem = read.Problem;
        if (read.Value is { } s) Snapshot = s;
    }

    /// <summary>The sentence for a server with nothing to show, naming why a standby could not connect if it is so.</summary>
    public static string NoReplicationText(ReplicationSnapshot s) =>
        s.WalLevel == "minimal" || s.MaxWalSenders == 0
            ? $"This server has no replication and cannot have any as configured (wal_level = {s.WalLevel}, max_wal_senders = {s.MaxWalSenders})."
            : "This server has no replication: it is not a standby, no standby streams from it and it has no replication slot.";

    public static string Bytes(long? bytes) => bytes switch
    {
        null => "—",
        < 0 => "0",
        { } b => TablesState.FormatBytes(b),
    };

    public static string Lag(TimeSpan? lag) => lag switch
    {
        null => "—",
        { TotalMilliseconds: < 1000 } l => $"{l.TotalMilliseconds:0} ms",
        { } l => ActivityState.FormatDuration(l),
    };

    /// <summary>Lag from 10 s (or 16 MB, one WAL segment) is worth a look, from 5 min (or 1 GB) it is bad.</summary>
    public static string LagClass(TimeSpan? lag, long? bytes) =>
        lag >= TimeSpan.FromMinutes(5) || bytes >= 1L << 30 ? "db-dead-bad"
        : lag >= TimeSpan.FromSeconds(10) || bytes >= 16L << 20 ? "db-dead-warn"
        : "";

    public static string StateText(StandbyStat s) => s.State ?? "unknown";

    public static string SyncText(StandbyStat s) => s.SyncState switch
    {
        "async" => "async",
        "sync" => "sync (commits wait for it)",
        "potential" => "potential sync",
        "quorum" => "quorum",
        { } other => other,
        null => "—",
    };

    public static string ConcernLabel(SlotConcern c) => c switch
    {
        SlotConcern.Lost => "WAL lost",
        SlotConcern.Unreserved => "WAL unreserved",
        SlotConcern.Inactive => "inactive",
        SlotConcern.Extended => "over max_wal_size",
        _ => "active",
    };

    public static string ConcernClass(SlotConcern c) => c switch
    {
        SlotConcern.Lost or SlotConcern.Unreserved => "db-badge fail",
        SlotConcern.Inactive or SlotConcern.Extended => "db-badge warn",
        _ => "db-badge",
    };

    /// <summary>max_slot_wal_keep_size in words: -1 means a slot may keep WAL until the disk is full.</summary>
    public static string KeepSizeText(ReplicationSnapshot s) =>
        s.MaxSlotWalKeepSizeBytes is null ? "unlimited (-1: a slot may keep WAL until the disk is full)" : s.MaxSlotWalKeepSize;

    /// <summary>The standby's replay delay, or why it grows without the standby being behind.</summary>
    public static string ReplayDelayText(WalReceiverStat r) => r switch
    {
        { LastReplayedTransaction: null } => "no transaction replayed since this standby started",
        { CaughtUp: true } => $"{Lag(r.ReplayDelay)} since the last replayed transaction: everything received is replayed, so this is no activity on the primary, not lag",
        _ => $"{Lag(r.ReplayDelay)} behind: the last replayed transaction committed on the primary that long ago",
    };
}
