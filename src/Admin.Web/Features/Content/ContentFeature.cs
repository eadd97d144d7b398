using Admin.Data.Content;
using Admin.Web.Features.Content.History;
using Admin.Web.Features.Content.Delivery;

namespace Admin.Web.Features.Content;

public static class ContentFeature
{
    public static IServiceCollection AddContentFeature(this IServiceCollection services)
    {
        services.AddScoped<ContentService>();
        services.AddScoped<VersionRestorer>();
        // One tracker per app instance, listening from start-up so it already knows who is editing when a page opens.
        services.AddSingleton<PresenceTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<PresenceTracker>());
        services.AddContentDelivery();
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section);
        services.AddHostedService<ScheduleWorker>();
        return services;
    }

    public static WebApplication MapContentFeature(this WebApplication app) => app.MapContentDelivery();
}
