using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Data.Account;

public static class AccountDataExtensions
{
    /// <summary>Identity's context (the app role's connections with the session context) and the account area's data services.</summary>
    public static IServiceCollection AddAccountData(this IServiceCollection services)
    {
        services.AddDbContextFactory<AccountDbContext>(DataServiceCollectionExtensions.ConfigureAppContext, ServiceLifetime.Scoped);
        services.AddScoped<UserDirectory>();
        services.AddScoped<AccountAudit>();
        return services;
    }

    /// <summary>Identity's EF Core user and role stores over <see cref="AccountDbContext"/>.</summary>
    public static IdentityBuilder AddAccountStores(this IdentityBuilder identity) =>
        identity.AddEntityFrameworkStores<AccountDbContext>();
}
