using Admin.Data.Audit;

namespace Admin.Web.Features.Audit;

public static class AuditFeature
{
    public static IServiceCollection AddAuditFeature(this IServiceCollection services)
    {
        services.AddHostedService<AuditPartitionMaintainer>();
        services.AddScoped<AuditQueries>();
        services.AddScoped<AuditSearch>();
        return services;
    }

    public static WebApplication MapAuditFeature(this WebApplication app) => app.MapAuditExport();
}
