using Admin.Data.Account;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Account;

/// <summary>
/// Identity's sign-in manager with the one rule every revalidation shares: the cookie's security-stamp check
/// (<see cref="SecurityStampValidator"/>, every <see cref="AccountOptions.RevalidationInterval"/>), Blazor circuits
/// (<see cref="RevalidatingIdentityStateProvider"/>) and hub connections (<see cref="Live.LiveConnectionRevalidator"/>)
/// all call <see cref="ValidateSecurityStampAsync(ClaimsPrincipal?)"/>. A session stays valid while its account exists,
/// is not disabled and has the security stamp it was issued with (disabling, role and scope changes and password
/// resets renew the stamp; a disabled account fails even if its stamp was left alone, e.g. when disabled in SQL).
/// </summary>
public sealed class AppSignInManager(
    UserManager<AppUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<AppUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<AppUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<AppUser> confirmation)
    : SignInManager<AppUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<AppUser?> ValidateSecurityStampAsync(ClaimsPrincipal? principal) =>
        await base.ValidateSecurityStampAsync(principal) is { IsDisabled: false } user ? user : null;

    /// <summary>The same check from a singleton (circuit or hub revalidation): a scope, and so a database context, of its own.</summary>
    public static async Task<bool> IsSessionValidAsync(IServiceScopeFactory scopes, ClaimsPrincipal principal)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SignInManager<AppUser>>().ValidateSecurityStampAsync(principal) is not null;
    }
}
