namespace Admin.Web.Features.Database;

public static class DatabaseFeature
{
    public static IServiceCollection AddDatabaseFeature(this IServiceCollection services) =>
        services.AddScoped<DatabaseOverview>();
}
