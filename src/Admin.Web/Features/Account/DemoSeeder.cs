using Admin.Data.Account;
using Admin.Data.Setup;
using Microsoft.AspNetCore.Identity;

namespace Admin.Web.Features.Account;

public enum SeedScale { Small, Large }

public static class SeedScaleParser
{
    public static SeedScale Parse(string[] args)
    {
        var i = Array.IndexOf(args, "--scale");
        var value = i >= 0 && i + 1 < args.Length ? args[i + 1] : "small";
        return value switch
        {
            "small" => SeedScale.Small,
            "large" => SeedScale.Large,
            _ => throw new ArgumentException($"--scale must be small or large, not '{value}'."),
        };
    }
}

/// <summary>A demo login that `./admin run` seeds (never in Production). The README lists the same accounts.</summary>
public sealed record DemoUser(string Email, string Password, string DisplayName, string[] Roles, string[] Brands, string[] Locales);

/// <summary>
/// Demo data for local runs: reference rows (as the schema owner, since the app role only reads them), one user per
/// role, some audit history so the home chart has a shape, and the demo catalog and homepage content
/// (<see cref="DemoData"/>, Admin.Data). Idempotent: a second run changes nothing.
/// </summary>
public static class DemoSeeder
{
    public static readonly IReadOnlyList<DemoUser> Users =
    [
        new("admin@admin.local", "Admin-Demo-2026", "Ada Admin", [AppRoles.Admin], ["acme", "globex", "initech"], ["en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "nl-NL"]),
        new("editor@admin.local", "Editor-Demo-2026", "Eddie Editor", [AppRoles.Editor], ["acme"], ["en-GB", "de-DE"]),
        new("editor.globex@admin.local", "Editor-Demo-2026", "Gloria Globex", [AppRoles.Editor], ["globex"], ["fr-FR"]),
        new("release@admin.local", "Release-Demo-2026", "Rita Release", [AppRoles.ReleaseManager], ["acme", "globex"], ["en-GB", "de-DE", "fr-FR"]),
        new("dba@admin.local", "Dba-Demo-2026", "Dan DBA", [AppRoles.Dba], [], []),
    ];

    public static async Task SeedAsync(IServiceProvider services, SeedScale scale, IHostEnvironment environment)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoSeeder));
        // Demo users have published passwords: never outside Development (Staging included).
        if (!environment.IsDevelopment())
        {
            logger.LogWarning("Demo seeding is done in Development only (this is {Environment}); skipped", environment.EnvironmentName);
            return;
        }
        var ownerConnection = services.GetRequiredService<IConfiguration>().GetConnectionString(Infrastructure.DatabaseExtensions.OwnerConnectionName)
            ?? services.GetRequiredService<IConfiguration>().GetConnectionString(Infrastructure.DatabaseExtensions.AppConnectionName)!;

        logger.LogInformation("Seeding demo data ({Scale})", scale);
        await DemoData.SeedReferenceAsync(ownerConnection);

        await using (var scope = services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            foreach (var demo in Users)
                await EnsureUserAsync(users, demo, logger);
        }

        var content = services.GetRequiredService<IConfiguration>().GetValue($"{Infrastructure.AdminOptions.Section}:DemoContent", true);
        await DemoData.SeedAfterUsersAsync(ownerConnection, scale == SeedScale.Large, content, logger);
    }

    private static async Task EnsureUserAsync(UserManager<AppUser> users, DemoUser demo, ILogger logger)
    {
        if (await users.FindByEmailAsync(demo.Email) is not null) return;
        var user = new AppUser { UserName = demo.Email, Email = demo.Email, EmailConfirmed = true, DisplayName = demo.DisplayName };
        Check(await users.CreateAsync(user, demo.Password), demo.Email);
        Check(await users.AddToRolesAsync(user, demo.Roles), demo.Email);
        var claims = demo.Brands.Select(b => new System.Security.Claims.Claim(ScopeClaims.Brand, b))
            .Concat(demo.Locales.Select(l => new System.Security.Claims.Claim(ScopeClaims.Locale, l)));
        Check(await users.AddClaimsAsync(user, claims), demo.Email);
        logger.LogInformation("Demo user {Email} ({Roles}) created", demo.Email, string.Join(", ", demo.Roles));
    }

    private static void Check(IdentityResult result, string email)
    {
        if (!result.Succeeded)
            throw new InvalidOperationException($"Seeding {email} failed: {string.Join("; ", result.Errors.Select(e => e.Description))}");
    }
}
