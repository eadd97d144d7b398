using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Admin.Data.Deployments;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Identity;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>POST /api/deployments/export body.</summary>
/// <param name="Format">csv or json.</param>
/// <param name="From">Created at or after (ISO 8601).</param>
/// <param name="To">Created before (ISO 8601).</param>
public sealed record ExportRequest(string Format = "csv", string? Environment = null, string? Service = null, string? Status = null,
    string? Text = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>
/// Export of the filtered deployments with their histories, streamed (CSV or JSON) to a signed-in release manager or
/// admin (the UI) or to a CI/CD token. With Idempotency-Key the snapshot bound is stored in PostgreSQL, so a repeat
/// returns the same content; X-Total-Count lets the UI show progress.
/// </summary>
public static class ExportEndpoint
{
    public const string Policy = "deploy-export";

    public static void AddPolicy(Microsoft.AspNetCore.Authorization.AuthorizationBuilder builder) =>
        builder.AddPolicy(Policy, p => p
            .AddAuthenticationSchemes(IdentityConstants.ApplicationScheme, DeployTokenHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(c => c.User.HasClaim(h => h.Type == DeployTokenHandler.TokenIdClaim)
                                   || c.User.IsInRole(AppRoles.Admin) || c.User.IsInRole(AppRoles.ReleaseManager)));

    public static void MapExport(this RouteGroupBuilder group) =>
        group.MapPost("/export", ExportAsync)
            .RequireAuthorization(Policy)
            .Accepts<ExportRequest>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .WithName("ExportDeployments")
            .WithSummary("Export deployments with their status histories")
            .WithDescription("Streams the filtered deployments (CSV, one line per deployment with the history as a JSON column; or a JSON " +
                             "array). X-Total-Count gives the number of deployments. With Idempotency-Key, a repeat with the same filter returns " +
                             "the same content (the snapshot bound is kept under the key); another filter with the same key is a 422.");

    private static async Task ExportAsync(HttpContext http, DeploymentExporter exporter)
    {
        var key = http.Request.Headers[DeploymentApi.IdempotencyHeader].ToString();
        if (key.Length > 200)
        {
            await ApiProblems.InvalidAsync(http, DeploymentApi.IdempotencyHeader, "must be at most 200 characters");
            return;
        }
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            body = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            await ApiProblems.InvalidAsync(http, "body", "is not valid JSON; send an object such as {\"format\":\"csv\"}");
            return;
        }
        var (filter, format, problem) = Parse(body);
        if (filter is null || format is null)
        {
            await ApiProblems.InvalidAsync(http, problem.Field!, problem.Error!);
            return;
        }

        await using var run = await exporter.BeginAsync(Owner(http.User), key.Length == 0 ? null : key, filter, format.Value, http.RequestAborted);
        if (run is null)
        {
            await ApiProblems.WriteAsync(http, StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
                "This Idempotency-Key was used for an export with another filter or format; use a new key.", DeploymentApi.IdempotencyHeader);
            return;
        }
        var response = http.Response;
        response.ContentType = DeploymentExporter.ContentType(format.Value);
        response.Headers.ContentDisposition = $"attachment; filename=\"{DeploymentExporter.FileName(format.Value, run.Bound)}\"";
        response.Headers["X-Total-Count"] = run.Count.ToString(CultureInfo.InvariantCulture);
        response.Headers["X-Export-Bound"] = $"{run.Bound.MaxDeploymentId}/{run.Bound.MaxHistoryId}";
        response.Headers.CacheControl = "no-store";
        if (run.Bound.Replayed) response.Headers[DeploymentApi.ReplayedHeader] = "true";
        await DeploymentExporter.WriteAsync(response.Body, format.Value, run.Rows, http.RequestAborted);
    }

    private static string Owner(ClaimsPrincipal user) =>
        user.FindFirstValue(DeployTokenHandler.TokenIdClaim) is { } token ? "token:" + token : "user:" + user.FindFirstValue(ClaimTypes.NameIdentifier);

    private static (DeploymentFilter? Filter, ExportFormat? Format, (string? Field, string? Error) Problem) Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, null, ("body", "must be a JSON object"));
        string? Text(string name) => body.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: JsonValueKind.String } p
            ? p.Value.GetString()!.Trim() is { Length: > 0 } t ? t : null
            : null;
        var formatText = Text("format") ?? "csv";
        if (!Enum.TryParse<ExportFormat>(formatText, ignoreCase: true, out var format) || formatText.Any(char.IsDigit))
            return (null, null, ("format", "must be csv or json"));
        var status = Text("status");
        if (status is not null && DeploymentStatuses.Parse(status) is null)
            return (null, null, ("status", $"must be one of: {string.Join(", ", DeploymentStatuses.All)}"));
        DateTimeOffset? from = null, to = null;
        foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("from", v => from = v), ("to", v => to = v) })
        {
            if (Text(name) is not { } value) continue;
            if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return (null, null, (name, "must be an ISO 8601 date or date and time"));
            set(at.ToUniversalTime());
        }
        if (from is { } f && to is { } t && t <= f) return (null, null, ("to", "must be after from"));
        var text = Text("text");
        if (text is { Length: > 200 }) return (null, null, ("text", "is limited to 200 characters"));
        return (new DeploymentFilter(from, to, Text("environment"), Text("service"), status is null ? null : DeploymentStatuses.Parse(status), text), format, (null, null));
    }
}
