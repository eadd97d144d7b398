using System.Security.Claims;

namespace Admin.Web.Tests;

/// <summary>A signed-in user as services see it (id, name, email and one role), for calling services directly.</summary>
public static class TestPrincipals
{
    public static ClaimsPrincipal WithRole(string role, string email) => new(new ClaimsIdentity(
        [new Claim(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()), new Claim(ClaimTypes.Name, email), new Claim(ClaimTypes.Email, email), new Claim(ClaimTypes.Role, role)],
        "test"));
}
