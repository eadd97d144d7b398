using Admin.Data.Live;

namespace Admin.Web.Live;

/// <summary>Runs the PostgreSQL listener for the app's lifetime and feeds the bus; after a reconnect it publishes a resync.</summary>
public sealed class LiveListenerService(NotificationListener listener, LiveBus bus, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        listener.RunAsync(
            e => new ValueTask(bus.PublishAsync(e)),
            async (state, reconnected) =>
            {
                bus.SetState(state);
                if (state == ListenerState.Connected && reconnected)
                    await bus.PublishAsync(LiveEvent.Resync(time.GetUtcNow()));
            },
            stoppingToken);
}
