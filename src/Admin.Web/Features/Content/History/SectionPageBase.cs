using Admin.Data.Content;
using Admin.Web.Components.Shared;
using Microsoft.AspNetCore.Components;

namespace Admin.Web.Features.Content.History;

/// <summary>
/// What the history, compare and version pages share: the section (with its newest version number), and a live
/// subscription that reloads the page when anyone changes that section (LiveBus topic "content", event id = section
/// id), coalesced so a burst of changes is one reload.
/// </summary>
public abstract class SectionPageBase : LiveComponentBase
{
    [Parameter] public Guid Id { get; set; }

    [Inject] protected ContentService Content { get; set; } = default!;
    [Inject] private VersionRestorer Restorer { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    /// <summary>Null until loaded, or when the section does not exist.</summary>
    protected SectionDetail? Detail { get; private set; }
    protected bool Loaded { get; private set; }

    protected override void OnInitialized() =>
        Live("content", ct => LoadAsync(live: true, ct), when: e => e.Id == Id.ToString());

    protected override async Task OnParametersSetAsync() => await LoadAsync(live: false, CancellationToken.None);

    /// <summary>Reloads the section and the page, as a live change would (after the page itself changed something).</summary>
    protected Task ReloadAsync() => LoadAsync(live: true, CancellationToken.None);

    private async Task LoadAsync(bool live, CancellationToken ct)
    {
        Detail = await Content.GetAsync(Id, ct);
        if (Detail is not null) await LoadPageAsync(Detail, live, ct);
        Loaded = true;
    }

    /// <param name="live">True when reloading because the section changed, false when (re)opened with new parameters.</param>
    protected abstract Task LoadPageAsync(SectionDetail detail, bool live, CancellationToken ct);

    /// <summary>Restores a version as a new draft; the history then shows it on top. On a conflict the page reloads.</summary>
    protected async Task RestoreThenShowHistoryAsync(int number)
    {
        if (await Restorer.RestoreAsync(Id, number, Detail?.Latest.VersionNumber ?? 0) is { } added) Navigation.NavigateTo(Paths.History(Id, added));
        else await ReloadAsync();
    }

    /// <summary>The products and categories a version links to (their names are looked up in one go).</summary>
    protected static IEnumerable<Guid> LinkedIds(SectionVersion version) =>
        SectionSchemas.LinkedIds(version.Content, "productIds").Concat(SectionSchemas.LinkedIds(version.Content, "categoryIds"));
}
