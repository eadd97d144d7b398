using Admin.Data;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The incidents page's state: the filtered list in keyset pages (newest start first; the cursors of the pages before
/// the current one are kept, as on the deployments list), the form that opens one (title, severity, service,
/// environment, start, causing deployments), and resolving one (now, or fixed by a later deployment). A refusal is kept
/// with its field; the form is cleared only when the incident was opened.
/// </summary>
public sealed class IncidentsState(IncidentService incidents, Func<DateTimeOffset> now)
{
    public const int PageSize = 50;

    private readonly KeysetPages<IncidentCursor> _pages = new();

    public IncidentFilter Filter { get; private set; } = new();
    public IncidentPage? Page { get; private set; }
    public IReadOnlyList<Incident> Items => Page?.Items ?? [];

    /// <summary>1 for the newest page.</summary>
    public int PageNumber => _pages.PageNumber;
    public bool HasNewer => _pages.HasNewer;
    public bool HasOlder => Page?.Next is not null;
    public string Title { get; set; } = "";
    public string Severity { get; set; } = "sev2";
    public string Service { get; set; } = "";
    public string Environment { get; set; } = DeploymentMetrics.LeadTimeDefaultEnvironment;
    public DateTime? StartedAt { get; set; }
    /// <summary>Deployments that caused it: external ids or ids, separated by commas or spaces.</summary>
    public string CausedBy { get; set; } = "";
    /// <summary>Per incident: the deployment that fixed it, as typed.</summary>
    public Dictionary<long, string> FixedBy { get; } = [];
    public string? Error { get; private set; }
    public string? ErrorField { get; private set; }
    public bool Busy { get; private set; }

    /// <summary>The list's refusal of a filter (say, a range that ends before it starts).</summary>
    public string? FilterError { get; private set; }

    /// <summary>Shows <paramref name="filter"/> from its newest page; false (and nothing loaded) when it is the filter shown already.</summary>
    public async Task<bool> ApplyAsync(IncidentFilter filter, CancellationToken ct = default)
    {
        if (Page is not null && filter == Filter) return false;
        Filter = filter;
        _pages.Newest();
        await LoadAsync(ct);
        return true;
    }

    public async Task LoadAsync(CancellationToken ct = default)
    {
        try
        {
            FilterError = null;
            Page = await incidents.ListPageAsync(Filter, _pages.After, PageSize, ct);
        }
        catch (UserFacingException e)
        {
            FilterError = e.Message;
            Page = new IncidentPage([], null);
        }
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

    /// <summary>Opens the incident; true when it was (the form is cleared), else <see cref="Error"/> says why.</summary>
    public Task<bool> OpenAsync() => RunAsync(async () =>
    {
        var started = StartedAt is { } s ? new DateTimeOffset(DateTime.SpecifyKind(s, DateTimeKind.Utc)) : now();
        await incidents.CreateAsync(new NewIncident(Title, Severity, Service.Trim(), Environment, started, TokenScope.ParseList(CausedBy)));
        Title = "";
        CausedBy = "";
        StartedAt = null;
    });

    /// <summary>Resolves now, or at the finish of the deployment typed as its fix (rolled forward).</summary>
    public Task<bool> ResolveAsync(Incident incident) => RunAsync(async () =>
    {
        var fix = FixedBy.GetValueOrDefault(incident.Id)?.Trim();
        await incidents.UpdateAsync(incident.Id, new IncidentChange(Resolve: true, FixedBy: string.IsNullOrEmpty(fix) ? null : fix));
        FixedBy.Remove(incident.Id);
    });

    private async Task<bool> RunAsync(Func<Task> action)
    {
        Busy = true;
        Error = ErrorField = null;
        try
        {
            await action();
            await LoadAsync();
            return true;
        }
        catch (UserFacingException e)
        {
            (Error, ErrorField) = (e.Message, e.Field);
            return false;
        }
        finally { Busy = false; }
    }
}
