using System.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data.Audit;
using Admin.Data.Infrastructure;
using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Content;

/// <summary>
/// Everything an editor does to homepage sections. Each change runs in one transaction that also writes its audit
/// row; the row trigger on homepage_sections announces it on the live channel when the transaction commits.
/// Version numbers are taken under the section row's lock, so concurrent saves queue up instead of colliding, and a
/// save based on a version that is no longer the newest is refused as a conflict rather than silently winning.
/// </summary>
public sealed partial class ContentService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    public const int MaxPageSize = 100;

    // ---------------------------------------------------------------------------------------------- reading

    public async Task<IReadOnlyList<SectionListItem>> ListAsync(string locale, SectionFilter? filter = null, CancellationToken ct = default)
    {
        filter ??= new SectionFilter();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var text = LikePattern.Contains(filter.Text);
        return await db.Database.SqlQuery<SectionListItem>($"""
            SELECT s.id AS "id", s.section_key AS "key", s.section_type AS "type", s.status AS "status",
                   s.is_active AS "is_active", s.display_order AS "display_order",
                   -- The draft, when there is one, is always the newest version: one index lookup per row saved.
                   pv.version_number AS "published_number",
                   CASE WHEN s.draft_version_id IS NOT NULL THEN s.latest_version_number END AS "draft_number",
                   s.latest_version_number AS "version_count",
                   s.updated_by_email AS "last_changed_by", s.updated_at AS "last_changed_at",
                   sch.next_at IS NOT NULL AS "has_schedule", sch.next_at AS "next_schedule_at",
                   lv.content->>'title' AS "title"
            FROM homepage_sections s
            LEFT JOIN section_versions pv ON pv.id = s.published_version_id
            LEFT JOIN section_versions lv ON lv.section_id = s.id AND lv.version_number = s.latest_version_number
            LEFT JOIN LATERAL (
                SELECT min(CASE WHEN ss.status = 'pending' THEN ss.publish_at ELSE ss.expire_at END) AS next_at
                FROM section_schedules ss
                WHERE ss.section_id = s.id AND ss.status IN ('pending', 'active') AND (ss.status = 'pending' OR ss.expire_at IS NOT NULL)
            ) sch ON true
            WHERE s.locale = {locale}
              AND ({filter.Status}::text IS NULL OR s.status = {filter.Status})
              AND ({filter.Type}::text IS NULL OR s.section_type = {filter.Type})
              AND ({text}::text IS NULL OR s.section_key ILIKE {text} OR lv.content::text ILIKE {text})
            ORDER BY s.display_order
            """).ToListAsync(ct);
    }

    public async Task<SectionDetail?> GetAsync(Guid sectionId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var section = await db.HomepageSections.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sectionId, ct);
        if (section is null) return null;
        var numbers = await db.SectionVersions.AsNoTracking()
            .Where(v => v.Id == section.PublishedVersionId || v.Id == section.DraftVersionId || (v.SectionId == sectionId && v.VersionNumber == section.LatestVersionNumber))
            .ToListAsync(ct);
        var schedules = await (from ss in db.SectionSchedules.AsNoTracking()
                               join v in db.SectionVersions on ss.VersionId equals v.Id
                               where ss.SectionId == sectionId && (ss.Status == ScheduleStatuses.Pending || ss.Status == ScheduleStatuses.Active)
                               orderby ss.PublishAt
                               select new ScheduleInfo(ss.Id, v.VersionNumber, ss.PublishAt, ss.ExpireAt, ss.Status)).ToListAsync(ct);
        return new SectionDetail(
            section,
            numbers.Single(v => v.VersionNumber == section.LatestVersionNumber),
            numbers.FirstOrDefault(v => v.Id == section.PublishedVersionId)?.VersionNumber,
            numbers.FirstOrDefault(v => v.Id == section.DraftVersionId)?.VersionNumber,
            schedules);
    }

    /// <summary>Newest first, keyset-paged on the version number (constant cost at any depth).</summary>
    public async Task<VersionPage> HistoryAsync(Guid sectionId, int? before = null, int pageSize = 20, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<VersionSummary>($"""
            SELECT version_number AS "number", change_summary AS "change_summary", created_at AS "created_at",
                   created_by_email AS "created_by_email", is_published AS "is_published", published_at AS "published_at",
                   restored_from AS "restored_from", octet_length(content::text) AS "content_bytes"
            FROM section_versions
            WHERE section_id = {sectionId} AND version_number < {before ?? int.MaxValue}
            ORDER BY version_number DESC
            LIMIT {pageSize + 1}
            """).ToListAsync(ct);
        var more = rows.Count > pageSize;
        var items = rows.Take(pageSize).ToList();
        return new VersionPage(items, more ? items[^1].Number : null);
    }

    public async Task<SectionVersion?> GetVersionAsync(Guid sectionId, int number, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.SectionVersions.AsNoTracking().SingleOrDefaultAsync(v => v.SectionId == sectionId && v.VersionNumber == number, ct);
    }

    public async Task<IReadOnlyList<Product>> ProductsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Products.AsNoTracking().Where(p => p.IsActive).OrderBy(p => p.Name).ToListAsync(ct);
    }

    public async Task<IReadOnlyList<Category>> CategoriesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Categories.AsNoTracking().Where(c => c.IsActive).OrderBy(c => c.Name).ToListAsync(ct);
    }

    // ---------------------------------------------------------------------------------------------- writing

    public Task<Guid> CreateAsync(NewSection request, CancellationToken ct = default) =>
        InTransactionAsync(db => CreateCoreAsync(db, request, ct), ct);

    private async Task<Guid> CreateCoreAsync(AdminDbContext db, NewSection request, CancellationToken ct)
    {
        if (!SectionSchemas.IsKnownType(request.Type))
            throw new ContentException($"Unknown section type '{request.Type}'. Use one of: {string.Join(", ", SectionTypes.All)}.", "type");
        var key = request.Key.Trim();
        if (!System.Text.RegularExpressions.Regex.IsMatch(key, "^[a-z0-9][a-z0-9-]{0,62}$"))
            throw new ContentException("Key must be 1–63 lower-case letters, digits or dashes, starting with a letter or digit (e.g. spring-sale).", "key");
        if (!await db.Locales.AnyAsync(l => l.Code == request.Locale, ct))
            throw new ContentException($"Unknown locale '{request.Locale}'.", "locale");
        var content = await ValidatedAsync(db, request.Type, request.Content, ct);

        // Serialise creations and reorders per locale: display orders stay dense and unique.
        await LockLocaleAsync(db, request.Locale, ct);
        RlsSubject.Describe(new RlsSubject("homepage_sections", Locale: request.Locale, Description: $"the new section '{key}'"));
        if (await db.HomepageSections.AnyAsync(s => s.Locale == request.Locale && s.SectionKey == key, ct))
            throw new ContentException($"A section with key '{key}' already exists in {request.Locale}.", "key");
        var order = (await db.HomepageSections.Where(s => s.Locale == request.Locale).MaxAsync(s => (int?)s.DisplayOrder, ct) ?? -1) + 1;

        var actor = session.Current;
        var section = new HomepageSection
        {
            Id = Guid.NewGuid(), Locale = request.Locale, SectionKey = key, SectionType = request.Type, DisplayOrder = order,
            CreatedBy = actor.UserId, UpdatedBy = actor.UserId, UpdatedByEmail = actor.Email,
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        db.HomepageSections.Add(section);
        var version = NewVersion(section, 1, content, request.ChangeSummary, null);
        db.SectionVersions.Add(version);
        section.LatestVersionNumber = 1;
        section.DraftVersionId = version.Id;
        await db.SaveChangesAsync(ct);
        await AuditAsync(db, ContentAuditActions.SectionCreated, section.Id, null, new { section.Locale, key, type = request.Type }, ct);
        return section.Id;
    }

    public Task<Guid> DuplicateAsync(Guid sectionId, string newKey, string? targetLocale = null, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var source = await db.HomepageSections.AsNoTracking().SingleOrDefaultAsync(s => s.Id == sectionId, ct)
                ?? throw new ContentException("That section no longer exists.");
            var latest = await db.SectionVersions.AsNoTracking().SingleAsync(v => v.SectionId == sectionId && v.VersionNumber == source.LatestVersionNumber, ct);
            return await CreateCoreAsync(db, new NewSection(targetLocale ?? source.Locale, newKey, source.SectionType,
                ContentJson.ToObject(latest.Content), $"Duplicated from {source.Locale}/{source.SectionKey} v{latest.VersionNumber}"), ct);
        }, ct);

    /// <summary>
    /// Saves a new version on top of <paramref name="baseNumber"/> (the version the editor loaded). When someone
    /// saved after that, nothing is written and their version comes back for the conflict dialog.
    /// </summary>
    public Task<SaveResult> SaveDraftAsync(Guid sectionId, int baseNumber, JsonObject content, string changeSummary, int? restoredFrom = null, CancellationToken ct = default) =>
        InTransactionAsync<SaveResult>(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            if (section.Status == SectionStatuses.Archived)
                throw new ContentException("This section is archived; restore it from the list before editing.");
            if (section.LatestVersionNumber != baseNumber)
            {
                var theirs = await db.SectionVersions.AsNoTracking()
                    .SingleAsync(v => v.SectionId == sectionId && v.VersionNumber == section.LatestVersionNumber, ct);
                return new SaveResult.Conflict(baseNumber, theirs);
            }
            var (normalised, errors) = await ValidateAsync(db, section.SectionType, content, ct);
            if (errors.Count > 0) return new SaveResult.Invalid(errors);
            if (changeSummary.Length > 500)
                return new SaveResult.Invalid([new FieldError("changeSummary", "The change summary is limited to 500 characters.")]);

            var number = section.LatestVersionNumber + 1;
            var version = NewVersion(section, number, normalised, changeSummary.Trim(), restoredFrom);
            db.SectionVersions.Add(version);
            section.LatestVersionNumber = number;
            section.DraftVersionId = version.Id;
            Touch(section);
            await db.SaveChangesAsync(ct);
            await AuditAsync(db, restoredFrom is null ? ContentAuditActions.VersionSaved : ContentAuditActions.VersionRestored, sectionId,
                null, new { version = number, summary = changeSummary, restoredFrom }, ct);
            return new SaveResult.Saved(number);
        }, ct);

    /// <summary>Restores an old version as a new draft on top of the newest one (history is never rewritten).</summary>
    public async Task<SaveResult> RestoreAsync(Guid sectionId, int number, int baseNumber, CancellationToken ct = default)
    {
        var old = await GetVersionAsync(sectionId, number, ct) ?? throw new ContentException($"Version {number} does not exist.");
        return await SaveDraftAsync(sectionId, baseNumber, ContentJson.ToObject(old.Content), $"Restored v{number}", number, ct);
    }

    public Task PublishAsync(Guid sectionId, int number, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            await PublishLockedAsync(db, section, number, ct);
            await AuditAsync(db, ContentAuditActions.Published, sectionId, null, new { version = number }, ct);
            return 0;
        }, ct);

    public Task UnpublishAsync(Guid sectionId, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            if (section.Status != SectionStatuses.Published) throw new ContentException("This section is not published.");
            var was = await UnpublishLockedAsync(db, section, ct);
            await AuditAsync(db, ContentAuditActions.Unpublished, sectionId, new { version = was }, null, ct);
            return 0;
        }, ct);

    public Task ArchiveAsync(Guid sectionId, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            if (section.Status == SectionStatuses.Archived) return 0;
            if (section.Status == SectionStatuses.Published) await UnpublishLockedAsync(db, section, ct);
            var cancelled = await CancelOpenSchedulesAsync(db, sectionId, ct);
            section.Status = SectionStatuses.Archived;
            section.IsActive = false;
            Touch(section);
            await db.SaveChangesAsync(ct);
            await AuditAsync(db, ContentAuditActions.Archived, sectionId, null, new { cancelledSchedules = cancelled }, ct);
            return 0;
        }, ct);

    public Task UnarchiveAsync(Guid sectionId, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            if (section.Status != SectionStatuses.Archived) throw new ContentException("This section is not archived.");
            section.Status = SectionStatuses.Draft;
            section.IsActive = true;
            section.DraftVersionId = (await db.SectionVersions.SingleAsync(v => v.SectionId == sectionId && v.VersionNumber == section.LatestVersionNumber, ct)).Id;
            Touch(section);
            await db.SaveChangesAsync(ct);
            await AuditAsync(db, ContentAuditActions.Unarchived, sectionId, null, null, ct);
            return 0;
        }, ct);

    /// <summary>Sets the order of a locale's sections in one statement; the list must name every section of the locale once.</summary>
    public Task ReorderAsync(string locale, IReadOnlyList<Guid> orderedIds, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            await LockLocaleAsync(db, locale, ct);
            RlsSubject.Describe(new RlsSubject("homepage_sections", Locale: locale, Description: $"the {locale} homepage"));
            var current = await db.HomepageSections.Where(s => s.Locale == locale).Select(s => s.Id).ToListAsync(ct);
            if (orderedIds.Count != current.Count || orderedIds.Distinct().Count() != orderedIds.Count || orderedIds.Except(current).Any())
                throw new ContentException("The list changed while you were reordering it (someone added or removed a section). Reload and try again.");
            var ids = orderedIds.ToArray();
            var actor = session.Current;
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                UPDATE homepage_sections s
                SET display_order = o.ordinality - 1, updated_at = now(), updated_by = {actor.UserId}, updated_by_email = {actor.Email}
                FROM unnest({ids}) WITH ORDINALITY AS o(id, ordinality)
                WHERE s.id = o.id AND s.display_order <> o.ordinality - 1
                """, ct);
            await AuditAsync(db, ContentAuditActions.Reordered, null, null, new { locale, order = ids }, ct, recordId: locale);
            return 0;
        }, ct);

    public Task<Guid> ScheduleAsync(Guid sectionId, int number, DateTimeOffset publishAt, DateTimeOffset? expireAt, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var section = await LockSectionAsync(db, sectionId, ct);
            if (section.Status == SectionStatuses.Archived) throw new ContentException("This section is archived.");
            var version = await db.SectionVersions.SingleOrDefaultAsync(v => v.SectionId == sectionId && v.VersionNumber == number, ct)
                ?? throw new ContentException($"Version {number} does not exist.", "version");
            if (expireAt is { } end && end <= publishAt)
                throw new ContentException("The expiry must be after the publish time.", "expireAt");
            if (publishAt < DateTimeOffset.UtcNow.AddMinutes(-1))
                throw new ContentException("The publish time is in the past; publish now instead, or pick a later time.", "publishAt");
            await RequireReviewAsync(db, section, version, ct);
            var actor = session.Current;
            var schedule = new SectionSchedule
            {
                Id = Guid.NewGuid(), SectionId = sectionId, VersionId = version.Id, PublishAt = publishAt.ToUniversalTime(),
                ExpireAt = expireAt?.ToUniversalTime(), CreatedBy = actor.UserId, CreatedByEmail = actor.Email, CreatedAt = DateTimeOffset.UtcNow,
            };
            db.SectionSchedules.Add(schedule);
            Touch(section);
            await db.SaveChangesAsync(ct);
            await AuditAsync(db, ContentAuditActions.Scheduled, sectionId, null, new { version = number, publishAt, expireAt }, ct);
            return schedule.Id;
        }, ct);

    public Task CancelScheduleAsync(Guid scheduleId, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var schedule = await db.SectionSchedules.SingleOrDefaultAsync(s => s.Id == scheduleId, ct)
                ?? throw new ContentException("That schedule no longer exists.");
            var section = await LockSectionAsync(db, schedule.SectionId, ct);
            if (schedule.Status is not (ScheduleStatuses.Pending or ScheduleStatuses.Active))
                throw new ContentException($"That schedule is already {schedule.Status}.");
            schedule.Status = ScheduleStatuses.Cancelled;
            Touch(section);
            await db.SaveChangesAsync(ct);
            await AuditAsync(db, ContentAuditActions.ScheduleCancelled, schedule.SectionId, null, new { scheduleId }, ct);
            return 0;
        }, ct);

    /// <summary>
    /// Fires due schedules: publishes pending ones whose time has come and takes down active ones past their expiry,
    /// at most <paramref name="batchSize"/> of each, locking rows with SKIP LOCKED so concurrent workers (several app
    /// instances) never fire the same schedule twice. Returns how many schedules it handled.
    /// </summary>
    public Task<int> RunDueSchedulesAsync(int batchSize = 50, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var due = await db.SectionSchedules
                .FromSql($"SELECT * FROM section_schedules WHERE status = 'pending' AND publish_at <= now() ORDER BY publish_at LIMIT {batchSize} FOR UPDATE SKIP LOCKED")
                .ToListAsync(ct);
            await LockSectionsInOrderAsync(db, due.Select(s => s.SectionId), ct);
            foreach (var schedule in due)
            {
                var section = await LockSectionAsync(db, schedule.SectionId, ct);
                var version = await db.SectionVersions.SingleAsync(v => v.Id == schedule.VersionId, ct);
                schedule.ExecutedAt = DateTimeOffset.UtcNow;
                if (section.Status == SectionStatuses.Archived)
                {
                    schedule.Status = ScheduleStatuses.Cancelled;
                    await AuditAsync(db, ContentAuditActions.ScheduleCancelled, section.Id, null, new { scheduleId = schedule.Id, reason = "section archived" }, ct);
                    continue;
                }
                try
                {
                    await PublishLockedAsync(db, section, version.VersionNumber, ct);
                }
                catch (ContentException refused)
                {
                    // Refused before anything was written (e.g. a product deactivated since scheduling): cancel it with
                    // the reason, rather than fail the batch on every tick and hold up the schedules behind it.
                    schedule.Status = ScheduleStatuses.Cancelled;
                    await AuditAsync(db, ContentAuditActions.ScheduleCancelled, section.Id, null, new { scheduleId = schedule.Id, reason = refused.Message }, ct);
                    continue;
                }
                schedule.Status = ScheduleStatuses.Active;
                await AuditAsync(db, ContentAuditActions.SchedulePublished, section.Id, null, new { scheduleId = schedule.Id, version = version.VersionNumber }, ct);
            }
            await db.SaveChangesAsync(ct);

            var expiring = await db.SectionSchedules
                .FromSql($"SELECT * FROM section_schedules WHERE status = 'active' AND expire_at IS NOT NULL AND expire_at <= now() ORDER BY expire_at LIMIT {batchSize} FOR UPDATE SKIP LOCKED")
                .ToListAsync(ct);
            await LockSectionsInOrderAsync(db, expiring.Select(s => s.SectionId), ct);
            foreach (var schedule in expiring)
            {
                var section = await LockSectionAsync(db, schedule.SectionId, ct);
                schedule.Status = ScheduleStatuses.Expired;
                schedule.ExpiredAt = DateTimeOffset.UtcNow;
                // Only take the section down if the scheduled version is still the one live.
                if (section.PublishedVersionId == schedule.VersionId)
                    await UnpublishLockedAsync(db, section, ct);
                await AuditAsync(db, ContentAuditActions.ScheduleExpired, section.Id, null, new { scheduleId = schedule.Id }, ct);
            }
            await db.SaveChangesAsync(ct);
            return due.Count + expiring.Count;
        }, ct);

    // ---------------------------------------------------------------------------------------------- internals

    /// <summary>Where review before publish is on, only an approved version goes live (a trigger checks it too).</summary>
    private static async Task RequireReviewAsync(AdminDbContext db, HomepageSection section, SectionVersion version, CancellationToken ct)
    {
        if (!await db.Database.SqlQuery<bool>($"SELECT section_review_allows_publish({version.Id}) AS \"Value\"").SingleAsync(ct))
            throw new ContentException($"Review is on for {section.Locale}: version {version.VersionNumber} goes live only once another editor or an admin has approved it.");
    }

    private async Task PublishLockedAsync(AdminDbContext db, HomepageSection section, int number, CancellationToken ct)
    {
        if (section.Status == SectionStatuses.Archived) throw new ContentException("This section is archived; restore it first.");
        var version = await db.SectionVersions.SingleOrDefaultAsync(v => v.SectionId == section.Id && v.VersionNumber == number, ct)
            ?? throw new ContentException($"Version {number} does not exist.");
        // A version saved before a product was deactivated must not publish a dead link.
        var (_, errors) = await ValidateAsync(db, section.SectionType, ContentJson.ToObject(version.Content), ct);
        if (errors.Count > 0)
            throw new ContentException($"Version {number} cannot be published: {string.Join(" ", errors.Select(e => e.Message))}", errors[0].Field);
        await RequireReviewAsync(db, section, version, ct);

        await db.SectionVersions.Where(v => v.SectionId == section.Id && v.IsPublished && v.Id != version.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.IsPublished, false), ct);
        version.IsPublished = true;
        version.PublishedAt ??= DateTimeOffset.UtcNow;
        section.PublishedVersionId = version.Id;
        section.Status = SectionStatuses.Published;
        section.IsActive = true;
        if (section.DraftVersionId == version.Id || number == section.LatestVersionNumber) section.DraftVersionId = null;
        else section.DraftVersionId = (await db.SectionVersions.SingleAsync(v => v.SectionId == section.Id && v.VersionNumber == section.LatestVersionNumber, ct)).Id;
        Touch(section);
        await db.SaveChangesAsync(ct);

        await db.SectionProducts.Where(p => p.SectionId == section.Id).ExecuteDeleteAsync(ct);
        await db.SectionCategories.Where(c => c.SectionId == section.Id).ExecuteDeleteAsync(ct);
        var products = SectionSchemas.LinkedIds(version.Content, "productIds");
        var categories = SectionSchemas.LinkedIds(version.Content, "categoryIds");
        db.SectionProducts.AddRange(products.Select((id, i) => new SectionProduct { SectionId = section.Id, ProductId = id, DisplayOrder = i }));
        db.SectionCategories.AddRange(categories.Select((id, i) => new SectionCategory { SectionId = section.Id, CategoryId = id, DisplayOrder = i }));
        await db.SaveChangesAsync(ct);
    }

    private async Task<int?> UnpublishLockedAsync(AdminDbContext db, HomepageSection section, CancellationToken ct)
    {
        var was = await db.SectionVersions.Where(v => v.Id == section.PublishedVersionId).Select(v => (int?)v.VersionNumber).SingleOrDefaultAsync(ct);
        await db.SectionVersions.Where(v => v.SectionId == section.Id && v.IsPublished)
            .ExecuteUpdateAsync(u => u.SetProperty(v => v.IsPublished, false), ct);
        section.PublishedVersionId = null;
        section.Status = SectionStatuses.Draft;
        section.DraftVersionId = (await db.SectionVersions.SingleAsync(v => v.SectionId == section.Id && v.VersionNumber == section.LatestVersionNumber, ct)).Id;
        Touch(section);
        await db.SectionProducts.Where(p => p.SectionId == section.Id).ExecuteDeleteAsync(ct);
        await db.SectionCategories.Where(c => c.SectionId == section.Id).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        return was;
    }

    private static async Task<int> CancelOpenSchedulesAsync(AdminDbContext db, Guid sectionId, CancellationToken ct) =>
        await db.SectionSchedules.Where(s => s.SectionId == sectionId && (s.Status == ScheduleStatuses.Pending || s.Status == ScheduleStatuses.Active))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.Status, ScheduleStatuses.Cancelled), ct);

    private static async Task<HomepageSection> LockSectionAsync(AdminDbContext db, Guid sectionId, CancellationToken ct)
    {
        var section = await db.HomepageSections.FromSql($"SELECT * FROM homepage_sections WHERE id = {sectionId} FOR UPDATE").SingleOrDefaultAsync(ct)
            ?? throw new ContentException("That section no longer exists.");
        RlsSubject.Describe(new RlsSubject("homepage_sections", section.Id.ToString(), Locale: section.Locale,
            Description: $"section '{section.SectionKey}'"));
        return section;
    }

    /// <summary>Locks a batch's sections in id order, so two workers with overlapping batches cannot deadlock.</summary>
    private static async Task LockSectionsInOrderAsync(AdminDbContext db, IEnumerable<Guid> sectionIds, CancellationToken ct)
    {
        var ids = sectionIds.Distinct().Order().ToArray();
        if (ids.Length > 0)
            await db.HomepageSections.FromSql($"SELECT * FROM homepage_sections WHERE id = ANY({ids}) ORDER BY id FOR UPDATE").ToListAsync(ct);
    }

    private static Task LockLocaleAsync(AdminDbContext db, string locale, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtext('homepage_sections:' || {locale}))", ct);

    private async Task<JsonObject> ValidatedAsync(AdminDbContext db, string type, JsonObject content, CancellationToken ct)
    {
        var (normalised, errors) = await ValidateAsync(db, type, content, ct);
        if (errors.Count > 0) throw new ContentException(string.Join(" ", errors.Select(e => e.Message)), errors[0].Field);
        return normalised;
    }

    /// <summary>Schema validation plus the checks that need the database: linked products and categories exist and are active.</summary>
    private static async Task<(JsonObject, IReadOnlyList<FieldError>)> ValidateAsync(AdminDbContext db, string type, JsonObject content, CancellationToken ct)
    {
        var (normalised, schemaErrors) = SectionSchemas.Validate(type, content);
        var errors = schemaErrors.ToList();
        var document = ContentJson.ToDocument(normalised);
        var productIds = SectionSchemas.LinkedIds(document, "productIds");
        if (productIds.Count > 0)
        {
            var found = await db.Products.Where(p => productIds.Contains(p.Id) && p.IsActive).Select(p => p.Id).ToListAsync(ct);
            if (found.Count != productIds.Count)
                errors.Add(new FieldError("productIds", $"{productIds.Count - found.Count} of the chosen products no longer exist or are inactive; remove them."));
        }
        var categoryIds = SectionSchemas.LinkedIds(document, "categoryIds");
        if (categoryIds.Count > 0)
        {
            var found = await db.Categories.Where(c => categoryIds.Contains(c.Id) && c.IsActive).Select(c => c.Id).ToListAsync(ct);
            if (found.Count != categoryIds.Count)
                errors.Add(new FieldError("categoryIds", $"{categoryIds.Count - found.Count} of the chosen categories no longer exist or are inactive; remove them."));
        }
        return (normalised, errors);
    }

    private SectionVersion NewVersion(HomepageSection section, int number, JsonObject content, string summary, int? restoredFrom)
    {
        var actor = session.Current;
        return new SectionVersion
        {
            Id = Guid.NewGuid(), SectionId = section.Id, VersionNumber = number, Content = ContentJson.ToDocument(content),
            ChangeSummary = summary, RestoredFrom = restoredFrom, CreatedAt = DateTimeOffset.UtcNow,
            CreatedBy = actor.UserId, CreatedByEmail = actor.Email,
        };
    }

    private void Touch(HomepageSection section)
    {
        var actor = session.Current;
        section.UpdatedAt = DateTimeOffset.UtcNow;
        section.UpdatedBy = actor.UserId;
        section.UpdatedByEmail = actor.Email ?? "scheduler";
    }

    private static Task AuditAsync(AdminDbContext db, string action, Guid? sectionId, object? before, object? after, CancellationToken ct, string? recordId = null) =>
        AuditWriter.WriteAsync(db, new AuditEntry(action, "homepage_sections", recordId ?? sectionId?.ToString(), before, after), ct);


    /// <summary>Runs the work in a transaction of its own; retries and refusals as <see cref="TransactionRunner"/> does.</summary>
    private Task<T> InTransactionAsync<T>(Func<AdminDbContext, Task<T>> work, CancellationToken ct) =>
        TransactionRunner.RunAsync(dbFactory, work, TranslateError, ct, session);

    private static ContentException? TranslateError(Exception ex) => ContentReviews.Translate(ex) ??
        (ex is DbUpdateException { InnerException: PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique }
            ? new ContentException(unique.ConstraintName switch
            {
                "homepage_sections_key_per_locale" => "A section with this key already exists in that locale.",
                "section_versions_number_per_section" => "Someone saved this section at the same moment; reload and try again.",
                _ => "This change conflicts with existing content: " + unique.MessageText,
            })
            : null);
}
