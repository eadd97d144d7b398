using System.Security.Claims;
using Admin.Data;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Features.Account;

public enum SignInOutcome { Succeeded, Failed, LockedOut, Disabled }

/// <summary>Password sign-in and sign-out, each attempt written to the audit trail with the request's id and address.</summary>
public sealed class SignInService(
    SignInManager<AppUser> signInManager,
    UserManager<AppUser> users,
    IDbContextFactory<AdminDbContext> dbFactory,
    IHttpContextAccessor http)
{
    public async Task<SignInOutcome> PasswordSignInAsync(string email, string password, bool remember)
    {
        var user = await users.FindByEmailAsync(email.Trim());
        if (user is null)
        {
            await AuditAsync(AuditActions.LoginFailed, null, email, [], new { email, reason = "unknown email" });
            return SignInOutcome.Failed;
        }
        var roles = (await users.GetRolesAsync(user)).Order().ToList();
        if (user.IsDisabled)
        {
            await AuditAsync(AuditActions.LoginFailed, user.Id, user.Email, roles, new { email, reason = "account disabled" });
            return SignInOutcome.Disabled;
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

    public async Task SignOutAsync(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated == true)
            await AuditAsync(AuditActions.Logout, null, null, null, null);
        await signInManager.SignOutAsync();
    }

    private async Task AuditAsync(string action, Guid? actorId, string? email, IReadOnlyList<string>? roles, object? data)
    {
        var context = http.HttpContext;
        await using var db = await dbFactory.CreateDbContextAsync();
        await AuditWriter.WriteAsync(db, new AuditEntry(
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
