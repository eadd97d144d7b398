using Admin.Data.Live;
using Admin.Data.Reference;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Content;

public sealed partial class ContentService
{
    /// <summary>The active content locales, by code (for the locale pickers of the content pages).</summary>
    public async Task<IReadOnlyList<CodeName>> ActiveLocalesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Locales.AsNoTracking().Where(l => l.IsActive).OrderBy(l => l.Code)
            .Select(l => new CodeName(l.Code, l.Name)).ToListAsync(ct);
    }

    /// <summary>
    /// Tells every app instance that the signed-in user has a section open (or closed it): a live event on
    /// <paramref name="topic"/> whose actor is this user (the session context), id the section and kind <paramref name="kind"/>.
    /// </summary>
    public async Task AnnouncePresenceAsync(string topic, Guid sectionId, string kind, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await LiveNotifier.NotifyAsync(db, topic, sectionId.ToString(), kind, ct);
    }
}
