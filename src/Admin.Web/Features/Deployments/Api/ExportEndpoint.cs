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
            .LimitBody()
            .RequireAuthorization(Policy)
            .Accepts<ExportRequest>("application/json")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithName("ExportDeployments")
            .WithSummary("Export deployments with their status histories")
            .WithDescription("Streams the filtered deployments (CSV, one line per deployment with the history as a JSON column; or a JSON " +
                             "array). X-Total-Count gives the number of deployments. With Idempotency-Key, a repeat with the same filter returns " +
                             "the same content (the snapshot bound is kept under the key); another filter with the same key is a 422.");

    private static async Task ExportAsync(HttpContext http, DeploymentExporter exporter)
    {
        // The same reading as the ingestion POSTs: Idempotency-Key checked, body at most 64 kB, a JSON document.
        if (await DeploymentApi.ReadAsync(http) is not { } request) return;
        var (filter, format, problem) = Parse(request.Body);
        if (filter is null || format is null)
        {
            await ApiProblems.InvalidAsync(http, problem.Field!, problem.Error!);
            return;
        }

        ExportRun? begun;
        try
        {
            begun = await exporter.BeginAsync(Owner(http.User), request.Key, filter, format.Value, http.RequestAborted);
        }
        catch (Exception ex) when (DatabaseUnavailable.Is(ex) && !http.RequestAborted.IsCancellationRequested)
        {
            // Before the first byte: the database is down or restarting (the fault drill found a 500 here).
            http.RequestServices.GetRequiredService<ILogger<DeploymentExporter>>().LogWarning(ex, "Deployment export failed: database unavailable");
            http.Response.Headers.RetryAfter = "5";
            await ApiProblems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
                "The database could not be reached; retry the export.");
            return;
        }
        await using var run = begun;
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

    /// <summary>
    /// The filter, with the ingestion API's rules for each field: a value of the wrong type or shape is a 400 naming
    /// the field (never ignored, which would widen the export to everything).
    /// </summary>
    private static (DeploymentFilter? Filter, ExportFormat? Format, (string? Field, string? Error) Problem) Parse(JsonElement body)
    {
        static (DeploymentFilter?, ExportFormat?, (string?, string?)) Invalid(string field, string error) => (null, null, (field, error));
        if (body.ValueKind != JsonValueKind.Object) return Invalid("body", "must be a JSON object");
        string? error;
        if (!ApiRequestParser.Text(body, "format", false, 10, null, out var formatText, out error)) return Invalid("format", error!);
        formatText ??= "csv";
        if (!Enum.TryParse<ExportFormat>(formatText, ignoreCase: true, out var format) || formatText.Any(char.IsDigit))
            return Invalid("format", "must be csv or json");
        if (!ApiRequestParser.Text(body, "environment", false, 40, DeploymentNames.EnvironmentPattern(), out var environment, out error))
            return Invalid("environment", error!);
        if (!ApiRequestParser.Text(body, "service", false, 100, DeploymentNames.ServicePattern(), out var service, out error))
            return Invalid("service", error!);
        if (!ApiRequestParser.Text(body, "status", false, 40, null, out var statusText, out error)) return Invalid("status", error!);
        var status = statusText is null ? null : DeploymentStatuses.Parse(statusText);
        if (statusText is not null && status is null)
            return Invalid("status", $"must be one of: {string.Join(", ", DeploymentStatuses.All)}");
        DateTimeOffset? from = null, to = null;
        foreach (var (name, set) in new (string, Action<DateTimeOffset>)[] { ("from", v => from = v), ("to", v => to = v) })
        {
            if (!ApiRequestParser.Text(body, name, false, 40, null, out var value, out error)) return Invalid(name, error!);
            if (value is null) continue;
            if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return Invalid(name, "must be an ISO 8601 date or date and time");
            set(at.ToUniversalTime());
        }
        if (from is { } f && to is { } t && t <= f) return Invalid("to", "must be after from");
        if (!ApiRequestParser.Text(body, "text", false, 200, null, out var text, out error)) return Invalid("text", error!);
        return (new DeploymentFilter(from, to, environment, service, status, text), format, (null, null));
    }
}
