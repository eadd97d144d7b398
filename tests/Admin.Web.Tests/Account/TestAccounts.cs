using Admin.Data.Account;
using System.Security.Claims;
using Admin.Web.Features.Account;
using Admin.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Account;

/// <summary>Accounts of a test's own, created through Identity, and user administration as the demo admin.</summary>
public static class TestAccounts
{
    public const string Password = "Correct-Horse-42";

    /// <summary>A new user with one role and the password <see cref="Password"/>.</summary>
    public static async Task<(Guid Id, string Email)> CreateAsync(IServiceProvider services, string role, string prefix = "user")
    {
        var email = $"{prefix}-{Guid.NewGuid():N}@test.local";
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = email, Email = email, DisplayName = "Test " + prefix };
        Assert.True((await users.CreateAsync(user, Password)).Succeeded);
        Assert.True((await users.AddToRoleAsync(user, role)).Succeeded);
        return (user.Id, email);
    }

    /// <summary>Runs user administration as the demo admin, whose identity the scope's database session carries (as a circuit's would).</summary>
    public static async Task<T> AsAdminAsync<T>(IServiceProvider services, Func<UserAdministration, ClaimsPrincipal, Task<T>> action)
    {
        await using var scope = services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var admin = await users.FindByEmailAsync(DemoLogins.For(AppRoles.Admin).Email);
        var principal = await scope.ServiceProvider.GetRequiredService<SignInManager<AppUser>>().CreateUserPrincipalAsync(admin!);
        scope.ServiceProvider.GetRequiredService<CircuitUserState>().User = principal;
        return await action(scope.ServiceProvider.GetRequiredService<UserAdministration>(), principal);
    }

    public static Task AsAdminAsync(IServiceProvider services, Func<UserAdministration, ClaimsPrincipal, Task> action) =>
        AsAdminAsync(services, async (admin, principal) =>
        {
            await action(admin, principal);
            return true;
        });
}
