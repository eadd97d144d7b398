using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Admin.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Registers one pooled data source for the app role and a scoped AdminDbContext factory whose connections carry
    /// the scope's session context. Scoped, because the session context belongs to a request or a Blazor circuit.
    /// </summary>
    public static IServiceCollection AddAdminData(this IServiceCollection services, string appConnectionString)
    {
        services.AddSingleton(_ =>
        {
            var builder = new NpgsqlDataSourceBuilder(appConnectionString);
            // A context disposed while its connection is open (OpenConnection, an unfinished transaction) hands the
            // connection back without SessionContextInterceptor seeing it open; only Npgsql's reset on return (DISCARD
            // ALL) then clears the user's app.* settings, so No Reset On Close must not switch it off.
            builder.ConnectionStringBuilder.NoResetOnClose = false;
            return builder.Build();
        });
        services.AddDbContextFactory<AdminDbContext>(ConfigureAppContext, ServiceLifetime.Scoped);
        services.AddScoped<Reference.ReferenceQueries>();
        services.AddSingleton<Content.DeliveryQueries>();
        services.AddSingleton<Content.ScheduleRunner>();
        services.AddSingleton<Releases.ReleaseScheduleRunner>();
        services.AddScoped<Releases.ReleaseService>();
        services.AddScoped<Content.ContentReviews>();
        services.AddScoped<Audit.AuditSearch>();
        services.AddScoped<Audit.AuditQueries>();
        services.AddScoped<Audit.AuditMaintenance>();
        services.AddDbContext<Infrastructure.DataProtectionKeysContext>(
            (sp, options) => options.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()), ServiceLifetime.Transient, ServiceLifetime.Singleton);
        return services;
    }

    /// <summary>The options every context of the app role uses: the shared data source, the session context, denial records.</summary>
    public static void ConfigureAppContext(IServiceProvider services, DbContextOptionsBuilder options)
    {
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        var session = services.GetRequiredService<ISessionContextSource>();
        options.UseNpgsql(dataSource);
        options.AddInterceptors(new SessionContextInterceptor(session), new DenialInterceptor(dataSource, session));
    }
}
