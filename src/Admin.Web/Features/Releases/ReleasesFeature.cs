namespace Admin.Web.Features.Releases;

public static class ReleasesFeature
{
    public static IServiceCollection AddReleasesFeature(this IServiceCollection services)
    {
        services.AddOptions<ReleaseScheduleOptions>().BindConfiguration(ReleaseScheduleOptions.Section);
        services.AddHostedService<ReleaseScheduleWorker>();
        return services;
    }
}
