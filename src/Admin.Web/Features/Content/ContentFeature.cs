using Admin.Data.Content;
using Admin.Web.Features.Content.Delivery;

namespace Admin.Web.Features.Content;

public static class ContentFeature
{
    public static IServiceCollection AddContentFeature(this IServiceCollection services)
    {
        services.AddScoped<ContentService>();
        services.AddContentDelivery();
        services.AddOptions<ScheduleOptions>().BindConfiguration(ScheduleOptions.Section);
        services.AddHostedService<ScheduleWorker>();
        return services;
    }

    public static WebApplication MapContentFeature(this WebApplication app) => app.MapContentDelivery();
}
