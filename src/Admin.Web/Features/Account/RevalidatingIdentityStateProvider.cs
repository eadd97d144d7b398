using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Account;

/// <summary>
/// Re-checks a connected circuit's user every <see cref="AccountOptions.RevalidationInterval"/> (a minute): a disabled
/// user, a changed security stamp (password reset, role change) or a deleted account ends the session without waiting
/// for the cookie to expire. The check is <see cref="AppSignInManager.IsSessionValidAsync"/>, as for cookies and hubs.
/// </summary>
public sealed class RevalidatingIdentityStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopeFactory,
    IOptions<AccountOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct) =>
        AppSignInManager.IsSessionValidAsync(scopeFactory, state.User);
}
