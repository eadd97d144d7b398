using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// Deployments of one service inserted in one statement as the schema owner (commit at <paramref name="t0"/>), each row
/// as (id suffix, environment, status, minutes after t0 created and started, minutes finished, minutes rolled back).
/// </summary>
internal static class PlantedDeployments
{
    /// <returns>The new deployments' ids by id suffix.</returns>
    public static async Task<Dictionary<string, long>> InsertAsync(TestDatabase database, DateTimeOffset t0, string service,
        params (string Id, string Environment, string Status, int Created, int? Finished, int? RolledBack)[] rows)
    {
        await using var owner = await database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand($"""
            INSERT INTO deployments (external_id, service, environment, version, commit_sha, commit_at, requested_by_email, status,
                                     created_at, started_at, finished_at, rolled_back_at)
            SELECT '{service}-' || id, '{service}', environment, '1.0.' || id, 'abcdef1', '{t0:O}'::timestamptz, 'ci@test.local', status,
                   '{t0:O}'::timestamptz + make_interval(mins => created), '{t0:O}'::timestamptz + make_interval(mins => created),
                   '{t0:O}'::timestamptz + make_interval(mins => finished), '{t0:O}'::timestamptz + make_interval(mins => rolled)
            FROM (VALUES {string.Join(", ", rows.Select(r => $"('{r.Id}', '{r.Environment}', '{r.Status}', {r.Created}, {r.Finished?.ToString() ?? "NULL::int"}, {r.RolledBack?.ToString() ?? "NULL::int"})"))})
                AS v(id, environment, status, created, finished, rolled)
            RETURNING external_id, id
            """, owner);
        var ids = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids[reader.GetString(0)[(service.Length + 1)..]] = reader.GetInt64(1);
        return ids;
    }
}
