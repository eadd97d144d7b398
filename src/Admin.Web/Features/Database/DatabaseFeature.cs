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
            return new MonitoringTargets(
                configuration.GetConnectionString(DatabaseExtensions.AppConnectionName)!, Named(configuration, "Monitoring:Targets"),
                configuration.GetConnectionString(DatabaseExtensions.ExplainConnectionName), Named(configuration, "Monitoring:Explain"));
        });

        // Slow queries and the statistics history (one sampling instance at a time).
        services.AddScoped<DatabaseQueries>();
        services.AddSingleton(sp => new StatisticsHistory(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        services.AddOptions<SamplerOptions>().BindConfiguration(SamplerOptions.Section);
        services.AddSingleton<SamplerState>();
        services.AddHostedService<StatisticsSamplerService>();
        return services;
    }

    private static Dictionary<string, string> Named(IConfiguration configuration, string section) =>
        configuration.GetSection(section).GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .ToDictionary(c => c.Key, c => c.Value!);
}
