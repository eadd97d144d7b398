namespace Admin.Web.Features.Audit;

/// <summary>The audit area's hosting: the partition maintainer and the export endpoint (its data services are Admin.Data's).</summary>
public static class AuditFeature
{
    public static IServiceCollection AddAuditFeature(this IServiceCollection services)
    {
        services.AddHostedService<AuditPartitionMaintainer>();
        return services;
    }

    public static WebApplication MapAuditFeature(this WebApplication app) => app.MapAuditExport();
}
