using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Releases;

/// <summary>
/// The live content page's state and reads: the filters (bound by the page), the entities found so far (keyset pages
/// of <see cref="PageSize"/>), and the pickers' choices. The page only binds to it.
/// </summary>
public sealed class LiveContentState(ReleaseService releases, ReferenceQueries reference)
{
    public const int PageSize = 50;

    public IReadOnlyList<CodeName> Locales { get; private set; } = [];
    public IReadOnlyList<ReleasePick> ReleaseOptions { get; private set; } = [];
    /// <summary>Draft releases a deletion can go to (none when the user may not edit releases).</summary>
    public IReadOnlyList<Release> DraftReleases { get; private set; } = [];

    public long? AsOf { get; set; }
    public string? Type { get; set; }
    public string? Key { get; set; }
    public string? Slug { get; set; }
    public string? Locale { get; set; }

    public List<LiveEntity> Rows { get; } = [];
    public bool HasMore => _next is not null;
    public bool Loaded { get; private set; }

    private Guid? _next;

    /// <summary>The pickers, the filters of the address (?type, ?asOf; an unknown type is ignored) and the first page.</summary>
    public async Task LoadAsync(string? typeQuery, long? asOfQuery, CancellationToken ct = default)
    {
        Locales = await reference.LocalesAsync(ct);
        var recent = await releases.RecentReleasesAsync(ct: ct);
        ReleaseOptions = recent.Where(r => r.Status != ReleaseStatuses.Abandoned)
            .Select(r => new ReleasePick(r.Id, $"As if #{r.Id} {r.Name} were deployed ({ReleaseStatuses.Label(r.Status)})")).ToList();
        DraftReleases = releases.CanEdit ? recent.Where(r => r.Status == ReleaseStatuses.Draft).ToList() : [];
        Type = EntityTypes.All.Contains(typeQuery ?? "") ? typeQuery : null;
        AsOf = asOfQuery;
        await SearchAsync(ct);
    }

    /// <summary>The first page for the current filters.</summary>
    public async Task SearchAsync(CancellationToken ct = default)
    {
        var page = await releases.LiveAsync(Query(null), ct);
        Rows.Clear();
        Rows.AddRange(page.Items);
        _next = page.Next;
        Loaded = true;
    }

    /// <summary>The next page, after the last entity shown.</summary>
    public async Task MoreAsync(CancellationToken ct = default)
    {
        if (_next is null) return;
        var page = await releases.LiveAsync(Query(_next), ct);
        Rows.AddRange(page.Items);
        _next = page.Next;
    }

    /// <summary>The draft release a deletion goes to: the one the page shows the state of, else the newest draft.</summary>
    public Release? DeletionTarget => DraftReleases.FirstOrDefault(r => r.Id == AsOf) ?? DraftReleases.FirstOrDefault();

    /// <summary>The first field of a payload that is not its title, "field: value", at most 80 characters.</summary>
    public static string Preview(string payload)
    {
        var text = PayloadFlattener.Flatten(payload).Select(kv => $"{kv.Key[2..]}: {kv.Value}").FirstOrDefault(s => !s.StartsWith("title:", StringComparison.Ordinal)) ?? "";
        return text.Length > 80 ? text[..80] + "…" : text;
    }

    private LiveQuery Query(Guid? after) => new(AsOf, Type, Key, Slug, Locale, after, PageSize);
}
