using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Data.Deployments;

/// <summary>
/// Forgets Idempotency-Keys of the ingestion API after a day and export bounds after a week, so the tables stay small.
/// The deletes are idempotent; a retry with a key older than that counts as a new request.
/// </summary>
public sealed class IngestionRetention([FromKeyedServices(nameof(DeploymentIngestion))] NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);
    public static readonly TimeSpan ExportLifetime = TimeSpan.FromDays(7);

    /// <summary>Deletes what has outlived its lifetime; returns how many rows went.</summary>
    public Task<int> ForgetAsync(CancellationToken ct = default) => ForgetAsync(dataSource, ct);

    public static async Task<int> ForgetAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM api_idempotency_keys WHERE created_at < now() - @keys; DELETE FROM deployment_exports WHERE created_at < now() - @exports");
        command.Parameters.AddWithValue("keys", KeyLifetime);
        command.Parameters.AddWithValue("exports", ExportLifetime);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
