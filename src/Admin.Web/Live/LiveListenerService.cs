using Admin.Data.Live;

namespace Admin.Web.Live;

/// <summary>Runs the PostgreSQL listener for the app's lifetime and feeds the bus; after a reconnect it publishes a resync.</summary>
public sealed class LiveListenerService(NotificationListener listener, LiveBus bus, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        listener.RunAsync(
            e =>
            {
                bus.Publish(e);
                return ValueTask.CompletedTask;
            },
            (state, reconnected) =>
            {
                bus.SetState(state, time.GetUtcNow());
                if (state == ListenerState.Connected && reconnected)
                    bus.Publish(LiveEvent.Resync(time.GetUtcNow()));
                return ValueTask.CompletedTask;
            },
            stoppingToken);
}
