using System.Security.Claims;
using Admin.Data.Account;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Identity;

namespace Admin.Web.Features.Account;

public sealed record UserChange(string Email, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Brands, IReadOnlyList<string> Locales);

/// <summary>A failed admin action, with a message fit to show the admin as is.</summary>
public sealed class UserAdministrationException(string message) : Exception(message);

/// <summary>
/// What the Admin-only users page does: list, create, disable/enable, reset password, set roles and scopes. Every change
/// goes through Identity's UserManager (password policy, concurrency stamps) and is audited with before/after values;
/// the reads are <see cref="UserDirectory"/>'s (Admin.Data).
/// </summary>
public sealed class UserAdministration(
    UserManager<AppUser> users,
    UserDirectory directory,
    AccountAudit audit)
{
    /// <summary>All users with their roles and scopes.</summary>
    public Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct = default) => directory.ListAsync(ct);

    public async Task<Guid> CreateAsync(UserChange change, string password)
    {
        directory.ForgetTracked();
        ValidateRoles(change.Roles);
        var user = new AppUser
        {
            UserName = change.Email.Trim(), Email = change.Email.Trim(), EmailConfirmed = true,
            DisplayName = change.DisplayName.Trim(),
        };
        Ensure(await users.CreateAsync(user, password));
        Ensure(await users.AddToRolesAsync(user, change.Roles));
        Ensure(await users.AddClaimsAsync(user, ScopeClaimsOf(change)));
        await AuditAsync(AuditActions.UserCreated, user.Id, null, Describe(change));
        return user.Id;
    }

    public async Task SetDisabledAsync(Guid id, bool disabled, ClaimsPrincipal actor)
    {
        directory.ForgetTracked();
        var user = await FindAsync(id);
        if (disabled && IsSelf(actor, id)) throw new UserAdministrationException("You cannot disable your own account.");
        if (disabled && await IsLastActiveAdminAsync(user))
            throw new UserAdministrationException("This is the last active admin; enable or create another admin first.");
        user.IsDisabled = disabled;
        Ensure(await users.UpdateAsync(user));
        // A new security stamp signs the user out of every open session at the next revalidation.
        Ensure(await users.UpdateSecurityStampAsync(user));
        await AuditAsync(disabled ? AuditActions.UserDisabled : AuditActions.UserEnabled, user.Id,
            new { isDisabled = !disabled }, new { isDisabled = disabled });
    }

    public async Task ResetPasswordAsync(Guid id, string newPassword)
    {
        directory.ForgetTracked();
        var user = await FindAsync(id);
        var token = await users.GeneratePasswordResetTokenAsync(user);
        Ensure(await users.ResetPasswordAsync(user, token, newPassword));
        // Clear a lockout too: an admin resetting the password means the person is who they say they are.
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await AuditAsync(AuditActions.PasswordReset, user.Id, null, new { email = user.Email });
    }

    public async Task UpdateAsync(Guid id, UserChange change, ClaimsPrincipal actor)
    {
        ValidateRoles(change.Roles);
        var before = await directory.FindAsync(id)
            ?? throw new UserAdministrationException("That user no longer exists.");
        var user = await FindAsync(id);

        if (IsSelf(actor, id) && before.Roles.Contains(AppRoles.Admin) && !change.Roles.Contains(AppRoles.Admin))
            throw new UserAdministrationException("You cannot remove the Admin role from yourself.");
        if (before.Roles.Contains(AppRoles.Admin) && !change.Roles.Contains(AppRoles.Admin) && await IsLastActiveAdminAsync(user))
            throw new UserAdministrationException("This is the last active admin; give another user the Admin role first.");

        if (user.DisplayName != change.DisplayName.Trim())
        {
            user.DisplayName = change.DisplayName.Trim();
            Ensure(await users.UpdateAsync(user));
        }
        var removedRoles = before.Roles.Except(change.Roles).ToList();
        var addedRoles = change.Roles.Except(before.Roles).ToList();
        if (removedRoles.Count > 0) Ensure(await users.RemoveFromRolesAsync(user, removedRoles));
        if (addedRoles.Count > 0) Ensure(await users.AddToRolesAsync(user, addedRoles));

        var currentScopes = (await users.GetClaimsAsync(user)).Where(c => c.Type is ScopeClaims.Brand or ScopeClaims.Locale).ToList();
        var wantedScopes = ScopeClaimsOf(change).ToList();
        var removeScopes = currentScopes.Where(c => !wantedScopes.Any(w => w.Type == c.Type && w.Value == c.Value)).ToList();
        var addScopes = wantedScopes.Where(w => !currentScopes.Any(c => c.Type == w.Type && c.Value == w.Value)).ToList();
        if (removeScopes.Count > 0) Ensure(await users.RemoveClaimsAsync(user, removeScopes));
        if (addScopes.Count > 0) Ensure(await users.AddClaimsAsync(user, addScopes));

        var rolesChanged = removedRoles.Count + addedRoles.Count > 0;
        var scopesChanged = removeScopes.Count + addScopes.Count > 0;
        if (rolesChanged || scopesChanged)
        {
            Ensure(await users.UpdateSecurityStampAsync(user));
        }
        if (rolesChanged)
            await AuditAsync(AuditActions.RolesChanged, id, new { roles = before.Roles }, new { roles = change.Roles.Order().ToList() });
        if (scopesChanged)
            await AuditAsync(AuditActions.ScopesChanged, id, new { brands = before.Brands, locales = before.Locales },
                new { brands = change.Brands.Order().ToList(), locales = change.Locales.Order().ToList() });
    }

    private async Task<AppUser> FindAsync(Guid id) =>
        await users.FindByIdAsync(id.ToString()) ?? throw new UserAdministrationException("That user no longer exists.");

    private async Task<bool> IsLastActiveAdminAsync(AppUser user)
    {
        if (!await users.IsInRoleAsync(user, AppRoles.Admin)) return false;
        var admins = await users.GetUsersInRoleAsync(AppRoles.Admin);
        return admins.Count(a => !a.IsDisabled && a.Id != user.Id) == 0;
    }

    private static bool IsSelf(ClaimsPrincipal actor, Guid id) => actor.FindFirstValue(ClaimTypes.NameIdentifier) == id.ToString();

    private static void ValidateRoles(IReadOnlyList<string> roles)
    {
        var unknown = roles.Except(AppRoles.All).ToList();
        if (unknown.Count > 0) throw new UserAdministrationException($"Unknown role: {string.Join(", ", unknown)}.");
    }

    private static IEnumerable<Claim> ScopeClaimsOf(UserChange change) =>
        change.Brands.Distinct().Select(b => new Claim(ScopeClaims.Brand, b))
            .Concat(change.Locales.Distinct().Select(l => new Claim(ScopeClaims.Locale, l)));

    private static object Describe(UserChange c) => new
    {
        email = c.Email, displayName = c.DisplayName, roles = c.Roles.Order().ToList(),
        brands = c.Brands.Order().ToList(), locales = c.Locales.Order().ToList(),
    };

    private static void Ensure(IdentityResult result)
    {
        if (!result.Succeeded)
            throw new UserAdministrationException(string.Join(" ", result.Errors.Select(e => e.Description)));
    }

    private Task AuditAsync(string action, Guid userId, object? before, object? after) =>
        audit.WriteAsync(new AuditEntry(action, "users", userId.ToString(), before, after));
}
