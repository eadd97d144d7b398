using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// One standby (or pg_basebackup / pg_receivewal client) streaming from this server (pg_stat_replication). LSNs as
/// PostgreSQL prints them; "behind" figures are bytes between the server's current WAL position and the standby's
/// sent/write/flush/replay position; lags are PostgreSQL's own measurements (null while nothing was sent recently).
/// </summary>
public sealed record StandbyStat(
    int Pid,
    string? User,
    string ApplicationName,
    string? ClientAddress,
    string? ClientHostname,
    DateTimeOffset? BackendStart,
    string? State,
    string? SyncState,
    string? SentLsn,
    string? WriteLsn,
    string? FlushLsn,
    string? ReplayLsn,
    TimeSpan? WriteLag,
    TimeSpan? FlushLag,
    TimeSpan? ReplayLag,
    long? SentBehindBytes,
    long? WriteBehindBytes,
    long? FlushBehindBytes,
    long? ReplayBehindBytes,
    DateTimeOffset? ReplyTime);

/// <summary>What a slot needs attention for, and what to do about it.</summary>
public enum SlotConcern
{
    None,
    /// <summary>Retains more WAL than max_wal_size (wal_status "extended"): watch it.</summary>
    Extended,
    /// <summary>No consumer connected: it keeps WAL (and with xmin, dead rows) until it is used again or dropped.</summary>
    Inactive,
    /// <summary>Past max_slot_wal_keep_size: the WAL it needs goes at the next checkpoint unless the consumer catches up.</summary>
    Unreserved,
    /// <summary>WAL the consumer needs is already gone: the slot cannot be used again.</summary>
    Lost,
}

/// <summary>One replication slot (pg_replication_slots) with the WAL it holds back on this server.</summary>
public sealed record SlotStat(
    string Name,
    string SlotType,
    string? Plugin,
    string? Database,
    bool Temporary,
    bool Active,
    int? ActivePid,
    DateTimeOffset? ActiveSince,
    string? ActiveClient,
    string? RestartLsn,
    string? ConfirmedFlushLsn,
    long? RetainedBytes,
    string? WalStatus,
    long? SafeWalSizeBytes,
    string? Xmin,
    string? CatalogXmin)
{
    public SlotConcern Concern => WalStatus switch
    {
        "lost" => SlotConcern.Lost,
        "unreserved" => SlotConcern.Unreserved,
        _ when !Active => SlotConcern.Inactive,
        "extended" => SlotConcern.Extended,
        _ => SlotConcern.None,
    };

    /// <summary>What the DBA should do about <see cref="Concern"/>, naming the slot; null when nothing is wrong.</summary>
    public string? Advice => Concern switch
    {
        SlotConcern.Lost =>
            $"The WAL this slot needs was removed: its consumer cannot resume from it. Drop it (SELECT pg_drop_replication_slot('{Name}')) and rebuild the consumer (a new pg_basebackup for a standby, a new subscription for logical replication).",
        SlotConcern.Unreserved =>
            $"Past max_slot_wal_keep_size: the WAL it needs is removed at the next checkpoint unless its consumer catches up now. Check the consumer; if it cannot catch up, drop the slot (SELECT pg_drop_replication_slot('{Name}')).",
        SlotConcern.Inactive =>
            $"No consumer is connected: the slot keeps every WAL segment from its restart point{(Xmin is not null || CatalogXmin is not null ? " and stops vacuum from removing rows newer than its xmin" : "")}. Check the consumer (is the standby or subscriber down?); if it is gone for good, drop the slot (SELECT pg_drop_replication_slot('{Name}')).",
        SlotConcern.Extended =>
            "Retains more WAL than max_wal_size: its consumer is falling behind. Check the consumer.",
        _ => null,
    };
}

/// <summary>A standby's view of its upstream (pg_stat_wal_receiver) and how far replay is.</summary>
public sealed record WalReceiverStat(
    string? Status,
    string? SenderHost,
    int? SenderPort,
    string? SlotName,
    string? FlushedLsn,
    DateTimeOffset? LastMessageReceipt,
    string? ReceiveLsn,
    string? ReplayLsn,
    long? ReplayBehindBytes,
    DateTimeOffset? LastReplayedTransaction,
    TimeSpan? ReplayDelay,
    bool ReplayPaused)
{
    /// <summary>Everything received is replayed: a growing replay delay then means the primary wrote nothing since.</summary>
    public bool CaughtUp => ReceiveLsn is not null && ReceiveLsn == ReplayLsn;
}

/// <summary>Replication as one server sees it: its standbys and slots, and, on a standby, its upstream.</summary>
public sealed record ReplicationSnapshot(
    DateTimeOffset TakenAt,
    bool InRecovery,
    string? CurrentLsn,
    string WalLevel,
    int MaxWalSenders,
    string MaxWalSize,
    string MaxSlotWalKeepSize,
    long? MaxSlotWalKeepSizeBytes,
    WalReceiverStat? Receiver,
    IReadOnlyList<StandbyStat> Standbys,
    IReadOnlyList<SlotStat> Slots)
{
    /// <summary>Not a standby, no standby streaming from it, no slot: nothing to show.</summary>
    public bool NoReplication => !InRecovery && Standbys.Count == 0 && Slots.Count == 0;
}

/// <summary>
/// Reads a server's replication state in one round trip. Needs only pg_monitor (pg_read_all_stats shows every
/// walsender's details and the WAL receiver's connection; the functions used are executable by PUBLIC).
/// </summary>
public static class ReplicationStats
{
    // The server's own WAL position: on a primary the current insert position, on a standby what it has received.
    private const string Current =
        "(CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) ELSE pg_current_wal_lsn() END)";

    private const string FactsSql = $"""
        SELECT now(), pg_is_in_recovery(), {Current}::text,
               current_setting('wal_level'), current_setting('max_wal_senders')::int,
               current_setting('max_wal_size'), current_setting('max_slot_wal_keep_size'),
               CASE WHEN current_setting('max_slot_wal_keep_size') = '-1' THEN NULL ELSE pg_size_bytes(current_setting('max_slot_wal_keep_size')) END,
               w.status, w.sender_host, w.sender_port, w.slot_name, w.flushed_lsn::text, w.last_msg_receipt_time,
               pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
               pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
               pg_last_xact_replay_timestamp(), now() - pg_last_xact_replay_timestamp(),
               CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END
        FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true
        """;

    private const string StandbysSql = $"""
        SELECT r.pid, r.usename::text, coalesce(r.application_name, ''), host(r.client_addr), r.client_hostname, r.backend_start,
               r.state, r.sync_state, r.sent_lsn::text, r.write_lsn::text, r.flush_lsn::text, r.replay_lsn::text,
               r.write_lag, r.flush_lag, r.replay_lag,
               pg_wal_lsn_diff(c.lsn, r.sent_lsn)::bigint, pg_wal_lsn_diff(c.lsn, r.write_lsn)::bigint,
               pg_wal_lsn_diff(c.lsn, r.flush_lsn)::bigint, pg_wal_lsn_diff(c.lsn, r.replay_lsn)::bigint,
               r.reply_time
        FROM pg_stat_replication r CROSS JOIN (SELECT {Current} AS lsn) c
        ORDER BY r.application_name, r.pid
        """;

    private const string SlotsSql = $"""
        SELECT s.slot_name::text, s.slot_type, s.plugin::text, s.database::text, s.temporary, s.active, s.active_pid,
               a.backend_start, coalesce(nullif(a.application_name, ''), host(a.client_addr)),
               s.restart_lsn::text, s.confirmed_flush_lsn::text,
               pg_wal_lsn_diff(c.lsn, s.restart_lsn)::bigint, s.wal_status, s.safe_wal_size,
               s.xmin::text, s.catalog_xmin::text
        FROM pg_replication_slots s
        CROSS JOIN (SELECT {Current} AS lsn) c
        LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid
        ORDER BY s.active, s.slot_name
        """;

    public static async Task<ReplicationSnapshot> LoadAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { new(FactsSql), new(StandbysSql), new(SlotsSql) },
        };
        await using var r = await batch.ExecuteReaderAsync(ct);

        await r.ReadAsync(ct);
        var takenAt = r.GetFieldValue<DateTimeOffset>(0);
        var inRecovery = r.GetBoolean(1);
        var current = Text(r, 2);
        var walLevel = r.GetString(3);
        var maxWalSenders = r.GetInt32(4);
        var maxWalSize = r.GetString(5);
        var keepSize = r.GetString(6);
        var keepBytes = Long(r, 7);
        WalReceiverStat? receiver = inRecovery
            ? new WalReceiverStat(Text(r, 8), Text(r, 9), r.IsDBNull(10) ? null : r.GetInt32(10), Text(r, 11), Text(r, 12), Time(r, 13),
                Text(r, 14), Text(r, 15), Long(r, 16), Time(r, 17), r.IsDBNull(18) ? null : r.GetFieldValue<TimeSpan>(18), r.GetBoolean(19))
            : null;

        await r.NextResultAsync(ct);
        var standbys = new List<StandbyStat>();
        while (await r.ReadAsync(ct))
            standbys.Add(new StandbyStat(
                r.GetInt32(0), Text(r, 1), r.GetString(2), Text(r, 3), Text(r, 4), Time(r, 5), Text(r, 6), Text(r, 7),
                Text(r, 8), Text(r, 9), Text(r, 10), Text(r, 11), Span(r, 12), Span(r, 13), Span(r, 14),
                Long(r, 15), Long(r, 16), Long(r, 17), Long(r, 18), Time(r, 19)));

        await r.NextResultAsync(ct);
        var slots = new List<SlotStat>();
        while (await r.ReadAsync(ct))
            slots.Add(new SlotStat(
                r.GetString(0), r.GetString(1), Text(r, 2), Text(r, 3), r.GetBoolean(4), r.GetBoolean(5),
                r.IsDBNull(6) ? null : r.GetInt32(6), Time(r, 7), Text(r, 8), Text(r, 9), Text(r, 10), Long(r, 11),
                Text(r, 12), Long(r, 13), Text(r, 14), Text(r, 15)));

        return new ReplicationSnapshot(takenAt, inRecovery, current, walLevel, maxWalSenders, maxWalSize, keepSize, keepBytes,
            receiver, standbys, slots);
    }

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static long? Long(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetInt64(i);
    private static TimeSpan? Span(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<TimeSpan>(i);
    private static DateTimeOffset? Time(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
}
