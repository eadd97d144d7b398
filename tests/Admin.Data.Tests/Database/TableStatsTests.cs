using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

public sealed class TableStatsTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Every_user_table_is_listed_largest_first_with_sizes_tuples_and_maintenance_times()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
        {
            await owner.ExecuteAsync("""
                CREATE TABLE table_stats_t (id int PRIMARY KEY, body text);
                INSERT INTO table_stats_t SELECT g, repeat('x', 100) FROM generate_series(1, 5000) g;
                DELETE FROM table_stats_t WHERE id <= 1000;
                ANALYZE table_stats_t;
                """);
        }
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString, new Dictionary<string, string>());

        var tables = await TableStats.LoadAsync(targets.Default.DataSource);

        Assert.Equal(tables.OrderByDescending(t => t.TotalBytes).Select(t => t.TotalBytes), tables.Select(t => t.TotalBytes));
        var t = Assert.Single(tables, t => t.QualifiedName == "public.table_stats_t");
        Assert.True(t.TableBytes > 400_000, $"table {t.TableBytes} bytes");
        Assert.True(t.IndexBytes > 0);
        Assert.Equal(t.TotalBytes, t.TableBytes + t.IndexBytes + t.ToastBytes);
        Assert.Equal(4000, t.LiveTuples);
        Assert.Equal(1000, t.DeadTuples);
        Assert.Equal(0.2, t.DeadRatio!.Value, 3);
        Assert.NotNull(t.LastAnalyze);
        Assert.Null(t.LastVacuum);
        Assert.Null(t.PartitionOf);

        // audit_events is partitioned by month: the parent and its partitions are all there.
        Assert.Contains(tables, x => x.QualifiedName == "public.audit_events" && x.IsPartitioned);
        Assert.Contains(tables, x => x.PartitionOf == "public.audit_events");
    }
}
