using Admin.Data.Deployments;
using Npgsql;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// Runs <see cref="IngestionRetention"/> (Admin.Data) every hour. Every instance may run it; the deletes are idempotent.
/// </summary>
public sealed class IdempotencyRetention(IngestionRetention retention, ILogger<IdempotencyRetention> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var removed = await retention.ForgetAsync(stoppingToken);
                if (removed > 0) logger.LogInformation("Forgot {Count} old idempotency keys and export bounds", removed);
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                logger.LogWarning(ex, "Idempotency key retention failed; retrying in {Interval}", Interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
