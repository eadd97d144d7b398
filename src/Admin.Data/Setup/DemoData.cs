using Admin.Data.Content;
using Admin.Data.Deployments;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Setup;

/// <summary>
/// The demo data of local runs that is written as the schema owner (the app role only reads reference rows and cannot
/// write audit rows directly): reference rows, sign-in history, catalog and homepage content, releases, deployments.
/// Idempotent: a second run changes nothing. The demo users themselves are created through Identity by the web app.
/// </summary>
public static class DemoData
{
    public static async Task SeedReferenceAsync(string ownerConnection, CancellationToken ct = default)
    {
        await using var connection = new NpgsqlConnection(ownerConnection);
        await connection.OpenAsync(ct);
        await ReferenceData.SeedAsync(connection);
    }

    /// <summary>Everything after the users: audit history, then content and releases (when <paramref name="content"/>), then deployments.</summary>
    public static async Task SeedAfterUsersAsync(string ownerConnection, bool large, bool content, ILogger logger)
    {
        await using var connection = new NpgsqlConnection(ownerConnection);
        await connection.OpenAsync();
        await SeedAuditHistoryAsync(connection, large, logger);
        if (content)
        {
            var sections = await ContentSeeder.SeedAsync(connection, large ? ContentSeedShape.Large : ContentSeedShape.Small);
            logger.LogInformation("Seeded demo content: {Content}", sections);
            var releases = await ReleaseSeeder.SeedAsync(connection, large ? ReleaseSeedShape.Large : ReleaseSeedShape.Small);
            logger.LogInformation("Seeded demo releases: {Releases} added", releases);
        }
        var deployments = await DeploymentSeeder.SeedAsync(connection, large ? DeploymentSeedShape.Large : DeploymentSeedShape.Small);
        logger.LogInformation("Seeded demo deployments: {Deployments}", deployments);
    }

    /// <summary>Sign-in history for the demo users, spread over the last days (small) or 90 days (large).</summary>
    private static async Task SeedAuditHistoryAsync(NpgsqlConnection connection, bool large, ILogger logger)
    {
        var (target, days) = large ? (500_000, 90) : (600, 3);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM audit_events WHERE request_id = 'demo-seed'", connection);
        var existing = (long)(await count.ExecuteScalarAsync())!;
        if (existing >= target) return;

        await using var partitions = new NpgsqlCommand("SELECT audit_ensure_partitions(3)", connection);
        await partitions.ExecuteNonQueryAsync();
        await using var insert = new NpgsqlCommand("""
            INSERT INTO audit_events (occurred_at, actor_id, actor_email, actor_roles, action, table_name, record_id, new_data, request_id, client_address)
            SELECT now() - (random() * make_interval(days => @days)),
                   u.id, u.email, ARRAY[r.name],
                   CASE WHEN random() < 0.9 THEN 'auth.login' ELSE 'auth.login_failed' END,
                   'users', u.id::text, jsonb_build_object('email', u.email), 'demo-seed', '127.0.0.1'::inet
            FROM generate_series(1, @n) AS g
            CROSS JOIN LATERAL (SELECT id, email FROM users WHERE g > 0 ORDER BY random() LIMIT 1) AS u
            JOIN user_roles ur ON ur.user_id = u.id
            JOIN roles r ON r.id = ur.role_id
            """, connection);
        insert.CommandTimeout = 600;
        insert.Parameters.AddWithValue("days", days);
        insert.Parameters.AddWithValue("n", (int)(target - existing));
        var rows = await insert.ExecuteNonQueryAsync();
        logger.LogInformation("Seeded {Rows} demo audit events over {Days} days", rows, days);
    }
}
