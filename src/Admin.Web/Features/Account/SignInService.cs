using System.Security.Claims;
using Admin.Data.Account;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Account;

public enum SignInOutcome { Succeeded, Failed, LockedOut, Disabled }

/// <summary>
/// Password sign-in and sign-out, each attempt written to the audit trail with the request's id and address.
/// An unknown email, a wrong password, a disabled account and a locked account get the same answer
/// (<see cref="FailureMessage"/>) after the same work: one password hash verification each (against a dummy hash when
/// there is no account, or no check would otherwise run), so neither the words nor the time tell whether an account
/// exists. The audit row keeps the real reason for admins.
/// </summary>
public sealed class SignInService(
    SignInManager<AppUser> signInManager,
    UserManager<AppUser> users,
    AccountAudit audit,
    IHttpContextAccessor http,
    IOptions<IdentityOptions> identity)
{
    private static string? _dummyHash;

    /// <summary>What the sign-in page says for every failed attempt, whatever the reason.</summary>
    public string FailureMessage
    {
        get
        {
            var lockout = identity.Value.Lockout;
            return "That email and password do not match an account that can sign in. Check both and try again. " +
                   $"After {lockout.MaxFailedAccessAttempts} failed attempts an account is locked for {lockout.DefaultLockoutTimeSpan.TotalMinutes:0} minutes; " +
                   "an administrator can unlock or enable it.";
        }
    }

    public async Task<SignInOutcome> PasswordSignInAsync(string email, string password, bool remember)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            VerifyPassword(null, password);
            await AuditAsync(AuditActions.LoginFailed, null, email, [], new { email, reason = "unknown email" });
            return SignInOutcome.Failed;
        }
        var roles = (await users.GetRolesAsync(user)).Order().ToList();
        if (user.IsDisabled)
        {
            VerifyPassword(user, password);
            await AuditAsync(AuditActions.LoginFailed, user.Id, user.Email, roles, new { email, reason = "account disabled" });
            return SignInOutcome.Disabled;
        }
        if (await users.IsLockedOutAsync(user))
        {
            // Identity refuses a locked account without looking at the password: hash it anyway, for the time's sake.
            VerifyPassword(user, password);
            await AuditAsync(AuditActions.LockedOut, user.Id, user.Email, roles, new { email, lockedUntil = user.LockoutEnd });
            return SignInOutcome.LockedOut;
        }

        var result = await signInManager.PasswordSignInAsync(user, password, remember, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            await AuditAsync(AuditActions.LoginSucceeded, user.Id, user.Email, roles, new { email });
            return SignInOutcome.Succeeded;
        }
        if (result.IsLockedOut)
        {
            await AuditAsync(AuditActions.LockedOut, user.Id, user.Email, roles,
                new { email, lockedUntil = await users.GetLockoutEndDateAsync(user) });
            return SignInOutcome.LockedOut;
        }
        await AuditAsync(AuditActions.LoginFailed, user.Id, user.Email, roles,
            new { email, reason = "wrong password", failedAttempts = await users.GetAccessFailedCountAsync(user) });
        return SignInOutcome.Failed;
    }

    /// <summary>One password hash verification whose result is ignored: the user's hash, or a dummy one of the same cost.</summary>
    private void VerifyPassword(AppUser? user, string password)
    {
        var hash = user?.PasswordHash ?? (_dummyHash ??= users.PasswordHasher.HashPassword(new AppUser(), Guid.NewGuid().ToString()));
        users.PasswordHasher.VerifyHashedPassword(user ?? new AppUser(), hash, password);
    }

    public async Task SignOutAsync(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated == true)
            await AuditAsync(AuditActions.Logout, null, null, null, null);
        await signInManager.SignOutAsync();
    }

    private async Task AuditAsync(string action, Guid? actorId, string? email, IReadOnlyList<string>? roles, object? data)
    {
        var context = http.HttpContext;
        await audit.WriteAsync(new AuditEntry(
            action,
            TableName: "users",
            RecordId: actorId?.ToString(),
            NewData: data,
            ActorId: actorId,
            ActorEmail: email,
            ActorRoles: roles,
            RequestId: context?.TraceIdentifier,
            ClientAddress: context?.Connection.RemoteIpAddress));
    }
}
