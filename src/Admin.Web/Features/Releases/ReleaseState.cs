using Admin.Data.Reference;
using Admin.Data.Releases;

namespace Admin.Web.Features.Releases;

/// <summary>
/// What the release page shows, as one serialisable value: persisted from the prerender into the circuit
/// (<c>[PersistentState]</c>), so the circuit's first render does not load the release again.
/// </summary>
public sealed record ReleaseSnapshot(
    long Id, ChangeFilter Filter, long? CompareWith, ReleaseDetail? Detail, ReleaseChangePage? Changes,
    IReadOnlyList<ReleasePick> CompareOptions, IReadOnlyList<CodeName> Locales, bool DetailLeftOut = false);

/// <summary>A release as the "compare with" picker offers it.</summary>
public sealed record ReleasePick(long Id, string Text);

/// <summary>
/// The release page's state and reads: the release with its conflicts, one page of its changes (filters and page from
/// the address, counted and paged by <see cref="ReleaseService.ChangesAsync"/>), the pickers' choices. The page only
/// binds to it; it has no database access of its own.
/// </summary>
public sealed class ReleaseState(ReleaseService releases, ReferenceQueries reference)
{
    public const int PageSize = 50;

    public long Id { get; private set; }
    public ReleaseDetail? Detail { get; private set; }
    public ReleaseChangePage Changes { get; private set; } = ReleaseChangePage.Empty;
    public ChangeFilter Filter { get; private set; } = new();
    public long? CompareWith { get; private set; }
    public IReadOnlyList<ReleasePick> CompareOptions { get; private set; } = [];
    public IReadOnlyList<CodeName> Locales { get; private set; } = [];
    public bool Loaded { get; private set; }

    public Release? Release => Detail?.Release;
    public bool CanEdit => releases.CanEdit;
    public bool CanManage => releases.CanManage;
    public bool IsAuthor => Release?.AuthorId is { } author && author == releases.CurrentUserId;
    public bool IsDraft => Release?.Status == ReleaseStatuses.Draft;
    public bool CanEditChanges => IsDraft && CanEdit && CompareWith is null;
    public string OldLabel => CompareWith is { } other ? $"#{other}" : Release?.Status == ReleaseStatuses.Deployed ? "Before" : "Live";

    /// <summary>The filters and page of the address (?q, ?type, ?change, ?page); a page that is not a number is the first.</summary>
    public static ChangeFilter FilterFrom(string? search, string? type, string? change, string? page) =>
        new(Blank(search), Blank(type), Blank(change), int.TryParse(page, out var p) && p > 0 ? p : 1, PageSize);

    /// <summary>
    /// How much the prerender may hand to the circuit, as JSON. The browser sends the persisted state back in the
    /// circuit's first SignalR message, which the hub refuses above 32 kB (the state travels data-protected and base64
    /// encoded, about 1.4 times larger, next to the other components' state): a circuit that cannot start is far worse
    /// than a second read, so a page of large payloads leaves the changes out and a huge conflict list persists nothing.
    /// </summary>
    public const int PersistBudget = 16 * 1024;

    /// <summary>
    /// What the circuit can take over: everything; or everything but the release and its conflicts (a long conflict
    /// list); or everything but the page of changes; or nothing (null).
    /// </summary>
    public ReleaseSnapshot? ToSnapshot(int budget = PersistBudget)
    {
        var full = new ReleaseSnapshot(Id, Filter, CompareWith, Detail, Changes, CompareOptions, Locales);
        if (SizeOf(full) <= budget) return full;
        // The page of changes is the expensive read (the diff); a long conflict list is the large part.
        var withoutDetail = full with { Detail = null, DetailLeftOut = true };
        if (Detail is not null && SizeOf(withoutDetail) <= budget) return withoutDetail;
        var withoutChanges = full with { Changes = null };
        return SizeOf(withoutChanges) <= budget ? withoutChanges : null;
    }

    private static int SizeOf(ReleaseSnapshot snapshot) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(snapshot).Length;

    /// <summary>
    /// Takes what the prerender loaded, when it is for this release and these filters (reading the page of changes when
    /// the snapshot had to leave it out); false when there is nothing to take over.
    /// </summary>
    public async Task<bool> TryRestoreAsync(ReleaseSnapshot? snapshot, long id, ChangeFilter filter, CancellationToken ct = default)
    {
        if (snapshot is null || snapshot.Id != id || snapshot.Filter != filter || snapshot.CompareWith is not null) return false;
        (Id, Filter, CompareWith, Detail, CompareOptions, Locales) =
            (snapshot.Id, snapshot.Filter, snapshot.CompareWith, snapshot.Detail, snapshot.CompareOptions, snapshot.Locales);
        if (snapshot.DetailLeftOut) Detail = await releases.GetAsync(Id, ct);
        Changes = snapshot.Changes ?? (Detail is null ? ReleaseChangePage.Empty : await releases.ChangesAsync(Id, CompareWith, Filter, ct));
        Loaded = true;
        return true;
    }

    /// <summary>Everything for release <paramref name="id"/>: the pickers, the release, its conflicts and one page of changes.</summary>
    public async Task LoadAsync(long id, ChangeFilter filter, CancellationToken ct = default)
    {
        if (id != Id) CompareWith = null;
        (Id, Filter) = (id, filter);
        if (Locales.Count == 0) Locales = await reference.LocalesAsync(ct);
        if (CompareOptions.Count == 0)
            CompareOptions = (await releases.RecentReleasesAsync(ct: ct)).Select(r => new ReleasePick(r.Id, $"#{r.Id} {r.Name} ({ReleaseStatuses.Label(r.Status)})")).ToList();
        await ReloadAsync(ct);
    }

    /// <summary>The release and the current page again (after an action, or when any release changed).</summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        Detail = await releases.GetAsync(Id, ct);
        Changes = Detail is null ? ReleaseChangePage.Empty : await releases.ChangesAsync(Id, CompareWith, Filter, ct);
        Loaded = true;
    }

    /// <summary>Another filter or page of the same release: only the changes are read again.</summary>
    public async Task FilterAsync(ChangeFilter filter, CancellationToken ct = default)
    {
        Filter = filter;
        if (Detail is not null) Changes = await releases.ChangesAsync(Id, CompareWith, Filter, ct);
    }

    public async Task CompareWithAsync(long? other, CancellationToken ct = default)
    {
        CompareWith = other;
        Filter = Filter with { Page = 1 };
        if (Detail is not null) Changes = await releases.ChangesAsync(Id, CompareWith, Filter, ct);
    }

    /// <summary>The page's changes by type, in the page's order, with how many of that type match the filters.</summary>
    public IEnumerable<(string Type, int Matching, IReadOnlyList<ReleaseChange> Items)> Groups =>
        Changes.Items.GroupBy(c => c.EntityType)
            .Select(g => (g.Key, Changes.MatchingTypes.GetValueOrDefault(g.Key), (IReadOnlyList<ReleaseChange>)g.ToList()));

    /// <summary>The types this release changes, in the console's type order.</summary>
    public IEnumerable<string> Types => EntityTypes.All.Where(Changes.Types.ContainsKey);

    /// <summary>"120 changes: 100 added, 20 modified".</summary>
    public string Summary
    {
        get
        {
            var kinds = Changes.Kinds.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value:N0} {k.Key}");
            return $"{Changes.Total:N0} change{(Changes.Total == 1 ? "" : "s")}: {string.Join(", ", kinds)}";
        }
    }

    public Task<IReadOnlyList<ReleaseConflict>> ConflictsAsync() => releases.ConflictsAsync(Id);

    public Task<IReadOnlyList<RollbackPreviewItem>> RollbackPreviewAsync() => releases.RollbackPreviewAsync(Id);

    public Task<EntityVersion?> VersionAsync(Guid entityId) => releases.GetVersionAsync(Id, entityId);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
