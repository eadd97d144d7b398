using Admin.Data.Database;
using Admin.Web.Live;
using Npgsql;

namespace Admin.Web.Features.Database;

/// <summary>The "Monitoring:Alerts" configuration section.</summary>
public sealed class AlertOptions
{
    public const string Section = "Monitoring:Alerts";

    /// <summary>Send queued notices from this instance (every instance may; each notice goes once).</summary>
    public bool Deliver { get; set; } = true;

    /// <summary>How often queued notices are looked for, besides right after an evaluation raised some.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The console's public address, for the "open in Admin" link of a notice (none when unset).</summary>
    public Uri? ConsoleUrl { get; set; }
}

/// <summary>
/// Sends alert notices to webhooks from every instance (<see cref="AlertDeliverer"/> claims each one, so it goes once):
/// as soon as an evaluation announces a change ("database"/"alert"), and every <see cref="AlertOptions.PollInterval"/>
/// for retries that have come due.
/// </summary>
public sealed class AlertDeliveryService(
    NpgsqlDataSource console, IHttpClientFactory clients, LiveBus bus, SamplerState state, Microsoft.Extensions.Options.IOptions<AlertOptions> options,
    TimeProvider time, ILogger<AlertDeliveryService> logger) : BackgroundService
{
    public const string HttpClientName = "alerts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Deliver) return;
        var deliverer = new AlertDeliverer(console, clients.CreateClient(HttpClientName), state.Instance, time, settings.ConsoleUrl);
        using var wake = new SemaphoreSlim(0);
        using var subscription = bus.Subscribe(StatisticsPageBase.Topic, e =>
        {
            if (e.Kind == "alert" && wake.CurrentCount == 0) wake.Release();
            return Task.CompletedTask;
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await deliverer.DeliverDueAsync(ct: stoppingToken) > 0) { }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Sending alert notices failed; trying again in {Interval}", settings.PollInterval);
            }
            try
            {
                await wake.WaitAsync(settings.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
