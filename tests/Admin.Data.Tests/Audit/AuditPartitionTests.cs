using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Audit;

public sealed class AuditPartitionTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task Migration_creates_partitions_for_this_month_and_three_ahead()
    {
        // Not the shared clone: its template may have been migrated in an earlier month.
        await using var fresh = await TestDatabase.CreateEmptyAsync();
        await fresh.CreateMigrator().MigrateAsync();
        await using var owner = await fresh.OpenAsync(TestPostgres.OwnerRole);

        var thisMonth = await ThisMonthAsync(owner);
        var partitions = await PartitionsAsync(owner);

        for (var ahead = 0; ahead <= 3; ahead++)
            Assert.Contains(PartitionName(thisMonth.AddMonths(ahead)), partitions);
        Assert.Contains("audit_events_default", partitions);
    }

    [Fact]
    public async Task Event_written_now_lands_in_this_months_partition()
    {
        await using var app = await Db.OpenAppAsAdminAsync();
        await app.ScalarAsync<int>("SELECT audit_ensure_partitions()");

        var id = await app.ScalarAsync<long>("SELECT audit_write('partition.now')");

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(PartitionName(await ThisMonthAsync(owner)), await PartitionOfAsync(owner, id));
    }

    [Fact]
    public async Task Ensuring_partitions_twice_creates_nothing_the_second_time()
    {
        await using var app = await Db.OpenAppAsAdminAsync();
        await app.ScalarAsync<int>("SELECT audit_ensure_partitions()");
        var before = await PartitionsAsync(app);

        Assert.Equal(0, await app.ScalarAsync<int>("SELECT audit_ensure_partitions()"));
        Assert.Equal(before, await PartitionsAsync(app));
    }

    [Fact]
    public async Task Row_for_a_month_without_partition_waits_in_default_and_moves_intact_into_its_new_partition()
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        var id = await InsertAtAsync(owner, new DateTimeOffset(2045, 7, 15, 12, 0, 0, TimeSpan.Zero), "partition.future");
        Assert.Equal("audit_events_default", await PartitionOfAsync(owner, id));

        await using (var app = await Db.OpenAppAsAdminAsync())
            Assert.True(await app.ScalarAsync<int>("SELECT audit_ensure_partitions()") >= 1);

        Assert.Equal("audit_events_2045_07", await PartitionOfAsync(owner, id));
        Assert.Equal(1L, await owner.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE action = 'partition.future'"));
        Assert.Equal(0L, await owner.ScalarAsync<long>("SELECT count(*) FROM audit_events_default WHERE action = 'partition.future'"));
    }

    [Fact]
    public async Task Partition_bounds_are_utc_months_whatever_the_sessions_time_zone()
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        // 23:30 on 31 Dec 2047 in UTC is already January in Kiritimati (UTC+14): the row belongs to December (UTC).
        await owner.ExecuteAsync("SET TimeZone = 'Pacific/Kiritimati'");
        var id = await InsertAtAsync(owner, new DateTimeOffset(2047, 12, 31, 23, 30, 0, TimeSpan.Zero), "partition.tz");
        await owner.ScalarAsync<int>("SELECT audit_ensure_partitions()");
        await owner.ExecuteAsync("SET TimeZone = 'America/Los_Angeles'");
        await owner.ScalarAsync<int>("SELECT audit_ensure_partitions()");

        Assert.Equal("audit_events_2047_12", await PartitionOfAsync(owner, id));
        await owner.ExecuteAsync("SET TimeZone = 'UTC'");
        var bound = await owner.ScalarAsync<string>(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'audit_events_2047_12'");
        Assert.Equal("FOR VALUES FROM ('2047-12-01 00:00:00+00') TO ('2048-01-01 00:00:00+00')", bound);
    }

    /// <summary>
    /// Two app instances at once. A SHARE lock on the default partition holds the first call right after it created
    /// its first table, until the second call is queued behind it: without the function's advisory lock the second
    /// would try to create the same table and fail.
    /// </summary>
    [Fact]
    public async Task Two_concurrent_calls_both_succeed_and_create_each_partition_once()
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        // Up to date first, so the only partitions left to create are the two below.
        await owner.ScalarAsync<int>("SELECT audit_ensure_partitions()");
        await InsertAtAsync(owner, new DateTimeOffset(2050, 1, 15, 12, 0, 0, TimeSpan.Zero), "partition.race");
        await InsertAtAsync(owner, new DateTimeOffset(2050, 2, 15, 12, 0, 0, TimeSpan.Zero), "partition.race");

        await using var gate = await Db.OpenAsync(TestPostgres.OwnerRole);
        await gate.ExecuteAsync("BEGIN; LOCK TABLE audit_events_default IN SHARE MODE");
        await using var first = await Db.OpenAppAsAdminAsync();
        await using var second = await Db.OpenAppAsAdminAsync();
        var calls = new[] { first, second }.Select(c => c.ScalarAsync<int>("SELECT audit_ensure_partitions()")).ToArray();
        await WaitUntilWaitingOnLocksAsync(count: 2, TimeSpan.FromSeconds(10));
        await gate.ExecuteAsync("COMMIT");

        var created = await Task.WhenAll(calls);

        Assert.Equal(2, created.Sum());
        var partitions = await PartitionsAsync(owner);
        Assert.Contains("audit_events_2050_01", partitions);
        Assert.Contains("audit_events_2050_02", partitions);
        Assert.Equal(0L, await owner.ScalarAsync<long>("SELECT count(*) FROM audit_events_default WHERE action = 'partition.race'"));
    }

    /// <summary>In the server's time zone, as the function computes it.</summary>
    private static Task<DateOnly> ThisMonthAsync(NpgsqlConnection connection) =>
        connection.ScalarAsync<DateOnly>("SELECT date_trunc('month', now())::date");

    private static string PartitionName(DateOnly month) => $"audit_events_{month:yyyy_MM}";

    private static async Task<List<string>> PartitionsAsync(NpgsqlConnection connection)
    {
        var names = new List<string>();
        await using var command = new NpgsqlCommand("""
            SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    private static Task<string> PartitionOfAsync(NpgsqlConnection connection, long id) =>
        connection.ScalarAsync<string>($"SELECT tableoid::regclass::text FROM audit_events WHERE id = {id}");

    /// <summary>As the owner: audit_write always stamps the current time.</summary>
    private static async Task<long> InsertAtAsync(NpgsqlConnection owner, DateTimeOffset at, string action)
    {
        await using var command = new NpgsqlCommand("INSERT INTO audit_events (occurred_at, action) VALUES ($1, $2) RETURNING id", owner);
        command.Parameters.Add(new NpgsqlParameter { Value = at });
        command.Parameters.Add(new NpgsqlParameter { Value = action });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task WaitUntilWaitingOnLocksAsync(int count, TimeSpan timeout)
    {
        // As superuser: other roles see no wait_event of the app role's sessions.
        await using var observer = await Db.OpenAsync("postgres");
        var deadline = DateTime.UtcNow + timeout;
        const string sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'";
        while (await observer.ScalarAsync<long>(sql) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Fewer than {count} sessions waited on a lock within {timeout}");
            await Task.Delay(20);
        }
    }
}
