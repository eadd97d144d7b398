namespace Admin.Web.Features.Audit;

public static class AuditFeature
{
    public static IServiceCollection AddAuditFeature(this IServiceCollection services)
    {
        services.AddHostedService<AuditPartitionMaintainer>();
        services.AddScoped<AuditQueries>();
        return services;
    }
}
