using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Releases;

/// <summary>
/// What the release page shows, as one serialisable value: persisted from the prerender into the circuit
/// (<c>[PersistentState]</c>), so the circuit's first render does not load the release again. A snapshot too large to
/// travel in the page carries only its <see cref="Handoff"/> key (see <see cref="PrerenderHandoff"/>).
/// </summary>
public sealed record ReleaseSnapshot(
    long Id, ChangeFilter Filter, long? CompareWith, ReleaseDetail? Detail, ReleaseChangePage? Changes,
    IReadOnlyList<ReleasePick> CompareOptions, IReadOnlyList<CodeName> Locales, string? Handoff = null);

/// <summary>A release as the "compare with" picker offers it.</summary>
public sealed record ReleasePick(long Id, string Text);

/// <summary>
/// The release page's state and reads: the release with its conflicts, one page of its changes (filters and page from
/// the address, counted and paged by <see cref="ReleaseService.ChangesAsync"/>), the pickers' choices. The page only
/// binds to it; it has no database access of its own.
/// </summary>
public sealed class ReleaseState(ReleaseService releases, ReferenceQueries reference, PrerenderHandoff handoff)
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
    /// How much the prerender persists into the page, as JSON. The browser sends the persisted state back in the
    /// circuit's first SignalR message, which the hub refuses above 32 kB (the state travels data-protected and base64
    /// encoded, about 1.4 times larger, next to the other components' state); a larger snapshot is handed over in memory.
    /// </summary>
    public const int PersistBudget = 16 * 1024;

    /// <summary>
    /// What the circuit takes over: the whole snapshot when it fits the budget (it then works on any instance), otherwise
    /// a key to it, kept in this instance's memory for the circuit that follows.
    /// </summary>
    public ReleaseSnapshot ToSnapshot(int budget = PersistBudget)
    {
        var full = new ReleaseSnapshot(Id, Filter, CompareWith, Detail, Changes, CompareOptions, Locales);
        if (System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(full).Length <= budget) return full;
        return new ReleaseSnapshot(Id, Filter, CompareWith, null, null, [], [], handoff.Keep(full, Owner));
    }

    private string Owner => releases.CurrentUserId?.ToString() ?? "";

    /// <summary>
    /// Takes what the prerender loaded, when it is for this release and these filters; false when there is nothing to
    /// take over (no snapshot, another release or filter, a handoff that expired or was kept on another instance).
    /// </summary>
    public bool TryRestore(ReleaseSnapshot? snapshot, long id, ChangeFilter filter)
    {
        if (snapshot?.Handoff is { } key) snapshot = handoff.Take<ReleaseSnapshot>(key, Owner);
        if (snapshot is null || snapshot.Id != id || snapshot.Filter != filter || snapshot.CompareWith is not null) return false;
        (Id, Filter, CompareWith, Detail, Changes, CompareOptions, Locales) =
            (snapshot.Id, snapshot.Filter, snapshot.CompareWith, snapshot.Detail, snapshot.Changes ?? ReleaseChangePage.Empty, snapshot.CompareOptions, snapshot.Locales);
        Loaded = true;
        return true;
    }

    /// <summary>
    /// Everything for release <paramref name="id"/>: the pickers, the release, its conflicts and one page of changes, read
    /// side by side (each on its own connection) since the diff and the conflict check are the slow part.
    /// </summary>
    public async Task LoadAsync(long id, ChangeFilter filter, CancellationToken ct = default)
    {
        if (id != Id) CompareWith = null;
        (Id, Filter) = (id, filter);
        var locales = Locales.Count == 0 ? reference.LocalesAsync(ct) : Task.FromResult(Locales);
        var recent = CompareOptions.Count == 0 ? releases.RecentReleasesAsync(ct: ct) : null;
        var reload = ReloadAsync(ct);
        Locales = await locales;
        if (recent is not null)
            CompareOptions = (await recent).Select(r => new ReleasePick(r.Id, $"#{r.Id} {r.Name} ({ReleaseStatuses.Label(r.Status)})")).ToList();
        await reload;
    }

    /// <summary>The release and the current page again (after an action, or when any release changed).</summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        var detail = releases.GetAsync(Id, ct);
        var changes = releases.ChangesAsync(Id, CompareWith, Filter, ct);
        await Task.WhenAll(detail, changes);
        Detail = detail.Result;
        Changes = Detail is null ? ReleaseChangePage.Empty : changes.Result;
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
