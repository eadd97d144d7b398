using Admin.Data.Content;

namespace Admin.Web.Features.Content;

public static class ContentFeature
{
    public static IServiceCollection AddContentFeature(this IServiceCollection services)
    {
        services.AddScoped<ContentService>();
        return services;
    }

    public static WebApplication MapContentFeature(this WebApplication app) => app;
}
