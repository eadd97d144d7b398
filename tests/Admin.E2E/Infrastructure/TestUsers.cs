using Admin.Data.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.E2E.Infrastructure;

/// <summary>Accounts a test makes for itself (through the app's own UserManager), so demo users stay untouched.</summary>
public static class TestUsers
{
    public const string Password = "E2e-Test-Pass-2026";

    public static string NewEmail(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)] + "@e2e.local";

    public static async Task<DemoUser> CreateAsync(AppFixture app, string prefix, string role)
    {
        var email = NewEmail(prefix);
        await using var scope = app.Factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = $"E2E {prefix}" };
        Check(await users.CreateAsync(user, Password));
        Check(await users.AddToRoleAsync(user, role));
        return new DemoUser(email, Password, user.DisplayName, [role], [], []);
    }

    private static void Check(IdentityResult result) =>
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => e.Description)));
}
