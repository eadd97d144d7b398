using Admin.Data;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Migrations;

public sealed class MigrationTests
{
    [Fact]
    public async Task Fresh_database_gets_every_migration_and_a_second_run_is_a_no_op()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        var migrator = db.CreateMigrator();

        var first = await migrator.MigrateAsync();
        var second = await migrator.MigrateAsync();

        await using var context = db.CreateAppContext();
        Assert.Equal(context.Database.GetMigrations(), first);
        Assert.Empty(second);
        Assert.Empty(await Admin.Data.Migrations.DatabaseMigrator.PendingAsync(context));

        // The history table has the names every existing database has, whatever naming convention the model uses.
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await using var history = new NpgsqlCommand("""
            SELECT string_agg(a.attname, ',' ORDER BY a.attnum)
                   || ' ' || (SELECT c.conname FROM pg_constraint c WHERE c.conrelid = a.attrelid AND c.contype = 'p')
            FROM pg_attribute a
            WHERE a.attrelid = '"__EFMigrationsHistory"'::regclass AND a.attnum > 0 AND NOT a.attisdropped
            GROUP BY a.attrelid
            """, owner);
        Assert.Equal("MigrationId,ProductVersion PK___EFMigrationsHistory", (string?)await history.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Two_instances_migrating_at_once_apply_each_migration_exactly_once()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();

        // Two migrators with their own connections stand in for two app instances starting together.
        var results = await Task.WhenAll(
            Task.Run(() => db.CreateMigrator().MigrateAsync()),
            Task.Run(() => db.CreateMigrator().MigrateAsync()));

        await using var context = db.CreateAppContext();
        var all = context.Database.GetMigrations().ToList();
        // One instance applied everything, the other found nothing left to do.
        Assert.Contains(results, r => r.SequenceEqual(all));
        Assert.Contains(results, r => r.Count == 0);

        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        var rows = await owner.ScalarAsync<long>("SELECT count(*) FROM \"__EFMigrationsHistory\"");
        Assert.Equal(all.Count, rows);
        // The foundation inserts the four roles once: a double application would have failed or doubled them.
        Assert.Equal(4L, await owner.ScalarAsync<long>("SELECT count(*) FROM roles"));
    }
}
