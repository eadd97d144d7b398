using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Migrations;

/// <summary>
/// Applies pending migrations as the schema owner. Several app instances may start at once: a session-level
/// advisory lock lets one apply while the others wait and then find nothing left to do.
/// </summary>
public sealed class DatabaseMigrator(string ownerConnectionString, ILogger<DatabaseMigrator> logger)
{
    // Arbitrary constant that identifies "schema migration" among advisory locks in this database.
    public const long AdvisoryLockKey = 7_311_202_611;

    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        await using var lockConnection = new NpgsqlConnection(ownerConnectionString);
        await lockConnection.OpenAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLockKey})", lockConnection))
            await take.ExecuteNonQueryAsync(ct);
        try
        {
            var options = new DbContextOptionsBuilder<AdminDbContext>().UseNpgsql(ownerConnectionString).Options;
            await using var db = new AdminDbContext(options);
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            if (pending.Count == 0)
            {
                logger.LogInformation("Database schema is up to date");
                return pending;
            }
            logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
            await db.Database.MigrateAsync(ct);
            return pending;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Migrations known to the code but not recorded in the database (readiness check).</summary>
    public static async Task<IReadOnlyList<string>> PendingAsync(AdminDbContext db, CancellationToken ct = default)
    {
        var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).ToHashSet();
        return db.Database.GetMigrations().Where(m => !applied.Contains(m)).ToList();
    }
}
