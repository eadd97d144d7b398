using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Releases;

/// <summary>What the release page shows for one release, filter and page (one read's result).</summary>
public sealed record ReleaseSnapshot(
    long Id, ChangeFilter Filter, ReleaseDetail? Detail, ReleaseChangePage Changes,
    IReadOnlyList<ReleasePick> CompareOptions, IReadOnlyList<CodeName> Locales);

/// <summary>
/// What the prerender persists into the page for the circuit: which read it started, and the key of that read in this
/// instance's <see cref="PrerenderHandoff"/> (data-protected in the page, so it cannot be read or forged).
/// </summary>
public sealed record ReleasePrerender(long Id, ChangeFilter Filter, string Key);

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
    /// The prerender's part: starts reading release <paramref name="id"/> and hands the running read to the circuit that
    /// follows, instead of waiting for it. The diff and conflict check of a large release take a few hundred
    /// milliseconds; waiting for them held back the HTML, and so the script and the circuit, by as much. Now the HTML
    /// goes out at once and the read runs while the browser starts the circuit, which takes it over
    /// (<see cref="TryTakeOverAsync"/>). The read acts for the current user whatever happens to the request.
    /// </summary>
    public ReleasePrerender StartForCircuit(long id, ChangeFilter filter)
    {
        (Id, Filter) = (id, filter);
        // Reference data is read by the circuit (its scope has the user); the prerender starts only the release's reads.
        _started = ReadAsync(releases.AsCurrentUser(), id, filter, Task.FromResult<IReadOnlyList<CodeName>>([]), CancellationToken.None);
        return new ReleasePrerender(id, filter, handoff.Keep(_started, Owner));
    }

    private Task<ReleaseSnapshot>? _started;

    /// <summary>
    /// The configuration key of how long the prerender waits for the read it started: a read done by then is in the
    /// HTML (a small release's is, in a few milliseconds); a longer one is left to the circuit.
    /// </summary>
    public const string PrerenderWaitKey = "Releases:PrerenderWait";

    public static readonly TimeSpan DefaultPrerenderWait = TimeSpan.FromMilliseconds(50);

    /// <summary>Shows the started read if it finishes within <paramref name="wait"/> (the circuit still takes it over).</summary>
    public async Task ShowIfReadyAsync(TimeSpan wait)
    {
        if (_started is not { } read) return;
        await Task.WhenAny(read, Task.Delay(wait));
        if (read.IsCompletedSuccessfully) Apply(read.Result);
    }

    private string Owner => releases.CurrentUserId?.ToString() ?? "";

    /// <summary>
    /// Takes over the read the prerender started, when it is for this release and these filters, was started on this
    /// instance for this user and succeeded; false when there is nothing to take over (then the page reads itself).
    /// </summary>
    public async Task<bool> TryTakeOverAsync(ReleasePrerender? prerender, long id, ChangeFilter filter)
    {
        if (prerender is null || prerender.Id != id || prerender.Filter != filter) return false;
        if (handoff.Take<Task<ReleaseSnapshot>>(prerender.Key, Owner) is not { } read) return false;
        // Usually the read finished while the browser started the circuit: then this completes at once and the
        // circuit's first render already shows the changes (the locales wait for the editor dialog that needs them).
        try
        {
            Apply(await read);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The prerender's read failed (the database went away, say): read again here, where a failure is shown.
            return false;
        }
        return true;
    }

    /// <summary>The locales the change editor offers, read once when first needed.</summary>
    public async Task<IReadOnlyList<CodeName>> LocalesAsync()
    {
        if (Locales.Count == 0) Locales = await reference.LocalesAsync();
        return Locales;
    }

    /// <summary>
    /// Everything for release <paramref name="id"/>: the pickers, the release, its conflicts and one page of changes.
    /// </summary>
    public async Task LoadAsync(long id, ChangeFilter filter, CancellationToken ct = default)
    {
        if (id != Id) CompareWith = null;
        var locales = Locales.Count > 0 ? Task.FromResult(Locales) : reference.LocalesAsync(ct);
        Apply(await ReadAsync(releases, id, filter, locales, ct, CompareWith, CompareOptions));
    }

    /// <summary>
    /// One read of the page, side by side (each on its own connection) since the diff and the conflict check are the
    /// slow part; the pickers only when not read yet.
    /// </summary>
    private static async Task<ReleaseSnapshot> ReadAsync(ReleaseService service, long id, ChangeFilter filter, Task<IReadOnlyList<CodeName>> locales,
        CancellationToken ct, long? compareWith = null, IReadOnlyList<ReleasePick>? options = null)
    {
        var recentRead = options is { Count: > 0 } ? null : service.RecentReleasesAsync(ct: ct);
        var detailRead = service.GetAsync(id, ct);
        var changesRead = service.ChangesAsync(id, compareWith, filter, ct);
        var detail = await detailRead;
        var changes = await changesRead;
        options = recentRead is null ? options! :
            (await recentRead).Select(r => new ReleasePick(r.Id, $"#{r.Id} {r.Name} ({ReleaseStatuses.Label(r.Status)})")).ToList();
        return new ReleaseSnapshot(id, filter, detail, detail is null ? ReleaseChangePage.Empty : changes, options, await locales);
    }

    private void Apply(ReleaseSnapshot read)
    {
        (Id, Filter, Detail, Changes, CompareOptions, Locales) = (read.Id, read.Filter, read.Detail, read.Changes, read.CompareOptions, read.Locales);
        Loaded = true;
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
    public IEnumerable<string> Types => EntityTypes.Changes.Where(Changes.Types.ContainsKey);

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
