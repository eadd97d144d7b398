using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// The Vacuum page's reads on real servers: bloat estimates of a table emptied by a delete against a fresh one, planted
/// xmin horizon holders (a session idle in transaction with an xid here; a prepared transaction and a logical slot on a
/// cluster of their own), tables over their autovacuum threshold, wraparound ages and NOT VALID constraints.
/// </summary>
public sealed class VacuumStatsTests(DatabaseFixture fixture) : SessionsTestBase(fixture)
{
    private async Task OwnerAsync(string sql)
    {
        await using var owner = await Fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync(sql);
    }

    [Fact]
    public async Task A_table_and_its_index_emptied_by_a_delete_are_estimated_more_bloated_than_fresh_ones()
    {
        await OwnerAsync("""
            CREATE TABLE bloat_fresh (id int PRIMARY KEY, body text);
            INSERT INTO bloat_fresh SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
            CREATE TABLE bloat_emptied (id int PRIMARY KEY, body text);
            INSERT INTO bloat_emptied SELECT g, md5(g::text) FROM generate_series(1, 50000) g;
            DELETE FROM bloat_emptied WHERE id % 10 <> 0;
            CREATE TABLE bloat_unreadable (id int PRIMARY KEY, body text);
            INSERT INTO bloat_unreadable SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
            -- pg_stats shows a column only to roles that may read it
            GRANT SELECT ON bloat_fresh, bloat_emptied TO admin_app;
            """);
        await OwnerAsync("VACUUM ANALYZE bloat_unreadable");
        // VACUUM keeps the pages (the rows left are spread over all of them); ANALYZE gives both the same statistics.
        await OwnerAsync("VACUUM ANALYZE bloat_fresh");
        await OwnerAsync("VACUUM ANALYZE bloat_emptied");

        var report = await VacuumStats.LoadAsync(Monitoring);

        var fresh = Assert.Single(report.TableBloat, b => b.QualifiedTable == "public.bloat_fresh");
        var emptied = Assert.Single(report.TableBloat, b => b.QualifiedTable == "public.bloat_emptied");
        Assert.True(emptied.WastedBytes > fresh.WastedBytes + 1_000_000, $"emptied {emptied.WastedBytes} B, fresh {fresh.WastedBytes} B");
        Assert.True(emptied.WastedPercent > 50, $"emptied {emptied.WastedPercent:0} %");
        Assert.True(fresh.WastedPercent < 20, $"fresh {fresh.WastedPercent:0} %");
        Assert.False(emptied.Unreliable);
        Assert.NotNull(emptied.StatisticsAt);
        Assert.Equal(report.TableBloat.OrderByDescending(b => b.WastedBytes).Select(b => b.WastedBytes), report.TableBloat.Select(b => b.WastedBytes));

        // Statistics the monitoring role cannot see give no estimate: the table is counted, not guessed.
        Assert.DoesNotContain(report.TableBloat, b => b.Table == "bloat_unreadable");
        Assert.DoesNotContain(report.IndexBloat, b => b.Table == "bloat_unreadable");
        Assert.True(report.TablesWithoutStatistics >= 1);

        var freshIndex = Assert.Single(report.IndexBloat, b => b.Index == "bloat_fresh_pkey");
        var emptiedIndex = Assert.Single(report.IndexBloat, b => b.Index == "bloat_emptied_pkey");
        Assert.Equal("public.bloat_emptied", emptiedIndex.QualifiedTable);
        Assert.True(emptiedIndex.WastedBytes > freshIndex.WastedBytes + 200_000, $"emptied {emptiedIndex.WastedBytes} B, fresh {freshIndex.WastedBytes} B");
    }

    [Fact]
    public async Task A_session_idle_in_transaction_with_an_xid_holds_the_horizon_and_is_named()
    {
        await OwnerAsync("CREATE TABLE horizon_t (id int)");
        var holder = await SessionAsync("vacuum-test-holder");
        await holder.ExecuteAsync("BEGIN; INSERT INTO horizon_t VALUES (1)");
        // Transactions after it, so its age is more than 1.
        for (var i = 0; i < 3; i++) await OwnerAsync("INSERT INTO horizon_t VALUES (2)");

        var report = await VacuumStats.LoadAsync(Monitoring);

        var h = Assert.Single(report.Holders, h => h.Kind == HorizonHolderKind.Session && h.Pid == holder.Pid);
        Assert.Equal("idle in transaction", h.State);
        Assert.Equal("vacuum-test-holder", h.Application);
        Assert.Equal(TestPostgres.OwnerRole, h.User);
        Assert.Equal(Fixture.Database.Name, h.Database);
        Assert.True(h.AgeXids >= 3, $"age {h.AgeXids}");
        Assert.NotNull(h.Since);
        Assert.Contains("INSERT INTO horizon_t", h.Detail);
        Assert.Equal(report.Holders.OrderByDescending(x => x.AgeXids).Select(x => x.AgeXids), report.Holders.Select(x => x.AgeXids));
        await holder.ExecuteAsync("ROLLBACK");

        var after = await VacuumStats.LoadAsync(Monitoring);
        Assert.DoesNotContain(after.Holders, x => x.Pid == holder.Pid);
    }

    [Fact]
    public async Task The_overview_warns_of_a_session_holding_the_horizon_longer_than_its_threshold()
    {
        await OwnerAsync("CREATE TABLE horizon_check_t (id int)");
        var holder = await SessionAsync("vacuum-test-check");
        await holder.ExecuteAsync("BEGIN; INSERT INTO horizon_check_t VALUES (1)");
        var checks = new HealthChecks { HorizonWarn = TimeSpan.FromSeconds(1) };
        Assert.DoesNotContain((await new HealthChecks().RunAsync(Monitoring))["xmin-horizon"].Items, i => i.StartsWith($"session {holder.Pid}:"));
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        var check = (await checks.RunAsync(Monitoring))["xmin-horizon"];

        Assert.NotEqual(CheckStatus.Pass, check.Status);
        var item = Assert.Single(check.Items, i => i.StartsWith($"session {holder.Pid}:"));
        Assert.Contains($"{TestPostgres.OwnerRole} in {Fixture.Database.Name}, idle in transaction for", item);
        await holder.ExecuteAsync("ROLLBACK");
        Assert.DoesNotContain((await checks.RunAsync(Monitoring))["xmin-horizon"].Items, i => i.StartsWith($"session {holder.Pid}:"));
    }

    [Fact]
    public async Task A_table_over_its_own_autovacuum_threshold_is_listed_with_the_threshold_from_its_reloptions()
    {
        await OwnerAsync("""
            CREATE TABLE lagging_t (id int) WITH (autovacuum_enabled = false, autovacuum_vacuum_threshold = 100, autovacuum_vacuum_scale_factor = 0.1);
            INSERT INTO lagging_t SELECT generate_series(1, 10000);
            ANALYZE lagging_t;
            DELETE FROM lagging_t WHERE id <= 3000;
            CREATE TABLE calm_t (id int);
            INSERT INTO calm_t SELECT generate_series(1, 10000);
            ANALYZE calm_t;
            DELETE FROM calm_t WHERE id <= 100;
            """);

        var report = await WaitForAsync(r => r.Lagging.Any(t => t.Name == "lagging_t"));

        var t = Assert.Single(report.Lagging, t => t.QualifiedName == "public.lagging_t");
        Assert.Equal(3000, t.DeadTuples);
        Assert.Equal(100 + 1000, t.Threshold); // 100 + 0.1 × 10,000
        Assert.True(t.OwnSettings);
        Assert.False(t.AutovacuumEnabled);
        Assert.Null(t.LastVacuumAny);
        Assert.DoesNotContain(report.Lagging, x => x.Name == "calm_t"); // 100 dead < 50 + 0.2 × 10,000
    }

    [Fact]
    public async Task Wraparound_ages_and_not_valid_constraints_are_read()
    {
        await OwnerAsync("""
            CREATE TABLE nv_parent (id int PRIMARY KEY);
            CREATE TABLE nv_child (id int, parent_id int, amount int);
            INSERT INTO nv_child VALUES (1, 99, -1);
            ALTER TABLE nv_child ADD CONSTRAINT nv_child_amount_positive CHECK (amount > 0) NOT VALID;
            ALTER TABLE nv_child ADD CONSTRAINT "NV parent" FOREIGN KEY (parent_id) REFERENCES nv_parent NOT VALID;
            ALTER TABLE nv_child ADD CONSTRAINT nv_child_id_positive CHECK (id > 0);
            """);

        var report = await VacuumStats.LoadAsync(Monitoring);

        var check = Assert.Single(report.NotValid, c => c.Name == "nv_child_amount_positive");
        Assert.Equal("CHECK", check.Type);
        Assert.Equal("nv_child", check.Table);
        Assert.Contains("amount > 0", check.Definition);
        Assert.Equal("ALTER TABLE public.nv_child VALIDATE CONSTRAINT nv_child_amount_positive;", check.ValidateSql);
        var fk = Assert.Single(report.NotValid, c => c.Name == "NV parent");
        Assert.Equal("FOREIGN KEY", fk.Type);
        Assert.Equal("ALTER TABLE public.nv_child VALIDATE CONSTRAINT \"NV parent\";", fk.ValidateSql);
        Assert.DoesNotContain(report.NotValid, c => c.Name == "nv_child_id_positive");

        Assert.Equal(Fixture.Database.Name, report.Database);
        Assert.Contains(report.Databases, d => d.Database == Fixture.Database.Name && d.AgeXids > 0);
        Assert.True(report.FreezeMaxAge >= 100_000);
        Assert.NotEmpty(report.OldestTables);
        Assert.Equal(report.OldestTables.OrderByDescending(t => t.AgeXids).Select(t => t.AgeXids), report.OldestTables.Select(t => t.AgeXids));
        Assert.All(report.OldestTables, t => Assert.True(t.FreezeMaxAge <= report.FreezeMaxAge));
    }

    [Fact]
    public async Task A_prepared_transaction_and_a_logical_slot_hold_the_horizon_on_a_cluster_that_allows_them()
    {
        await using var cluster = await TemporaryCluster.StartAsync("""
            max_prepared_transactions = 5
            wal_level = logical
            max_replication_slots = 4
            """);
        await using (var super = new NpgsqlConnection(cluster.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            // The slot first: creating a logical slot waits for every running transaction, a prepared one included.
            await super.ExecuteAsync("SELECT pg_create_logical_replication_slot('vacuum_test_slot', 'test_decoding')");
            await super.ExecuteAsync("CREATE TABLE prepared_t (id int)");
            await super.ExecuteAsync("BEGIN; INSERT INTO prepared_t VALUES (1); PREPARE TRANSACTION 'vacuum-test-gid'");
            await super.ExecuteAsync("INSERT INTO prepared_t VALUES (2); INSERT INTO prepared_t VALUES (3)");
        }
        await using var targets = new MonitoringTargets(cluster.ConnectionString(), new Dictionary<string, string>());

        var report = await VacuumStats.LoadAsync(targets.Default.DataSource);

        var prepared = Assert.Single(report.Holders, h => h.Kind == HorizonHolderKind.PreparedTransaction);
        Assert.Equal("vacuum-test-gid", prepared.Name);
        Assert.Equal("postgres", prepared.User);
        Assert.Equal("postgres", prepared.Database);
        Assert.True(prepared.AgeXids >= 2, $"age {prepared.AgeXids}");
        Assert.NotNull(prepared.Since);
        var slot = Assert.Single(report.Holders, h => h.Kind == HorizonHolderKind.ReplicationSlot);
        Assert.Equal("vacuum_test_slot", slot.Name);
        Assert.Equal("logical", slot.State);
        Assert.False(slot.Active);
        Assert.Contains("catalog_xmin", slot.Detail);
        Assert.True(slot.AgeXids > prepared.AgeXids, $"slot {slot.AgeXids}, prepared {prepared.AgeXids}");
        Assert.Equal(slot, report.Horizon); // made before the prepared transaction: the older

        await using (var super = new NpgsqlConnection(cluster.ConnectionString(tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("ROLLBACK PREPARED 'vacuum-test-gid'");
            await super.ExecuteAsync("SELECT pg_drop_replication_slot('vacuum_test_slot')");
        }
        Assert.Empty((await VacuumStats.LoadAsync(targets.Default.DataSource)).Holders);
    }

    [Fact]
    public async Task A_slowed_manual_vacuum_is_seen_in_progress_with_its_pid_and_table()
    {
        await OwnerAsync("""
            CREATE TABLE progress_t (id int, body text);
            INSERT INTO progress_t SELECT g, md5(g::text) FROM generate_series(1, 100000) g;
            DELETE FROM progress_t WHERE id % 2 = 0;
            """);
        var vacuumer = await SessionAsync("vacuum-test-progress");
        await vacuumer.ExecuteAsync("SET vacuum_cost_delay = 100; SET vacuum_cost_limit = 1");
        var vacuuming = vacuumer.Start("VACUUM progress_t");

        var report = await WaitForAsync(r => r.Running.Any(p => p.Pid == vacuumer.Pid && p.HeapBlocksScanned > 0));

        var p = Assert.Single(report.Running, p => p.Pid == vacuumer.Pid);
        Assert.Equal("public.progress_t", p.Table);
        Assert.False(p.IsAutovacuum);
        Assert.Equal(Fixture.Database.Name, p.Database);
        Assert.True(p.HeapBlocksTotal > 0);
        Assert.InRange(p.ScannedPercent!.Value, 0.0, 100.0);
        Assert.NotNull(p.RunningFor);
        Assert.False(vacuuming.IsCompleted);
    }

    private async Task<VacuumReport> WaitForAsync(Func<VacuumReport, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var report = await VacuumStats.LoadAsync(Monitoring);
            if (condition(report) || DateTime.UtcNow > deadline) return report;
            await Task.Delay(200);
        }
    }
}
