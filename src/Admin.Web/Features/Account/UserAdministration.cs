using System.Security.Claims;
using Admin.Data;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Features.Account;

public sealed record UserRow(
    Guid Id, string Email, string DisplayName, bool IsDisabled, DateTimeOffset? LockoutEnd, int FailedAttempts,
    DateTimeOffset CreatedAt, IReadOnlyList<string> Roles, IReadOnlyList<string> Brands, IReadOnlyList<string> Locales)
{
    public bool IsLockedOut => LockoutEnd is { } end && end > DateTimeOffset.UtcNow && !IsDisabled;
}

public sealed record UserChange(string Email, string DisplayName, IReadOnlyList<string> Roles, IReadOnlyList<string> Brands, IReadOnlyList<string> Locales);

/// <summary>A failed admin action, with a message fit to show the admin as is.</summary>
public sealed class UserAdministrationException(string message) : Exception(message);

/// <summary>
/// What the Admin-only users page does: list, create, disable/enable, reset password, set roles and scopes. Every change
/// goes through Identity's UserManager (password policy, concurrency stamps) and is audited with before/after values.
/// </summary>
public sealed class UserAdministration(
    UserManager<AppUser> users,
    AccountDbContext accounts,
    IDbContextFactory<AdminDbContext> adminDb)
{
    /// <summary>All users with their roles and scopes, in three set-based queries (no per-user round trips).</summary>
    public Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct = default) => QueryAsync(null, ct);

    private async Task<IReadOnlyList<UserRow>> QueryAsync(Guid? only, CancellationToken ct = default)
    {
        accounts.ChangeTracker.Clear();
        var people = await accounts.Users.AsNoTracking().Where(u => only == null || u.Id == only).OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await (from ur in accounts.UserRoles
                           join r in accounts.Roles on ur.RoleId equals r.Id
                           where only == null || ur.UserId == only
                           select new { ur.UserId, r.Name }).AsNoTracking().ToListAsync(ct);
        var scopes = await accounts.UserClaims.AsNoTracking()
            .Where(c => only == null || c.UserId == only)
            .Where(c => c.ClaimType == ScopeClaims.Brand || c.ClaimType == ScopeClaims.Locale)
            .Select(c => new { c.UserId, c.ClaimType, c.ClaimValue }).ToListAsync(ct);
        var rolesByUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        var scopesByUser = scopes.ToLookup(s => s.UserId);
        return people.Select(u => new UserRow(
            u.Id, u.Email ?? "", u.DisplayName, u.IsDisabled, u.LockoutEnd, u.AccessFailedCount, u.CreatedAt,
            rolesByUser[u.Id].Order().ToList(),
            scopesByUser[u.Id].Where(s => s.ClaimType == ScopeClaims.Brand).Select(s => s.ClaimValue!).Order().ToList(),
            scopesByUser[u.Id].Where(s => s.ClaimType == ScopeClaims.Locale).Select(s => s.ClaimValue!).Order().ToList())).ToList();
    }

    public async Task<Guid> CreateAsync(UserChange change, string password)
    {
        accounts.ChangeTracker.Clear();
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
        accounts.ChangeTracker.Clear();
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
        accounts.ChangeTracker.Clear();
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
        var before = (await QueryAsync(id)).SingleOrDefault()
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

    private async Task AuditAsync(string action, Guid userId, object? before, object? after)
    {
        await using var db = await adminDb.CreateDbContextAsync();
        await AuditWriter.WriteAsync(db, new AuditEntry(action, "users", userId.ToString(), before, after));
    }
}
