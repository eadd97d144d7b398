using Admin.Data.Infrastructure;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Content;

/// <summary>The kinds of note on a section version: a free comment, or a step of its review.</summary>
public static class NoteKinds
{
    public const string Comment = "comment";
    public const string ReviewRequested = "review_requested";
    public const string Approved = "approved";
    public const string ChangesRequested = "changes_requested";

    public static string Label(string kind) => kind switch
    {
        ReviewRequested => "asked for review",
        Approved => "approved",
        ChangesRequested => "sent back",
        _ => "commented",
    };
}

/// <summary>A note on a version (section_version_notes): who wrote what, when.</summary>
public sealed record VersionNote(long Id, int VersionNumber, string Kind, string Body, Guid? AuthorId, string? AuthorEmail, DateTimeOffset CreatedAt);

/// <summary>A section's review: whether its locale requires one before publishing, and the notes on its versions, oldest first.</summary>
public sealed record SectionReview(bool Required, IReadOnlyList<VersionNote> Notes)
{
    public static readonly SectionReview None = new(false, []);

    /// <summary>The version's review state: its latest review note's kind, or null when nobody asked for one.</summary>
    public string? StateOf(int version) => Notes.LastOrDefault(n => n.VersionNumber == version && n.Kind != NoteKinds.Comment)?.Kind;

    /// <summary>The version's latest review note (who asked, approved or sent back, and why).</summary>
    public VersionNote? LastStepOf(int version) => Notes.LastOrDefault(n => n.VersionNumber == version && n.Kind != NoteKinds.Comment);

    /// <summary>Whether the version may go live now (the database checks the same).</summary>
    public bool AllowsPublish(int version) => !Required || StateOf(version) == NoteKinds.Approved;

    public IEnumerable<VersionNote> NotesOf(int version) => Notes.Where(n => n.VersionNumber == version);
}

/// <summary>The review setting of a locale.</summary>
public sealed record ReviewLocale(string Locale, bool Required, string? UpdatedByEmail, DateTimeOffset? UpdatedAt);

/// <summary>
/// Review before publish: per-locale switch (admins), review requests, decisions and comments on section versions.
/// The rules (four eyes, one open review, approved-only publishing where review is on) are the database's
/// (migration SectionReviews); this service words them and checks roles first.
/// </summary>
public sealed class ContentReviews(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    private static readonly string[] ReviewerRoles = ["Admin", "Editor"];

    public bool IsAdmin => session.Current.Roles.Contains("Admin");
    public bool CanWrite => session.Current.Roles.Any(ReviewerRoles.Contains);
    public Guid? CurrentUserId => session.Current.UserId;

    public async Task<SectionReview> ForSectionAsync(Guid sectionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var required = await db.Database.SqlQuery<bool>($"""
            SELECT coalesce((SELECT r.required FROM homepage_sections s JOIN content_review_locales r ON r.locale = s.locale WHERE s.id = {sectionId}), false) AS "Value"
            """).SingleAsync(ct);
        var notes = await db.Database.SqlQuery<VersionNote>($"""
            SELECT n.id AS "id", v.version_number AS "version_number", n.kind AS "kind", n.body AS "body", n.author_id AS "author_id",
                   n.author_email AS "author_email", n.created_at AS "created_at"
            FROM section_version_notes n JOIN section_versions v ON v.id = n.version_id
            WHERE n.section_id = {sectionId}
            ORDER BY n.id
            """).ToListAsync(ct);
        return new SectionReview(required, notes);
    }

    public async Task<ReviewLocale> LocaleAsync(string locale, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<ReviewLocale>($"""
            SELECT l.code AS "locale", coalesce(r.required, false) AS "required", r.updated_by_email AS "updated_by_email", r.updated_at AS "updated_at"
            FROM locales l LEFT JOIN content_review_locales r ON r.locale = l.code WHERE l.code = {locale}
            """).SingleOrDefaultAsync(ct) ?? throw new ContentException($"Unknown locale {locale}.");
    }

    /// <summary>Turns review before publish on or off for a locale (admins). Versions already live stay live.</summary>
    public Task SetRequiredAsync(string locale, bool required, CancellationToken ct = default)
    {
        if (!IsAdmin) throw new ContentException("Only an Admin switches review before publish.");
        return RunAsync(db => db.Database.ExecuteSqlAsync($"""
            INSERT INTO content_review_locales (locale, required) VALUES ({locale}, {required})
            ON CONFLICT (locale) DO UPDATE SET required = excluded.required
            """, ct), ct);
    }

    public Task RequestAsync(Guid sectionId, int version, string? comment, CancellationToken ct = default) =>
        AddAsync(sectionId, version, NoteKinds.ReviewRequested, comment, ct);

    public Task ApproveAsync(Guid sectionId, int version, string? comment, CancellationToken ct = default) =>
        AddAsync(sectionId, version, NoteKinds.Approved, comment, ct);

    public Task SendBackAsync(Guid sectionId, int version, string comment, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(comment)) throw new ContentException("Say what to change: sending back needs a comment.", "comment");
        return AddAsync(sectionId, version, NoteKinds.ChangesRequested, comment, ct);
    }

    public Task CommentAsync(Guid sectionId, int version, string comment, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(comment)) throw new ContentException("Write a comment first.", "comment");
        return AddAsync(sectionId, version, NoteKinds.Comment, comment, ct);
    }

    private Task AddAsync(Guid sectionId, int version, string kind, string? body, CancellationToken ct)
    {
        if (!CanWrite) throw new ContentException("Only editors and admins review and comment on sections.");
        var text = (body ?? "").Trim();
        if (text.Length > 2000) throw new ContentException("A note is at most 2,000 characters.", "comment");
        return RunAsync(async db =>
        {
            var inserted = await db.Database.ExecuteSqlAsync($"""
                INSERT INTO section_version_notes (section_id, version_id, kind, body)
                SELECT {sectionId}, v.id, {kind}, {text} FROM section_versions v WHERE v.section_id = {sectionId} AND v.version_number = {version}
                """, ct);
            if (inserted == 0) throw new ContentException($"Version {version} does not exist.");
            return inserted;
        }, ct);
    }

    private Task<int> RunAsync(Func<AdminDbContext, Task<int>> work, CancellationToken ct) =>
        TransactionRunner.RunAsync(dbFactory, work, Translate, ct, session);

    /// <summary>The review rules' refusals, in the words the database gives them.</summary>
    public static ContentException? Translate(Exception ex) =>
        (ex as PostgresException ?? ex.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.CheckViolation } pg
        && pg.ConstraintName?.StartsWith("section_review", StringComparison.Ordinal) == true
            ? new ContentException(pg.MessageText)
            : null;
}
