using System.Globalization;
using Admin.Data.Deployments;
using Microsoft.AspNetCore.WebUtilities;

namespace Admin.Web.Features.Deployments;

/// <summary>
/// The deployments filter in the address (<c>?environment=&amp;service=&amp;status=&amp;q=&amp;from=&amp;to=</c>), so a filtered
/// list or dashboard can be bookmarked, shared and reloaded. Days are UTC dates; <c>to</c> is the last day included.
/// </summary>
public static class DeploymentFilterQuery
{
    private const string DayFormat = "yyyy-MM-dd";

    /// <summary><paramref name="path"/> with the filter's query; empty parts are left out.</summary>
    public static string ToUri(string path, DeploymentFilter filter)
    {
        var query = new Dictionary<string, string?>
        {
            ["environment"] = filter.Environment,
            ["service"] = filter.Service,
            ["status"] = filter.Status,
            ["q"] = filter.Text,
            ["from"] = filter.From?.UtcDateTime.ToString(DayFormat, CultureInfo.InvariantCulture),
            ["to"] = filter.To?.UtcDateTime.Date.AddDays(-1).ToString(DayFormat, CultureInfo.InvariantCulture),
        }.Where(p => !string.IsNullOrWhiteSpace(p.Value));
        return QueryHelpers.AddQueryString(path, query);
    }

    /// <summary>The filter the query parameters describe; unknown statuses and malformed days are ignored.</summary>
    public static DeploymentFilter FromQuery(string? environment, string? service, string? status, string? text, string? from, string? to) => new(
        Day(from),
        Day(to)?.AddDays(1),
        Blank(environment),
        Blank(service),
        DeploymentStatuses.All.Contains(status ?? "") ? status : null,
        Blank(text)?.Trim());

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>A UTC day (yyyy-MM-dd) as its midnight, or null when malformed.</summary>
    internal static DateTimeOffset? Day(string? value) =>
        DateTime.TryParseExact(value, DayFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var day)
            ? new DateTimeOffset(DateTime.SpecifyKind(day.Date, DateTimeKind.Utc))
            : null;
}
