using Admin.Data.Live;
using Admin.Web.Infrastructure;

namespace Admin.Web.Live;

public static class LiveFeature
{
    public static IServiceCollection AddLiveFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSignalR();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<LiveBus>();
        services.AddSingleton(sp => new NotificationListener(
            DatabaseExtensions.ListenerConnectionString(configuration),
            sp.GetRequiredService<ILogger<NotificationListener>>()));
        services.AddHostedService<LiveListenerService>();
        services.AddHostedService<LiveHubRelay>();
        services.AddSingleton<LiveConnections>();
        services.AddHostedService<LiveConnectionRevalidator>();
        return services;
    }

    public static WebApplication MapLiveFeature(this WebApplication app)
    {
        app.MapHub<Live.LiveHub>(LiveHub.Path);
        return app;
    }
}
