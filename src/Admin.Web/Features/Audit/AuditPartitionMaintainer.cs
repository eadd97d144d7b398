using Admin.Data.Audit;

namespace Admin.Web.Features.Audit;

/// <summary>
/// Keeps monthly audit partitions three months ahead (at start-up and every six hours) through
/// <see cref="AuditMaintenance"/>. The database function takes an advisory lock, so several app instances doing this at
/// once is harmless.
/// </summary>
public sealed class AuditPartitionMaintainer(IServiceScopeFactory scopes, ILogger<AuditPartitionMaintainer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(6);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var created = await scope.ServiceProvider.GetRequiredService<AuditMaintenance>().EnsurePartitionsAsync(3, stoppingToken);
                if (created > 0) logger.LogInformation("Created {Count} audit partition(s)", created);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not create audit partitions; rows still land in the default partition");
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
