using Admin.Data.Content;
using Admin.Web.Features.Content.History;

namespace Admin.Web.Features.Content;

public static class ContentFeature
{
    public static IServiceCollection AddContentFeature(this IServiceCollection services)
    {
        services.AddScoped<ContentService>();
        services.AddScoped<BrowserTime>();
        services.AddScoped<VersionRestorer>();
        return services;
    }

    public static WebApplication MapContentFeature(this WebApplication app) => app;
}
