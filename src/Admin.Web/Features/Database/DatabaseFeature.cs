using Admin.Data.Monitoring;
using Admin.Web.Infrastructure;

namespace Admin.Web.Features.Database;

public static class DatabaseFeature
{
    public static IServiceCollection AddDatabaseFeature(this IServiceCollection services)
    {
        services.AddSingleton<DatabaseOverview>();
        services.AddSingleton<HealthChecks>();
        services.AddSingleton<IndexStats>();
        services.AddSingleton<PreDeployChecks>();

        // Activity and Tables panels (cancel/terminate for Dba only).
        services.AddScoped<DatabaseActivity>();
        services.AddSingleton(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            var configured = configuration.GetSection("Monitoring:Targets").GetChildren()
                .Where(c => !string.IsNullOrWhiteSpace(c.Value))
                .ToDictionary(c => c.Key, c => c.Value!);
            return new MonitoringTargets(configuration.GetConnectionString(DatabaseExtensions.AppConnectionName)!, configured);
        });

        // Slow queries and the statistics history (one sampling instance at a time).
        services.AddScoped<DatabaseQueries>();
        services.AddSingleton(sp => new StatisticsHistory(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        services.AddOptions<SamplerOptions>().BindConfiguration(SamplerOptions.Section);
        services.AddSingleton<SamplerState>();
        services.AddHostedService<StatisticsSamplerService>();
        return services;
    }
}
