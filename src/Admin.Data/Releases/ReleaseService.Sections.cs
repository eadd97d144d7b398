using Admin.Data.Security;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Releases;

/// <summary>A homepage section's change in a release, as the section editor lists them.</summary>
public sealed record SectionInRelease(long ReleaseId, string ReleaseName, string Status, int? VersionNumber);

/// <summary>
/// Homepage sections in releases (table release_sections): a release carries a chosen version of a section, or its
/// take-down, and publishes them all in its deploy's transaction. The rules (draft only, locales, conflicts, publish on
/// deploy, put back on rollback) are the schema's; see migration ReleaseSections.
/// </summary>
public sealed partial class ReleaseService
{
    /// <summary>
    /// Puts version <paramref name="versionNumber"/> of the section in the draft release (replacing the release's earlier
    /// choice for it), or with no number, the section's take-down.
    /// </summary>
    public Task AddSectionAsync(long releaseId, Guid sectionId, int? versionNumber, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            await RequireDraftAsync(db, releaseId, ct);
            var section = await db.HomepageSections.AsNoTracking().Where(s => s.Id == sectionId)
                .Select(s => new { s.SectionKey, s.Locale, s.PublishedVersionId }).SingleOrDefaultAsync(ct)
                ?? throw new ReleaseException("That homepage section does not exist.", "section");
            Guid? versionId = null;
            if (versionNumber is { } number)
            {
                versionId = await db.SectionVersions.Where(v => v.SectionId == sectionId && v.VersionNumber == number).Select(v => (Guid?)v.Id).SingleOrDefaultAsync(ct)
                    ?? throw new ReleaseException($"Section \"{section.SectionKey}\" has no version {number}.", "version");
            }
            else if (section.PublishedVersionId is null)
            {
                throw new ReleaseException($"Section \"{section.SectionKey}\" is not published, so there is nothing to take down.", "version");
            }
            RlsSubject.Describe(new RlsSubject("release_sections", sectionId.ToString(), Locale: section.Locale,
                Description: $"section '{section.SectionKey}' ({section.Locale})"));
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO release_sections (release_id, section_id, version_id, locale, section_key, section_type)
                VALUES ({releaseId}, {sectionId}, {versionId}, '', '', '')
                ON CONFLICT ON CONSTRAINT release_sections_one_per_release DO UPDATE SET version_id = EXCLUDED.version_id
                """, ct);
            return 0;
        }, ct);
    }

    /// <summary>The open releases that carry this section, newest first, with the version each publishes (null: a take-down).</summary>
    public async Task<IReadOnlyList<SectionInRelease>> SectionReleasesAsync(Guid sectionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<SectionInRelease>($"""
            SELECT r.id AS "release_id", r.name AS "release_name", r.status AS "status", v.version_number AS "version_number"
            FROM release_sections rs
            JOIN releases r ON r.id = rs.release_id
            LEFT JOIN section_versions v ON v.id = rs.version_id
            WHERE rs.section_id = {sectionId} AND r.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED')
            ORDER BY r.id DESC
            LIMIT {MaxPageSize}
            """).ToListAsync(ct);
    }
}
