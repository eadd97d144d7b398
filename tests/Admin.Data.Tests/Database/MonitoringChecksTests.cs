using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Health checks, index statistics and pre-deploy checks against a real workload: schema "mon" gets a duplicate index,
/// an index covered by a wider one, an unused index over 1 MB, an invalid index (a failed CREATE UNIQUE INDEX
/// CONCURRENTLY), a large table read only by sequential scans, a table with 40 % dead rows and one never analyzed; the services must report exactly those.
/// </summary>
public sealed class MonitoringChecksTests : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private MonitoringTargets _targets = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _targets = new MonitoringTargets(_db.AppConnectionString, new Dictionary<string, string>());
    }

    public async Task DisposeAsync()
    {
        await _targets.DisposeAsync();
        await _db.DisposeAsync();
    }

    private NpgsqlDataSource Source => _targets.Default.DataSource;

    private async Task BuildWorkloadAsync()
    {
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync("""
            CREATE SCHEMA mon;
            CREATE TABLE mon.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status int NOT NULL, note text NOT NULL);
            INSERT INTO mon.orders SELECT g, g % 500, g % 7, md5(g::text) FROM generate_series(1, 30000) g;
            CREATE INDEX orders_customer_idx ON mon.orders (customer_id);
            CREATE INDEX orders_customer_idx2 ON mon.orders (customer_id);
            CREATE INDEX orders_status_idx ON mon.orders (status);
            CREATE INDEX orders_status_customer_idx ON mon.orders (status, customer_id);
            CREATE INDEX orders_note_idx ON mon.orders (note);
            CREATE TABLE mon.events (id bigint, kind text);
            INSERT INTO mon.events SELECT g, 'kind-' || (g % 10) FROM generate_series(1, 20000) g;
            CREATE TABLE mon.dupdata (v int);
            INSERT INTO mon.dupdata VALUES (1), (1), (2);
            CREATE TABLE mon.churn (id int) WITH (autovacuum_enabled = false);
            INSERT INTO mon.churn SELECT generate_series(1, 5000);
            CREATE TABLE mon.stale (id int) WITH (autovacuum_enabled = false);
            INSERT INTO mon.stale SELECT generate_series(1, 3000);
            ANALYZE mon.orders; ANALYZE mon.events; ANALYZE mon.dupdata; ANALYZE mon.churn;
            DELETE FROM mon.churn WHERE id <= 2000;
            """);
        // Fails on the duplicate 1s and leaves an invalid index behind (must run outside a transaction).
        var failed = await Assert.ThrowsAsync<PostgresException>(() =>
            owner.ExecuteAsync("CREATE UNIQUE INDEX CONCURRENTLY dupdata_v_uq ON mon.dupdata (v)"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, failed.SqlState);

        // Workload: lookups by key and by customer (index scans), counts over events (sequential scans).
        for (var i = 1; i <= 20; i++)
        {
            await owner.ScalarAsync<string>($"SELECT note FROM mon.orders WHERE id = {i * 97}");
            await owner.ScalarAsync<long>($"SELECT count(*) FROM mon.orders WHERE customer_id = {i}");
            await owner.ScalarAsync<long>($"SELECT count(*) FROM mon.events WHERE kind = 'kind-{i % 10}'");
        }
        await owner.ExecuteAsync("SELECT pg_stat_force_next_flush()");
    }

    [Fact]
    public async Task Health_checks_and_index_stats_report_exactly_the_planted_problems()
    {
        await BuildWorkloadAsync();

        var health = await new HealthChecks().RunAsync(Source);
        static IReadOnlyList<string> Mon(HealthCheck c) => c.Items.Where(i => i.StartsWith("mon.")).Select(i => i.Split(':')[0]).ToList();

        Assert.Equal(14, health.Checks.Count);
        Assert.Equal(CheckStatus.Fail, health["invalid-indexes"].Status);
        Assert.Equal(["mon.dupdata_v_uq"], Mon(health["invalid-indexes"]));
        Assert.Equal(CheckStatus.Warn, health["unused-indexes"].Status);
        Assert.Equal(["mon.orders_note_idx"], Mon(health["unused-indexes"]));
        Assert.Equal(CheckStatus.Warn, health["duplicate-indexes"].Status);
        Assert.Equal(["mon.orders_customer_idx2"], Mon(health["duplicate-indexes"]));
        Assert.Contains("same as mon.orders_customer_idx on mon.orders", health["duplicate-indexes"].Items.Single(i => i.StartsWith("mon.")));
        Assert.Equal(["mon.churn", "mon.stale"], Mon(health["vacuum-analyze"]).Order());
        Assert.Equal(CheckStatus.Pass, health["blocked"].Status);
        Assert.Equal(CheckStatus.Pass, health["matviews"].Status);
        Assert.All(health.Checks, c => Assert.False(string.IsNullOrWhiteSpace(c.Why + c.Fix + c.Figure + c.Threshold)));

        var stats = await new IndexStats().LoadAsync(Source);
        var mon = stats.Indexes.Where(i => i.Schema == "mon").ToDictionary(i => i.Name);
        Assert.Equal(["dupdata_v_uq"], mon.Values.Where(i => !i.IsValid).Select(i => i.Name));
        Assert.Equal(
            new Dictionary<string, string?> { ["orders_customer_idx2"] = "orders_customer_idx", ["orders_status_idx"] = "orders_status_customer_idx" },
            mon.Values.Where(i => i.Duplicate).ToDictionary(i => i.Name, i => i.DuplicateOf));
        Assert.True(mon["orders_note_idx"].Unused);
        Assert.True(mon["orders_note_idx"].SizeBytes > HealthChecks.UnusedIndexMinBytes);
        Assert.False(mon["orders_pkey"].Unused);
        Assert.True(mon["orders_pkey"].IsPrimary);
        Assert.True(mon["orders_pkey"].Scans >= 20);
        Assert.True(mon["orders_customer_idx"].Scans + mon["orders_customer_idx2"].Scans >= 20);
        Assert.Contains("CREATE INDEX orders_note_idx ON mon.orders USING btree (note)", mon["orders_note_idx"].Definition);

        var tables = stats.Tables.Where(t => t.Schema == "mon").ToDictionary(t => t.Table);
        Assert.Equal(["events"], tables.Values.Where(t => t.MissingIndexHint).Select(t => t.Table));
        Assert.True(tables["orders"].IndexScanShare > 50);
        Assert.Equal(0, tables["events"].IndexScanShare);
    }

    [Fact]
    public async Task The_pre_deploy_check_fails_while_a_long_transaction_holds_a_blocking_lock()
    {
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("CREATE TABLE locked (id int PRIMARY KEY, n int); INSERT INTO locked VALUES (1, 0);");
        var checks = new PreDeployChecks(_targets);

        await using var holder = await _db.OpenAsync(TestPostgres.OwnerRole);
        await using var waiter = await _db.OpenAsync(TestPostgres.OwnerRole);
        var holderPid = holder.ProcessID;
        await holder.ExecuteAsync("BEGIN; LOCK TABLE locked IN ACCESS EXCLUSIVE MODE;");
        var blocked = Task.Run(() => waiter.ExecuteAsync("UPDATE locked SET n = n + 1 WHERE id = 1"));
        try
        {
            await using (var probe = await _db.OpenAsync(TestPostgres.OwnerRole))
            {
                for (var i = 0; i < 100; i++)
                {
                    if (await probe.ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE {holderPid} = ANY (pg_blocking_pids(pid)))")) break;
                    await Task.Delay(50);
                }
            }

            var report = await checks.RunAsync(null);

            Assert.Equal(CheckStatus.Fail, report["blocking-locks"].Status);
            Assert.Equal(CheckStatus.Fail, report.Overall);
            Assert.False(report.Passed);
            Assert.Equal(5, report.Checks.Count);
            Assert.Equal(CheckStatus.Fail, (await new HealthChecks().RunAsync(Source))["blocked"].Status);
        }
        finally
        {
            await holder.ExecuteAsync("ROLLBACK");
        }
        await blocked.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(blocked.IsFaulted);
    }
}
