using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The deployments list page's state: the waiting deployments, the filter, and keyset pages of the list (newest first;
/// the cursors of the pages before the current one are kept so "Newer" goes back without offsets).
/// </summary>
public sealed class DeploymentListState(DeploymentService deployments)
{
    public const int PageSize = 50;

    private readonly KeysetPages<DeploymentCursor> _pages = new();

    public DeploymentFilter Filter { get; private set; } = new();
    public DeploymentPage? Page { get; private set; }
    public IReadOnlyList<DeploymentListItem> Waiting { get; private set; } = [];
    public IReadOnlyList<string> Environments { get; private set; } = [];
    public IReadOnlyList<string> Services { get; private set; } = [];

    /// <summary>1 for the newest page.</summary>
    public int PageNumber => _pages.PageNumber;
    public bool HasNewer => _pages.HasNewer;
    public bool HasOlder => Page?.Next is not null;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        Environments = (await deployments.EnvironmentsAsync(ct)).Select(e => e.Name).ToList();
        Services = await deployments.ServicesAsync(ct);
    }

    /// <summary>Shows <paramref name="filter"/> from its newest page; false (and nothing loaded) when it is the filter shown already.</summary>
    public async Task<bool> ApplyAsync(DeploymentFilter filter, CancellationToken ct = default)
    {
        if (Page is not null && filter == Filter) return false;
        Filter = filter;
        _pages.Newest();
        await LoadAsync(ct);
        return true;
    }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        Waiting = await deployments.WaitingAsync(ct: ct);
        Page = await deployments.ListAsync(Filter, _pages.After, PageSize, ct);
    }

    public async Task OlderAsync()
    {
        if (_pages.Older(Page?.Next)) await LoadAsync();
    }

    public Task NewerAsync()
    {
        _pages.Newer();
        return LoadAsync();
    }

    public Task NewestAsync()
    {
        _pages.Newest();
        return LoadAsync();
    }

    internal static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var age = now - at;
        return age.TotalMinutes < 1 ? "just now" : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min ago"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours} h ago" : at.UtcDateTime.ToString("yyyy-MM-dd HH:mm") + " UTC";
    }
}
