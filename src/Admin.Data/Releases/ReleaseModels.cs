using System.Text.Json.Nodes;

namespace Admin.Data.Releases;

public sealed record ReleaseListItem(
    long Id, string Name, string Status, long? DeploySeq, int Changes, string? AuthorEmail,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, int Blocking, int Warnings,
    DateTimeOffset? ScheduledAt = null, bool ScheduleHeld = false);

/// <summary>A page of the list, newest first; <see cref="NextBefore"/> is the keyset for the next page.</summary>
public sealed record ReleaseListPage(IReadOnlyList<ReleaseListItem> Items, long? NextBefore);

/// <summary>One row of calculate_release_diff: added, modified (with the changed paths) or removed.</summary>
public sealed record ReleaseChange(
    Guid EntityId, string EntityType, string? EntityKey, string? LocaleId, string EntityName, string Change, string[] ChangedPaths,
    string? OldSlug, string? NewSlug, string? OldPayload, string? NewPayload, long? OldReleaseId, long? NewReleaseId);

public static class ChangeKinds
{
    public const string Added = "added";
    public const string Modified = "modified";
    public const string Removed = "removed";
}

/// <summary>One row of check_release_conflicts, explained in plain words.</summary>
public sealed record ReleaseConflict(
    string Kind, string Severity, Guid EntityId, string EntityType, string EntityName,
    long? OtherReleaseId, string? OtherReleaseName, Guid? OtherEntityId, string Message)
{
    public bool IsBlocking => Severity == "blocking";
}

/// <summary>What a rollback changes back for one entity (release_rollback_preview).</summary>
public sealed record RollbackPreviewItem(
    Guid EntityId, string EntityType, string EntityName, string Change, string? CurrentPayload, string? RestoredPayload, long? RestoredReleaseId);

public sealed record LiveEntity(
    Guid EntityId, string EntityType, string? EntityKey, string? LocaleId, string? Brand, string? Jurisdiction, string? Slug,
    string EntityName, string Payload, Guid? ParentEntityId, long ReleaseId, string ReleaseName, long? DeploySeq);

/// <summary>
/// A search of the live state (or the state as if <see cref="AsOfRelease"/> were deployed). Key and slug match as
/// prefixes; paging is keyset on the entity id.
/// </summary>
public sealed record LiveQuery(long? AsOfRelease = null, string? Type = null, string? Key = null, string? Slug = null, string? Locale = null,
    Guid? After = null, int PageSize = 50);

public sealed record LivePage(IReadOnlyList<LiveEntity> Items, Guid? Next);

/// <summary>An entity as the forms edit it. A null <see cref="EntityId"/> creates a new entity.</summary>
public sealed record EntityDraft(
    Guid? EntityId, string Type, string? Key, string? Locale, string? Brand, string? Jurisdiction, string? Slug,
    Guid? ParentEntityId, JsonObject Payload);

public sealed record ReleaseDetail(Release Release, int Changes, IReadOnlyList<ReleaseConflict> Conflicts);

/// <summary>A refused action or invalid input; <see cref="Field"/> names the form field when there is one.</summary>
public sealed class ReleaseException(string message, string? field = null) : UserFacingException(message, field);

/// <summary>
/// The release page's filters over its changes: <see cref="Search"/> looks in key, name, slugs and locale (any case);
/// <see cref="Type"/> and <see cref="Change"/> match exactly. <see cref="Page"/> counts from 1 and is clamped to the last page.
/// </summary>
public sealed record ChangeFilter(string? Search = null, string? Type = null, string? Change = null, int Page = 1, int PageSize = 50);

/// <summary>
/// One page of a release's changes (in the page's order: type, then as the diff sorts) with the counts the page shows:
/// all changes by kind and by type, and the changes matching the filters by type. Only the page's rows carry payloads.
/// </summary>
public sealed record ReleaseChangePage(
    IReadOnlyList<ReleaseChange> Items, int Page, int PageSize, int Total, int Matching,
    IReadOnlyDictionary<string, int> Kinds, IReadOnlyDictionary<string, int> Types, IReadOnlyDictionary<string, int> MatchingTypes)
{
    public static readonly ReleaseChangePage Empty = new([], 1, 50, 0, 0, new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>());

    public int PageCount => Math.Max(1, (Matching + PageSize - 1) / PageSize);
    public int First => Matching == 0 ? 0 : (Page - 1) * PageSize + 1;
    public int Last => Math.Min(Page * PageSize, Matching);
}
