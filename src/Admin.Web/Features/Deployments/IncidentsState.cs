using Admin.Data;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The incidents page's state: the list (open only or all), the form that opens one (title, severity, service,
/// environment, start, causing deployments), and resolving one (now, or fixed by a later deployment). A refusal is kept
/// with its field; the form is cleared only when the incident was opened.
/// </summary>
public sealed class IncidentsState(IncidentService incidents, Func<DateTimeOffset> now)
{
    public IReadOnlyList<Incident> Items { get; private set; } = [];
    public bool OpenOnly { get; private set; } = true;
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

    public async Task LoadAsync(CancellationToken ct = default) => Items = await incidents.ListAsync(OpenOnly, ct: ct);

    public Task ShowAsync(bool openOnly)
    {
        OpenOnly = openOnly;
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
