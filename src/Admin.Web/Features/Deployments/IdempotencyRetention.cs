using Npgsql;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// Forgets Idempotency-Keys of the ingestion API after a day and export bounds after a week, so the tables stay small.
/// Every instance may run it; the deletes are idempotent. A retry with a key older than that counts as a new request.
/// </summary>
public sealed class IdempotencyRetention([FromKeyedServices(nameof(Admin.Data.Deployments.DeploymentIngestion))] NpgsqlDataSource dataSource,
    ILogger<IdempotencyRetention> logger) : BackgroundService
{
    public static readonly TimeSpan KeyLifetime = TimeSpan.FromDays(1);
    public static readonly TimeSpan ExportLifetime = TimeSpan.FromDays(7);
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public static async Task<int> ForgetAsync(NpgsqlDataSource dataSource, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM api_idempotency_keys WHERE created_at < now() - @keys; DELETE FROM deployment_exports WHERE created_at < now() - @exports");
        command.Parameters.AddWithValue("keys", KeyLifetime);
        command.Parameters.AddWithValue("exports", ExportLifetime);
        return await command.ExecuteNonQueryAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var removed = await ForgetAsync(dataSource, stoppingToken);
                if (removed > 0) logger.LogInformation("Forgot {Count} old idempotency keys and export bounds", removed);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Idempotency key retention failed; retrying in {Interval}", Interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
