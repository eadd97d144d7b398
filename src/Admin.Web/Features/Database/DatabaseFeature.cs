using Admin.Data.Database;
using Admin.Web.Infrastructure;

namespace Admin.Web.Features.Database;

public static class DatabaseFeature
{
    public static IServiceCollection AddDatabaseFeature(this IServiceCollection services)
    {
        services.AddDatabaseData(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            return new MonitoringTargets(
                configuration.GetConnectionString(DatabaseExtensions.AppConnectionName)!, Named(configuration, "Monitoring:Targets"),
                configuration.GetConnectionString(DatabaseExtensions.ExplainConnectionName), Named(configuration, "Monitoring:Explain"));
        });

        // Deploy-aware regressions: which events count, windows and thresholds (Monitoring:Regressions).
        services.AddSingleton(sp => sp.GetRequiredService<IConfiguration>().GetSection(RegressionOptions.Section).Get<RegressionOptions>() ?? new RegressionOptions());

        // The statistics history's sampler (one sampling instance at a time) is hosted here.
        services.AddOptions<SamplerOptions>().BindConfiguration(SamplerOptions.Section);
        services.AddSingleton<SamplerState>();
        services.AddHostedService<StatisticsSamplerService>();
        // Alert notices go out from every instance, each notice once.
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section);
        services.AddHttpClient(AlertDeliveryService.HttpClientName, c => c.DefaultRequestHeaders.UserAgent.ParseAdd("Admin-Alerts/1.0"));
        services.AddHostedService<AlertDeliveryService>();
        return services;
    }

    private static Dictionary<string, string> Named(IConfiguration configuration, string section) =>
        configuration.GetSection(section).GetChildren()
            .Where(c => !string.IsNullOrWhiteSpace(c.Value))
            .ToDictionary(c => c.Key, c => c.Value!);
}
