using Admin.Web.Features.Audit;
using Admin.Data;
using Admin.Data.Migrations;
using Admin.Data.Session;
using Admin.Web.Features.Account;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Admin.Web.Infrastructure;

/// <summary>Connection strings, EF Core contexts with the per-connection session context, migrations at start-up.</summary>
public static class DatabaseExtensions
{
    public const string AppConnectionName = "Admin";
    public const string OwnerConnectionName = "AdminOwner";
    public const string ExplainConnectionName = "AdminExplain";

    public static IServiceCollection AddDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        var appConnection = configuration.GetConnectionString(AppConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{AppConnectionName} is not configured (see README, Configuration).");
        // Migrations need the schema owner; without a separate owner connection the app role must own the schema.
        var ownerConnection = configuration.GetConnectionString(OwnerConnectionName) ?? appConnection;

        services.AddHttpContextAccessor();
        services.AddScoped<CircuitUserState>();
        services.AddScoped<ISessionContextSource, CurrentUserSessionContext>();
        services.AddAdminData(appConnection);
        services.AddSingleton(sp => new DatabaseMigrator(ownerConnection, sp.GetRequiredService<ILogger<DatabaseMigrator>>()));
        return services;
    }

    /// <summary>Handles `migrate`, `seed [--scale small|large]` and `audit verify`; returns true when a command ran and the process should exit.</summary>
    public static async Task<bool> RunCommandAsync(this WebApplication app, string[] args)
    {
        var command = args.FirstOrDefault(a => !a.StartsWith('-') && !a.Contains('='));
        switch (command)
        {
            case null:
                return false;
            case "migrate":
                await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
                return true;
            case "seed":
                var scale = SeedScaleParser.Parse(args);
                await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
                await DemoSeeder.SeedAsync(app.Services, scale, app.Environment);
                return true;
            case "audit" when args.Contains("verify"):
                Environment.ExitCode = await AuditVerifyCommand.RunAsync(app.Services) ? 0 : 1;
                return true;
            default:
                throw new ArgumentException($"Unknown command '{command}'. Commands: migrate, seed [--scale small|large], audit verify.");
        }
    }

    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AdminOptions>>().Value;
        if (options.MigrateOnStartup)
            await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        if (options.DemoSeed)
            await DemoSeeder.SeedAsync(app.Services, SeedScale.Small, app.Environment);
    }

    /// <summary>A dedicated, unpooled connection string for LISTEN (a pooled connection would be reset on return).</summary>
    public static string ListenerConnectionString(IConfiguration configuration) =>
        new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(AppConnectionName))
        {
            Pooling = false,
            KeepAlive = 10,
            ApplicationName = "admin-live-listener",
        }.ConnectionString;
}
