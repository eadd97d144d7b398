using System.Data;
using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data.Infrastructure;
using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Releases;

/// <summary>
/// Releases for release managers and the editors who prepare them. The rules (status transitions, four eyes,
/// draft-only edits, deploy_seq, audit) are enforced by the schema's triggers, so plain SQL obeys them too; this
/// service checks roles first to refuse early with a clear reason, and words the database's refusals for people.
/// </summary>
public sealed partial class ReleaseService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session, NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 100;
    private static readonly string[] EditorRoles = ["Admin", "ReleaseManager", "Editor"];
    private static readonly string[] ManagerRoles = ["Admin", "ReleaseManager"];

    public bool CanEdit => session.Current.Roles.Any(EditorRoles.Contains);
    public bool CanManage => session.Current.Roles.Any(ManagerRoles.Contains);
    public Guid? CurrentUserId => session.Current.UserId;
    /// <summary>The locales the current user edits (their scope), for pickers' defaults.</summary>
    public IReadOnlyList<string> CurrentLocales => session.Current.Locales;

    /// <summary>
    /// This service acting for the current user from now on, whatever scope it runs in: for reads that outlive the
    /// request that starts them (a finished request has no user, so its connections would be anonymous).
    /// </summary>
    public ReleaseService AsCurrentUser()
    {
        var fixedSession = new FixedSessionContextSource(session.Current);
        return new ReleaseService(new SessionDbContexts(dataSource, fixedSession), fixedSession, dataSource);
    }

    // ---------------------------------------------------------------------------------------------- reading

    /// <summary>Newest first, keyset-paged on the id. Conflict counts only for open releases (closed ones have none).</summary>
    public async Task<ReleaseListPage> ListAsync(string? status = null, long? before = null, int pageSize = 50, CancellationToken ct = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<ReleaseListItem>($"""
            SELECT r.id AS "id", r.name AS "name", r.status AS "status", r.deploy_seq AS "deploy_seq",
                   release_change_count(r.id) AS "changes",
                   r.author_email AS "author_email", r.created_at AS "created_at", r.updated_at AS "updated_at",
                   coalesce(c.blocking, 0) AS "blocking", coalesce(c.warnings, 0) AS "warnings",
                   CASE WHEN r.status = 'APPROVED' THEN r.scheduled_at END AS "scheduled_at",
                   (r.status = 'APPROVED' AND r.schedule_held_at IS NOT NULL) AS "schedule_held"
            FROM releases r
            LEFT JOIN LATERAL (
                SELECT count(*) FILTER (WHERE severity = 'blocking')::int AS blocking, count(*) FILTER (WHERE severity = 'warning')::int AS warnings
                FROM check_release_conflicts(r.id)
                WHERE r.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED')
            ) c ON true
            WHERE ({status}::text IS NULL OR r.status = {status}) AND r.id < {before ?? long.MaxValue}
            ORDER BY r.id DESC
            LIMIT {pageSize + 1}
            """).ToListAsync(ct);
        var more = rows.Count > pageSize;
        var items = rows.Take(pageSize).ToList();
        return new ReleaseListPage(items, more ? items[^1].Id : null);
    }

    public async Task<ReleaseDetail?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var release = await db.Releases.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, ct);
        if (release is null) return null;
        var changes = await db.Database.SqlQuery<int>($"SELECT release_change_count({id}) AS \"Value\"").SingleAsync(ct);
        return new ReleaseDetail(release, changes, await ConflictsAsync(db, id, ct));
    }

    /// <summary>Open releases, for pickers (newest first).</summary>
    public async Task<IReadOnlyList<Release>> OpenReleasesAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Releases.AsNoTracking().Where(r => ReleaseStatuses.Open.Contains(r.Status))
            .OrderByDescending(r => r.Id).Take(MaxPageSize).ToListAsync(ct);
    }

    /// <summary>Recent releases of any status, for the live browser's "state after" picker.</summary>
    public async Task<IReadOnlyList<Release>> RecentReleasesAsync(int count = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Releases.AsNoTracking().OrderByDescending(r => r.Id).Take(Math.Clamp(count, 1, MaxPageSize)).ToListAsync(ct);
    }

    public async Task<EntityVersion?> GetVersionAsync(long releaseId, Guid entityId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.EntityVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ReleaseId == releaseId && v.EntityId == entityId, ct);
    }

    /// <summary>The release's changes against what it applies on (live), or against the state as of release <paramref name="from"/>.</summary>
    public async Task<IReadOnlyList<ReleaseChange>> DiffAsync(long releaseId, long? from = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<ReleaseChange>($"""
            SELECT entity_id AS "entity_id", entity_type AS "entity_type", entity_key AS "entity_key", locale_id AS "locale_id",
                   entity_name AS "entity_name", change AS "change", changed_paths AS "changed_paths", old_slug AS "old_slug",
                   new_slug AS "new_slug", old_payload::text AS "old_payload", new_payload::text AS "new_payload",
                   old_release_id AS "old_release_id", new_release_id AS "new_release_id"
            FROM calculate_release_diff({releaseId}, {from})
            """).ToListAsync(ct);
    }

    /// <summary>
    /// One page of the release's changes with the counts the page shows, in one statement: the diff is computed once,
    /// filtered, counted and paged in the database, so a release of 10,000 changes sends 50 rows' payloads, not 10,000.
    /// Against live, the diff is read without payloads (release_diff_index) and only the page's rows fetch theirs.
    /// </summary>
    public async Task<ReleaseChangePage> ChangesAsync(long releaseId, long? from, ChangeFilter filter, CancellationToken ct = default)
    {
        var size = Math.Clamp(filter.PageSize, 1, MaxPageSize);
        var page = Math.Max(1, filter.Page);
        var search = Blank(filter.Search)?.ToLowerInvariant();
        var type = Blank(filter.Type);
        var change = Blank(filter.Change);
        var order = EntityTypes.Changes.ToArray();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Database.SqlQuery<ChangePageRow>($"""
            WITH d AS MATERIALIZED (
                SELECT d.*, coalesce(array_position({order}::text[], d.entity_type), 99) AS type_order
                FROM release_changes({releaseId}, {from}) WITH ORDINALITY
                     AS d(entity_id, entity_type, entity_key, locale_id, entity_name, change, changed_paths, old_slug, new_slug,
                          old_version_id, new_version_id, old_payload, new_payload, old_release_id, new_release_id, ord)
            ), m AS MATERIALIZED (
                SELECT row_number() OVER (ORDER BY type_order, ord) AS rn, d.*
                FROM d
                WHERE ({type}::text IS NULL OR entity_type = {type})
                  AND ({change}::text IS NULL OR change = {change})
                  AND ({search}::text IS NULL OR strpos(lower(concat_ws(chr(1), entity_key, entity_name, new_slug, old_slug, locale_id)), {search}) > 0)
            ), counts AS (
                SELECT (SELECT count(*) FROM d)::int AS total,
                       (SELECT count(*) FROM m)::int AS matching,
                       (SELECT coalesce(jsonb_object_agg(change, n), jsonb_build_object()) FROM (SELECT change, count(*) AS n FROM d GROUP BY 1) k)::text AS kinds,
                       (SELECT coalesce(jsonb_object_agg(entity_type, n), jsonb_build_object()) FROM (SELECT entity_type, count(*) AS n FROM d GROUP BY 1) t)::text AS types,
                       (SELECT coalesce(jsonb_object_agg(entity_type, n), jsonb_build_object()) FROM (SELECT entity_type, count(*) AS n FROM m GROUP BY 1) t)::text AS matching_types
            ), p AS (
                SELECT least({page}, greatest(1, ceil(matching / {(double)size})::int)) AS page FROM counts
            )
            SELECT c.total AS "total", c.matching AS "matching", c.kinds AS "kinds", c.types AS "types", c.matching_types AS "matching_types",
                   p.page AS "page", m.entity_id AS "entity_id", m.entity_type AS "entity_type", m.entity_key AS "entity_key",
                   m.locale_id AS "locale_id", m.entity_name AS "entity_name", m.change AS "change", m.changed_paths AS "changed_paths",
                   m.old_slug AS "old_slug", m.new_slug AS "new_slug",
                   coalesce(m.old_payload, o.payload)::text AS "old_payload", coalesce(m.new_payload, n.payload)::text AS "new_payload",
                   m.old_release_id AS "old_release_id", m.new_release_id AS "new_release_id"
            FROM counts c CROSS JOIN p
            LEFT JOIN m ON m.rn > (p.page - 1) * {size} AND m.rn <= p.page * {size}
            LEFT JOIN entity_versions o ON o.id = m.old_version_id
            LEFT JOIN entity_versions n ON n.id = m.new_version_id
            ORDER BY m.rn
            """).ToListAsync(ct);
        var head = rows[0];
        var items = rows.Where(r => r.EntityId is not null).Select(r => new ReleaseChange(r.EntityId!.Value, r.EntityType!, r.EntityKey, r.LocaleId,
            r.EntityName!, r.Change!, r.ChangedPaths ?? [], r.OldSlug, r.NewSlug, r.OldPayload, r.NewPayload, r.OldReleaseId, r.NewReleaseId)).ToList();
        return new ReleaseChangePage(items, head.Page, size, head.Total, head.Matching, Counts(head.Kinds), Counts(head.Types), Counts(head.MatchingTypes));
    }

    private static Dictionary<string, int> Counts(string json) => JsonSerializer.Deserialize<Dictionary<string, int>>(json) ?? [];

    private sealed record ChangePageRow(
        int Total, int Matching, string Kinds, string Types, string MatchingTypes, int Page, Guid? EntityId, string? EntityType, string? EntityKey,
        string? LocaleId, string? EntityName, string? Change, string[]? ChangedPaths, string? OldSlug, string? NewSlug, string? OldPayload,
        string? NewPayload, long? OldReleaseId, long? NewReleaseId);

    public async Task<IReadOnlyList<ReleaseConflict>> ConflictsAsync(long releaseId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await ConflictsAsync(db, releaseId, ct);
    }

    private static async Task<IReadOnlyList<ReleaseConflict>> ConflictsAsync(AdminDbContext db, long releaseId, CancellationToken ct) =>
        await db.Database.SqlQuery<ReleaseConflict>($"""
            SELECT kind AS "kind", severity AS "severity", entity_id AS "entity_id", entity_type AS "entity_type", entity_name AS "entity_name",
                   other_release_id AS "other_release_id", other_release_name AS "other_release_name", other_entity_id AS "other_entity_id", message AS "message"
            FROM check_release_conflicts({releaseId})
            ORDER BY severity, entity_type, entity_name, other_release_id
            """).ToListAsync(ct);

    public async Task<IReadOnlyList<RollbackPreviewItem>> RollbackPreviewAsync(long releaseId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<RollbackPreviewItem>($"""
            SELECT entity_id AS "entity_id", entity_type AS "entity_type", entity_name AS "entity_name", change AS "change",
                   current_payload::text AS "current_payload", restored_payload::text AS "restored_payload", restored_release_id AS "restored_release_id"
            FROM release_rollback_preview({releaseId})
            """).ToListAsync(ct);
    }

    /// <summary>
    /// The live state, or the state as if <see cref="LiveQuery.AsOfRelease"/> were deployed (the session's release
    /// context, set for this transaction only). Ordered like v_entities (type, key, locale, id) so a page streams.
    /// </summary>
    public async Task<LivePage> LiveAsync(LiveQuery query, CancellationToken ct = default)
    {
        var pageSize = Math.Clamp(query.PageSize, 1, MaxPageSize);
        var key = LikePattern.StartsWith(query.Key);
        var slug = LikePattern.StartsWith(query.Slug);
        var type = Blank(query.Type);
        var locale = Blank(query.Locale);
        var cursor = query.After is { } after ? await CursorAsync(after, query.AsOfRelease, ct) : null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT set_active_release({query.AsOfRelease}, true)", ct);
        // NULL keys and locales sort last; '~' sorts after every character keys and locales may contain.
        var rows = await db.Database.SqlQuery<LiveEntity>($"""
            SELECT entity_id AS "entity_id", entity_type AS "entity_type", entity_key AS "entity_key", locale_id AS "locale_id",
                   brand AS "brand", jurisdiction AS "jurisdiction", slug AS "slug", entity_name AS "entity_name", payload::text AS "payload",
                   parent_entity_id AS "parent_entity_id", release_id AS "release_id", release_name AS "release_name", deploy_seq AS "deploy_seq"
            FROM v_entities
            WHERE ({type}::text IS NULL OR entity_type = {type})
              AND ({key}::text IS NULL OR entity_key LIKE {key})
              AND ({locale}::text IS NULL OR locale_id = {locale})
              AND ({slug}::text IS NULL OR slug LIKE {slug})
              AND ({cursor == null} OR (entity_type, coalesce(entity_key, '~'), coalesce(locale_id, '~'), entity_id)
                   > ({cursor?.Type ?? ""}, {cursor?.Key ?? ""}, {cursor?.Locale ?? ""}, {cursor?.Id ?? Guid.Empty}))
            ORDER BY entity_type, entity_key, locale_id, entity_id
            LIMIT {pageSize + 1}
            """).ToListAsync(ct);
        await transaction.CommitAsync(ct);
        var more = rows.Count > pageSize;
        var items = rows.Take(pageSize).ToList();
        return new LivePage(items, more ? items[^1].EntityId : null);
    }

    private sealed record Cursor(string Type, string Key, string Locale, Guid Id);

    private async Task<Cursor?> CursorAsync(Guid entityId, long? asOf, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var v = await db.EntityVersions.AsNoTracking().Where(x => x.EntityId == entityId)
            .Select(x => new { x.EntityType, x.EntityKey, x.LocaleId }).FirstOrDefaultAsync(ct);
        return v is null ? null : new Cursor(v.EntityType, v.EntityKey ?? "~", v.LocaleId ?? "~", entityId);
    }

    // ---------------------------------------------------------------------------------------------- writing

    public Task<long> CreateAsync(string name, string? description, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            var release = new Release { Name = name?.Trim() ?? "", Description = description?.Trim() ?? "" };
            db.Releases.Add(release);
            await db.SaveChangesAsync(ct);
            return release.Id;
        }, ct);
    }

    public Task UpdateAsync(long id, string name, string? description, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            var release = await LockAsync(db, id, ct);
            release.Name = name?.Trim() ?? "";
            release.Description = description?.Trim() ?? "";
            await db.SaveChangesAsync(ct);
            return 0;
        }, ct);
    }

    /// <summary>Adds or replaces this release's version of an entity (a new entity when the draft has no id).</summary>
    public Task<Guid> SaveEntityAsync(long releaseId, EntityDraft draft, CancellationToken ct = default)
    {
        RequireEditor();
        var entityId = draft.EntityId ?? Guid.NewGuid();
        var payload = draft.Payload.ToJsonString();
        return InTransactionAsync(async db =>
        {
            await RequireDraftAsync(db, releaseId, ct);
            await RequireKnownReferencesAsync(db, draft, ct);
            RlsSubject.Describe(new RlsSubject("entity_versions", entityId.ToString(), Blank(draft.Brand), Blank(draft.Locale),
                $"this {draft.Type.Replace('_', ' ')} ({Blank(draft.Key) ?? Blank(draft.Slug) ?? entityId.ToString()})"));
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, jurisdiction, locale_id, slug, entity_key, payload, parent_entity_id)
                VALUES ({entityId}, {draft.Type}, {releaseId}, {Blank(draft.Brand)}, {Blank(draft.Jurisdiction)}, {Blank(draft.Locale)},
                        {Blank(draft.Slug)}, {Blank(draft.Key)}, {payload}::jsonb, {draft.ParentEntityId})
                ON CONFLICT ON CONSTRAINT idx_entity_versions_entity_release DO UPDATE
                SET entity_type = EXCLUDED.entity_type, brand = EXCLUDED.brand, jurisdiction = EXCLUDED.jurisdiction, locale_id = EXCLUDED.locale_id,
                    slug = EXCLUDED.slug, entity_key = EXCLUDED.entity_key, payload = EXCLUDED.payload,
                    parent_entity_id = EXCLUDED.parent_entity_id, is_deleted = false
                """, ct);
            return entityId;
        }, ct);
    }

    /// <summary>Takes this release's change to an entity or homepage section out of the release (it stays as it is live).</summary>
    public Task RemoveChangeAsync(long releaseId, Guid entityId, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            await RequireDraftAsync(db, releaseId, ct);
            var removed = await db.Database.ExecuteSqlInterpolatedAsync(
                $"DELETE FROM entity_versions WHERE release_id = {releaseId} AND entity_id = {entityId}", ct)
                + await db.Database.ExecuteSqlInterpolatedAsync($"DELETE FROM release_sections WHERE release_id = {releaseId} AND section_id = {entityId}", ct);
            if (removed == 0) throw new ReleaseException("This release has no change to that entity (someone may have removed it already).");
            return 0;
        }, ct);
    }

    /// <summary>Deletes a live entity in this release (a soft-delete version). An entity only this release adds is simply removed.</summary>
    public Task DeleteEntityAsync(long releaseId, Guid entityId, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            await RequireDraftAsync(db, releaseId, ct);
            var written = await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, jurisdiction, locale_id, slug, entity_key, payload, parent_entity_id, is_deleted)
                SELECT entity_id, entity_type, {releaseId}, brand, jurisdiction, locale_id, slug, entity_key, payload, parent_entity_id, true
                FROM v_entities WHERE entity_id = {entityId}
                ON CONFLICT ON CONSTRAINT idx_entity_versions_entity_release DO UPDATE SET is_deleted = true
                """, ct);
            if (written == 0)
            {
                var removed = await db.Database.ExecuteSqlInterpolatedAsync(
                    $"DELETE FROM entity_versions WHERE release_id = {releaseId} AND entity_id = {entityId}", ct);
                if (removed == 0) throw new ReleaseException("That entity is not live and not in this release.");
            }
            return 0;
        }, ct);
    }

    public Task SubmitAsync(long id, CancellationToken ct = default)
    {
        RequireEditor();
        return TransitionAsync(id, ReleaseStatuses.InReview, [ReleaseStatuses.Draft], r => { }, ct);
    }

    /// <summary>Back to draft from review or approval (the approval is dropped).</summary>
    public Task ReopenAsync(long id, CancellationToken ct = default) =>
        TransitionAsync(id, ReleaseStatuses.Draft, [ReleaseStatuses.InReview, ReleaseStatuses.Approved], r =>
        {
            if (!CanManage && r.AuthorId != session.Current.UserId)
                throw new ReleaseException("Only the author, a ReleaseManager or an Admin can send a release back to draft.");
        }, ct);

    public Task ApproveAsync(long id, CancellationToken ct = default)
    {
        RequireManager("approve");
        return TransitionAsync(id, ReleaseStatuses.Approved, [ReleaseStatuses.InReview], r =>
        {
            if (r.AuthorId is { } author && author == session.Current.UserId)
                throw new ReleaseException($"Four eyes: you wrote release #{r.Id}, so someone else must approve it.");
        }, ct);
    }

    /// <summary>Deploys an approved release. Blocking conflicts refuse it unless an override reason is given (audited).</summary>
    public Task DeployAsync(long id, string? overrideReason = null, CancellationToken ct = default)
    {
        RequireManager("deploy");
        return TransitionAsync(id, ReleaseStatuses.Deployed, [ReleaseStatuses.Approved], r => r.OverrideReason = Blank(overrideReason), ct);
    }

    /// <summary>
    /// Schedules an approved release to deploy by itself at <paramref name="at"/> (the scheduler deploys it as this
    /// user, with the usual conflict check, within seconds of the time). Scheduling again moves the time and lifts a hold.
    /// </summary>
    public Task ScheduleAsync(long id, DateTimeOffset at, TimeProvider time, CancellationToken ct = default)
    {
        RequireManager("schedule");
        if (at <= time.GetUtcNow()) throw new ReleaseException("Pick a time in the future (or deploy now).", "at");
        return ChangeApprovedAsync(id, "scheduled", r => r.ScheduledAt = at.ToUniversalTime(), ct);
    }

    /// <summary>Drops the schedule of an approved release (it stays approved).</summary>
    public Task UnscheduleAsync(long id, CancellationToken ct = default)
    {
        RequireManager("unschedule");
        return ChangeApprovedAsync(id, "unscheduled", r =>
        {
            if (r.ScheduledAt is null) throw new ReleaseException($"Release #{id} is not scheduled.");
            r.ScheduledAt = null;
        }, ct);
    }

    private Task ChangeApprovedAsync(long id, string what, Action<Release> change, CancellationToken ct) =>
        InTransactionAsync(async db =>
        {
            var release = await LockAsync(db, id, ct);
            if (release.Status != ReleaseStatuses.Approved)
                throw new ReleaseException($"Release #{id} is {ReleaseStatuses.Label(release.Status).ToLowerInvariant()}: only an approved release can be {what}.");
            change(release);
            await db.SaveChangesAsync(ct);
            return 0;
        }, ct);

    /// <summary>
    /// The scheduler's deploy of a due release, as the user who scheduled it: locks the release and deploys it only
    /// while it is still approved, due and not held (another instance may have deployed it a moment ago: then false).
    /// </summary>
    public Task<bool> DeployScheduledAsync(long id, CancellationToken ct = default) =>
        InTransactionAsync(async db =>
        {
            var release = await LockAsync(db, id, ct);
            if (release.Status != ReleaseStatuses.Approved || release.ScheduledAt is not { } at || at > DateTimeOffset.UtcNow
                || release.ScheduleHeldAt is not null || release.ScheduledById != session.Current.UserId)
                return false;
            release.Status = ReleaseStatuses.Deployed;
            await db.SaveChangesAsync(ct);
            return true;
        }, ct);

    /// <summary>Rolls back a deployed release: only its status and deploy_seq change, whatever its size.</summary>
    public Task RollbackAsync(long id, string reason, CancellationToken ct = default)
    {
        RequireManager("roll back");
        if (string.IsNullOrWhiteSpace(reason)) throw new ReleaseException("A rollback needs a reason.", "reason");
        return TransitionAsync(id, ReleaseStatuses.RolledBack, [ReleaseStatuses.Deployed], r => r.CloseReason = reason.Trim(), ct);
    }

    public Task AbandonAsync(long id, string? reason = null, CancellationToken ct = default)
    {
        RequireManager("abandon");
        return TransitionAsync(id, ReleaseStatuses.Abandoned, ReleaseStatuses.Open, r => r.CloseReason = Blank(reason), ct);
    }

    /// <summary>Moves the release's base to the current live deploy_seq: its author has checked the newer live changes.</summary>
    public Task RebaseAsync(long id, CancellationToken ct = default)
    {
        RequireEditor();
        return InTransactionAsync(async db =>
        {
            var release = await LockAsync(db, id, ct);
            if (release.Status is not (ReleaseStatuses.Draft or ReleaseStatuses.InReview))
                throw new ReleaseException($"Release #{id} is {ReleaseStatuses.Label(release.Status).ToLowerInvariant()}: only a draft or a release in review can be rebased.");
            // Set even when unchanged: the rebase also takes the release's homepage sections as they are published now.
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"UPDATE releases SET base_deploy_seq = (SELECT coalesce(max(deploy_seq), 0) FROM releases) WHERE id = {id}", ct);
            return 0;
        }, ct);
    }

    // ---------------------------------------------------------------------------------------------- internals

    private Task TransitionAsync(long id, string to, IReadOnlyList<string> from, Action<Release> check, CancellationToken ct) =>
        InTransactionAsync(async db =>
        {
            var release = await LockAsync(db, id, ct);
            if (!from.Contains(release.Status))
                throw new ReleaseException($"Release #{id} is {ReleaseStatuses.Label(release.Status).ToLowerInvariant()}; it cannot become {ReleaseStatuses.Label(to).ToLowerInvariant()}.");
            check(release);
            release.Status = to;
            await db.SaveChangesAsync(ct);
            return 0;
        }, ct);

    private static async Task<Release> LockAsync(AdminDbContext db, long id, CancellationToken ct) =>
        await db.Releases.FromSql($"SELECT * FROM releases WHERE id = {id} FOR UPDATE").SingleOrDefaultAsync(ct)
        ?? throw new ReleaseException($"Release #{id} does not exist.");

    private static async Task RequireDraftAsync(AdminDbContext db, long id, CancellationToken ct)
    {
        var status = await db.Releases.Where(r => r.Id == id).Select(r => r.Status).SingleOrDefaultAsync(ct)
            ?? throw new ReleaseException($"Release #{id} does not exist.");
        if (status != ReleaseStatuses.Draft)
            throw new ReleaseException($"Release #{id} is {ReleaseStatuses.Label(status).ToLowerInvariant()}: only a draft release takes changes. Send it back to draft first.");
    }

    /// <summary>
    /// Unknown brand, jurisdiction or locale, named before writing: row-level security checks a row's scope before its
    /// foreign keys, and "you do not edit locale xx-XX" would hide that xx-XX does not exist.
    /// </summary>
    private static async Task RequireKnownReferencesAsync(AdminDbContext db, EntityDraft draft, CancellationToken ct)
    {
        string? brand = Blank(draft.Brand), jurisdiction = Blank(draft.Jurisdiction), locale = Blank(draft.Locale);
        if (brand is null && jurisdiction is null && locale is null) return;
        var known = await db.Database.SqlQuery<KnownReferences>($"""
            SELECT {brand}::text IS NULL OR EXISTS (SELECT 1 FROM brands WHERE slug = {brand}) AS "brand",
                   {jurisdiction}::text IS NULL OR EXISTS (SELECT 1 FROM jurisdictions WHERE code = {jurisdiction}) AS "jurisdiction",
                   {locale}::text IS NULL OR EXISTS (SELECT 1 FROM locales WHERE code = {locale}) AS "locale"
            """).SingleAsync(ct);
        if (!known.Brand) throw new ReleaseException($"Unknown brand '{brand}'.", "brand");
        if (!known.Jurisdiction) throw new ReleaseException($"Unknown jurisdiction '{jurisdiction}'.", "jurisdiction");
        if (!known.Locale) throw new ReleaseException($"Unknown locale '{locale}'.", "locale");
    }

    private sealed record KnownReferences(bool Brand, bool Jurisdiction, bool Locale);

    private void RequireEditor()
    {
        if (!CanEdit) throw new ReleaseException("Preparing releases needs the Editor, ReleaseManager or Admin role.");
    }

    private void RequireManager(string action)
    {
        if (!CanManage) throw new ReleaseException($"Only a ReleaseManager or an Admin can {action} a release.");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private Task<T> InTransactionAsync<T>(Func<AdminDbContext, Task<T>> work, CancellationToken ct) =>
        TransactionRunner.RunAsync(dbFactory, work, ReleaseErrors.Translate, ct, session);

    public static JsonObject ParsePayload(string? json, string field = "payload")
    {
        try
        {
            return JsonNode.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json) as JsonObject
                ?? throw new ReleaseException("The payload must be a JSON object ({ … }).", field);
        }
        catch (JsonException e)
        {
            throw new ReleaseException($"The payload is not valid JSON: {e.Message}", field);
        }
    }
}
