using Admin.Web.Features.Account;

namespace Admin.Web.Tests;

public static class DemoLogins
{
    public static DemoUser For(string role) => DemoSeeder.Users.First(u => u.Roles.Contains(role));

    public static IEnumerable<object[]> Roles => AppRoles.All.Select(r => new object[] { r });
}
