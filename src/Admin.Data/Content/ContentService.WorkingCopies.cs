using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Content;

/// <summary>An editor's autosaved, unsaved changes to a section: the content, the version it was edited on, when.</summary>
public sealed record WorkingCopy(int BaseVersion, JsonObject Content, DateTimeOffset SavedAt);

public sealed partial class ContentService
{
    /// <summary>
    /// Keeps the signed-in editor's unsaved content of a section (one working copy per editor and section, replaced
    /// on every call). Row-level security keeps it theirs: no one else reads or overwrites it.
    /// </summary>
    public async Task SaveWorkingCopyAsync(Guid sectionId, int baseVersion, JsonObject content, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = content.ToJsonString();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO section_working_copies (section_id, user_id, base_version, content, saved_at)
            VALUES ({sectionId}, app_user_id(), {baseVersion}, {json}::jsonb, now())
            ON CONFLICT (section_id, user_id) DO UPDATE
                SET base_version = excluded.base_version, content = excluded.content, saved_at = excluded.saved_at
            """, ct);
    }

    /// <summary>The signed-in editor's working copy of a section, or null.</summary>
    public async Task<WorkingCopy?> WorkingCopyAsync(Guid sectionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<WorkingCopyRow>($"""
            SELECT base_version AS "base_version", content::text AS "content", saved_at AS "saved_at"
            FROM section_working_copies WHERE section_id = {sectionId} AND user_id = app_user_id()
            """).ToListAsync(ct);
        return rows is [var row] ? new WorkingCopy(row.BaseVersion, (JsonObject)JsonNode.Parse(row.Content)!, row.SavedAt) : null;
    }

    /// <summary>Forgets the signed-in editor's working copy of a section (after a save, or when they discard it).</summary>
    public async Task DiscardWorkingCopyAsync(Guid sectionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.ExecuteSqlAsync($"DELETE FROM section_working_copies WHERE section_id = {sectionId} AND user_id = app_user_id()", ct);
    }

    private sealed record WorkingCopyRow(int BaseVersion, string Content, DateTimeOffset SavedAt);
}
