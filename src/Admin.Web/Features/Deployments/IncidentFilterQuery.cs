using System.Globalization;
using Admin.Data.Deployments;
using Microsoft.AspNetCore.WebUtilities;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The incidents filter in the address (<c>?status=&amp;severity=&amp;environment=&amp;service=&amp;from=&amp;to=</c>), so a filtered
/// list can be shared and reloaded. No status means open incidents (what one acts on), <c>status=all</c> every
/// incident; days are UTC dates of the start, <c>to</c> the last day included. Unknown values are ignored.
/// </summary>
public static class IncidentFilterQuery
{
    public const string All = "all";
    private const string DayFormat = "yyyy-MM-dd";

    /// <summary><paramref name="path"/> with the filter's query; empty parts are left out.</summary>
    public static string ToUri(string path, IncidentFilter filter)
    {
        var query = new Dictionary<string, string?>
        {
            ["status"] = filter.Status switch { null => All, IncidentFilter.Open => null, var s => s },
            ["severity"] = filter.Severity,
            ["environment"] = filter.Environment,
            ["service"] = filter.Service,
            ["from"] = filter.From?.UtcDateTime.ToString(DayFormat, CultureInfo.InvariantCulture),
            ["to"] = filter.To?.UtcDateTime.Date.AddDays(-1).ToString(DayFormat, CultureInfo.InvariantCulture),
        }.Where(p => !string.IsNullOrWhiteSpace(p.Value));
        return QueryHelpers.AddQueryString(path, query);
    }

    public static IncidentFilter FromQuery(string? status, string? severity, string? environment, string? service, string? from, string? to) => new(
        status == All ? null : IncidentFilter.Statuses.Contains(status ?? "") ? status : IncidentFilter.Open,
        IncidentSeverities.All.Contains(severity ?? "") ? severity : null,
        string.IsNullOrWhiteSpace(environment) ? null : environment,
        string.IsNullOrWhiteSpace(service) ? null : service,
        DeploymentFilterQuery.Day(from),
        DeploymentFilterQuery.Day(to)?.AddDays(1));
}
