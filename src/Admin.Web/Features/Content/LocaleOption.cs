using Admin.Data;
using Admin.Data.Content;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Features.Content;

/// <summary>A content locale as the Releases pickers show it ("en-GB · English (United Kingdom)").</summary>
public sealed record LocaleOption(string Code, string Name)
{
    public string Label => $"{Code} · {Name}";

    /// <summary>
    /// The active locales, by code. Only Releases (ReleasePage, LiveContentPage) still use this; the content pages take
    /// <see cref="ContentService.ActiveLocalesAsync"/> and the shared LocalePicker. It goes when Releases moves.
    /// </summary>
    public static async Task<IReadOnlyList<LocaleOption>> LoadAsync(IDbContextFactory<AdminDbContext> dbFactory, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Locales.AsNoTracking().Where(l => l.IsActive).OrderBy(l => l.Code)
            .Select(l => new LocaleOption(l.Code, l.Name)).ToListAsync(ct);
    }
}
