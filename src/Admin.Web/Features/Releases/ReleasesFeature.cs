using Admin.Data.Releases;

namespace Admin.Web.Features.Releases;

public static class ReleasesFeature
{
    public static IServiceCollection AddReleasesFeature(this IServiceCollection services)
    {
        services.AddScoped<ReleaseService>();
        return services;
    }
}
