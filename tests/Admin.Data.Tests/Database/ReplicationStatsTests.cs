using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// A real streaming standby: a temporary primary, a pg_basebackup -R copy of it started on a port of its own, read by
/// a role with nothing but pg_monitor on both. Both clusters go at the end.
/// </summary>
public sealed class ReplicationStatsTests
{
    private const string Monitor = "repl_monitor";

    private static NpgsqlDataSource MonitorSource(TemporaryCluster cluster) =>
        NpgsqlDataSource.Create(cluster.ConnectionString(role: Monitor, tweak: b => b.Pooling = false));

    private static async Task<ReplicationSnapshot> WaitForAsync(NpgsqlDataSource source, Func<ReplicationSnapshot, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var snapshot = await ReplicationStats.LoadAsync(source);
            if (condition(snapshot)) return snapshot;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Not seen within 30 s: {what}. Last read: {snapshot}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task The_primary_shows_its_streaming_standby_and_slots_and_the_standby_its_upstream_and_replay()
    {
        await using var primary = await TemporaryCluster.StartAsync("""
            wal_level = replica
            max_wal_senders = 5
            max_replication_slots = 5
            wal_keep_size = 0
            """);
        await using (var super = new NpgsqlConnection(primary.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync($"CREATE ROLE {Monitor} LOGIN; GRANT pg_monitor TO {Monitor}; CREATE TABLE filler (id int, pad text)");
        }
        await using var primarySource = MonitorSource(primary);

        // Nothing yet: a plain server says it has no replication.
        var lone = await ReplicationStats.LoadAsync(primarySource);
        Assert.True(lone.NoReplication);
        Assert.False(lone.InRecovery);
        Assert.Null(lone.Receiver);

        await using var standby = await TemporaryCluster.StartFromBaseBackupAsync(primary, "cluster_name = 'standby_one'", "-R", "-C", "-S", "standby_one_slot");
        await using var standbySource = MonitorSource(standby);
        await using (var super = new NpgsqlConnection(primary.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("SELECT pg_create_physical_replication_slot('forgotten_slot', true)");
        }

        var streaming = await WaitForAsync(primarySource,
            s => s.Standbys.Any(x => x.ApplicationName == "standby_one" && x.State == "streaming" && x.ReplayLsn is not null), "standby_one streaming");
        var sb = streaming.Standbys.Single(x => x.ApplicationName == "standby_one");
        Assert.Equal("127.0.0.1", sb.ClientAddress);
        Assert.Equal("async", sb.SyncState);
        Assert.NotNull(sb.SentBehindBytes);
        Assert.True(sb.ReplayBehindBytes >= 0);
        Assert.False(streaming.NoReplication);
        Assert.Equal("replica", streaming.WalLevel);
        Assert.Equal("-1", streaming.MaxSlotWalKeepSize);

        var used = streaming.Slots.Single(s => s.Name == "standby_one_slot");
        Assert.True(used.Active);
        Assert.Equal("physical", used.SlotType);
        Assert.Equal("standby_one", used.ActiveClient);
        Assert.NotNull(used.ActiveSince);
        Assert.Equal(SlotConcern.None, used.Concern);
        var forgotten = streaming.Slots.Single(s => s.Name == "forgotten_slot");
        Assert.False(forgotten.Active);
        Assert.Equal(SlotConcern.Inactive, forgotten.Concern);
        Assert.Contains("pg_drop_replication_slot('forgotten_slot')", forgotten.Advice);
        var retainedBefore = forgotten.RetainedBytes!.Value;

        // Writes on the primary: the inactive slot holds on to all of it, the standby's slot follows its standby.
        await using (var writer = new NpgsqlConnection(primary.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await writer.OpenAsync();
            await writer.ExecuteAsync("INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g; SELECT pg_switch_wal(); CHECKPOINT");
        }
        var after = await WaitForAsync(primarySource,
            s => s.Standbys.Any(x => x.ApplicationName == "standby_one" && x.ReplayBehindBytes == 0), "standby_one caught up");
        var forgottenAfter = after.Slots.Single(s => s.Name == "forgotten_slot");
        Assert.True(forgottenAfter.RetainedBytes > retainedBefore + 4_000_000, $"retained {retainedBefore} → {forgottenAfter.RetainedBytes}");
        Assert.Equal("reserved", forgottenAfter.WalStatus);
        Assert.True(after.Slots.Single(s => s.Name == "standby_one_slot").RetainedBytes < forgottenAfter.RetainedBytes);

        // The standby as a target: its upstream, what it received and replayed, the replay delay.
        // Caught up alone can be seen before the insert's commit arrives (nothing replayed since the base backup yet).
        var onStandby = await WaitForAsync(standbySource,
            s => s.Receiver is { Status: "streaming", CaughtUp: true, LastReplayedTransaction: not null }, "standby caught up, a commit replayed");
        Assert.True(onStandby.InRecovery);
        Assert.False(onStandby.NoReplication);
        var receiver = onStandby.Receiver!;
        Assert.Equal("127.0.0.1", receiver.SenderHost);
        Assert.Equal(primary.Port, receiver.SenderPort);
        Assert.Equal("standby_one_slot", receiver.SlotName);
        Assert.Equal(0, receiver.ReplayBehindBytes);
        Assert.NotNull(receiver.LastReplayedTransaction);
        Assert.True(receiver.ReplayDelay >= TimeSpan.Zero);
        Assert.False(receiver.ReplayPaused);
        Assert.Empty(onStandby.Standbys);
    }
}
