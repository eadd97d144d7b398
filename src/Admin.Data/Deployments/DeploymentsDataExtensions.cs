using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Data.Deployments;

public static class DeploymentsDataExtensions
{
    /// <summary>
    /// The deployments area's data services: the console's (scoped, the signed-in user's session context) and the
    /// ingestion API's own small pool (keyed <c>nameof(DeploymentIngestion)</c>) with its retention. <paramref name="ingestion"/>
    /// gives the pool's connection string and size when it is first used (the host's configuration is complete then).
    /// </summary>
    public static IServiceCollection AddDeploymentsData(this IServiceCollection services,
        Func<IServiceProvider, (string ConnectionString, int? MaxConnections)> ingestion)
    {
        services.AddScoped<DeploymentService>();
        services.AddScoped<ApiTokenService>();
        services.AddScoped<DeploymentMetrics>();
        services.AddScoped<DeploymentExporter>();
        services.AddScoped<IncidentService>();
        services.AddScoped<EnvironmentRulesService>();
        services.AddKeyedSingleton(nameof(DeploymentIngestion), (sp, _) =>
        {
            var (connectionString, maxConnections) = ingestion(sp);
            return DeploymentIngestion.CreateDataSource(connectionString, maxConnections);
        });
        services.AddSingleton(sp => new DeploymentIngestion(sp.GetRequiredKeyedService<NpgsqlDataSource>(nameof(DeploymentIngestion))));
        services.AddSingleton<IngestionRetention>();
        return services;
    }
}
