using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Account;

/// <summary>
/// Reads the users with their roles and scopes for the users page and the administration rules (last admin, before/after
/// values for the audit). Changes go through Identity's UserManager (password policy, concurrency stamps), not here.
/// </summary>
public sealed class UserDirectory(AccountDbContext accounts)
{
    /// <summary>All users with their roles and scopes, in three set-based queries (no per-user round trips).</summary>
    public Task<IReadOnlyList<UserRow>> ListAsync(CancellationToken ct = default) => QueryAsync(null, ct);

    /// <summary>One user, or null when there is no such user.</summary>
    public async Task<UserRow?> FindAsync(Guid id, CancellationToken ct = default) => (await QueryAsync(id, ct)).SingleOrDefault();

    /// <summary>
    /// Forgets what the scope's Identity context tracks (it is the one UserManager's stores use, alive as long as the
    /// circuit): a change starts from the database's rows, not from entities another action left behind.
    /// </summary>
    public void ForgetTracked() => accounts.ChangeTracker.Clear();

    private async Task<IReadOnlyList<UserRow>> QueryAsync(Guid? only, CancellationToken ct)
    {
        accounts.ChangeTracker.Clear();
        var people = await accounts.Users.AsNoTracking().Where(u => only == null || u.Id == only).OrderBy(u => u.Email).ToListAsync(ct);
        var roles = await (from ur in accounts.UserRoles
                           join r in accounts.Roles on ur.RoleId equals r.Id
                           where only == null || ur.UserId == only
                           select new { ur.UserId, r.Name }).AsNoTracking().ToListAsync(ct);
        var scopes = await accounts.UserClaims.AsNoTracking()
            .Where(c => only == null || c.UserId == only)
            .Where(c => c.ClaimType == AccountClaims.Brand || c.ClaimType == AccountClaims.Locale)
            .Select(c => new { c.UserId, c.ClaimType, c.ClaimValue }).ToListAsync(ct);
        var rolesByUser = roles.ToLookup(r => r.UserId, r => r.Name!);
        var scopesByUser = scopes.ToLookup(s => s.UserId);
        return people.Select(u => new UserRow(
            u.Id, u.Email ?? "", u.DisplayName, u.IsDisabled, u.LockoutEnd, u.AccessFailedCount, u.CreatedAt,
            rolesByUser[u.Id].Order().ToList(),
            scopesByUser[u.Id].Where(s => s.ClaimType == AccountClaims.Brand).Select(s => s.ClaimValue!).Order().ToList(),
            scopesByUser[u.Id].Where(s => s.ClaimType == AccountClaims.Locale).Select(s => s.ClaimValue!).Order().ToList())).ToList();
    }
}
