using Admin.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Account;

/// <summary>Writes the account area's audit rows (sign-in, sign-out, throttling, user administration) through <see cref="AuditWriter"/>.</summary>
public sealed class AccountAudit(IDbContextFactory<AdminDbContext> dbFactory)
{
    /// <summary>Writes <paramref name="entry"/> in its own connection; returns the audit row's id.</summary>
    public async Task<long> WriteAsync(AuditEntry entry, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AuditWriter.WriteAsync(db, entry, ct);
    }
}
