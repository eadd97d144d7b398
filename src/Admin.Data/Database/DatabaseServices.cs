using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>The role the Database area's actions are for (the same name as the Web's AppRoles.Dba and the roles table).</summary>
public static class DatabaseRoles
{
    public const string Dba = "Dba";

    /// <summary>How the role is named to people.</summary>
    public const string DbaLabel = "DBA";
}

public static class DatabaseServices
{
    /// <summary>
    /// The Database area's data services: panels' readers (overview, health, indexes, pre-deploy checks), the activity
    /// and slow-query services, the statistics history. <paramref name="targets"/> builds the monitored servers from
    /// the host's configuration (Monitoring:Targets, Monitoring:Explain).
    /// </summary>
    public static IServiceCollection AddDatabaseData(this IServiceCollection services, Func<IServiceProvider, MonitoringTargets> targets)
    {
        services.AddSingleton<DatabaseOverview>();
        services.AddSingleton<HealthChecks>();
        services.AddSingleton<IndexStats>();
        services.AddSingleton<PreDeployChecks>();
        services.AddSingleton(targets);
        services.AddScoped<DatabaseActivity>();
        services.AddScoped<DatabaseQueries>();
        services.AddSingleton<DatabaseReplication>();
        services.AddSingleton(sp => new PlanCapture(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new StatisticsHistory(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new StatisticsWindows(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new AlertEvaluator(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddScoped<AlertService>();
        services.AddSingleton(sp => new DeployRegressions(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<StatisticsWindows>(),
            sp.GetService<RegressionOptions>() ?? new RegressionOptions()));
        return services;
    }
}
