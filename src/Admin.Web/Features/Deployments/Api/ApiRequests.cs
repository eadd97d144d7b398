using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>POST /api/deployments body (also the OpenAPI schema).</summary>
/// <param name="ExternalId">The CI/CD system's own id of this deployment (unique; 1–200 characters).</param>
/// <param name="Service">Service name: letters, digits, '.', '_' or '-' (up to 100).</param>
/// <param name="Environment">One of the console's environments, e.g. development, staging, production.</param>
/// <param name="Version">Version label, e.g. 1.4.2.</param>
/// <param name="CommitSha">Commit SHA, 7–40 hex digits.</param>
/// <param name="CommitTime">When the commit was made (ISO 8601); lead time runs from here to success.</param>
/// <param name="ReleaseId">The content release this deployment ships, if any.</param>
/// <param name="RequestedBy">E-mail of the person who asked for it; defaults to the token's creator. That person may not approve it.</param>
/// <param name="Message">A note for the status timeline.</param>
/// <param name="Commits">The commits it ships (optional; also later through POST /api/deployments/{id}/commits): lead time is then per commit.</param>
public sealed record CreateDeploymentRequest(
    string ExternalId, string Service, string Environment, string Version, string CommitSha, DateTimeOffset? CommitTime = null,
    long? ReleaseId = null,
    [property: Description(CreateDeploymentRequest.RequestedByDescription)] string? RequestedBy = null,
    string? Message = null, IReadOnlyList<CommitItem>? Commits = null)
{
    public const string RequestedByDescription =
        "E-mail of the person who asked for the deployment; without it, the creator of the token is the requester. In an " +
        "environment that requires approval the requester must be an enabled console user (else 422, field requestedBy). " +
        "Neither the requester nor the token's creator may approve the deployment.";
}

/// <summary>The 403 of a call outside the token's scope (problem details with the scope).</summary>
public sealed record TokenScopeProblem(
    string Type, string Title, int Status,
    [property: Description("The reason in plain words, e.g. \"this token may report services [web, api] in environments [staging]; not production\".")] string Detail,
    [property: Description("When creating: the request field outside the scope, service or environment.")] string? Field,
    [property: Description("When moving a status: the deployment's id.")] long? Id,
    [property: Description("The services the token may report; [\"*\"] means every service.")] string[] TokenServices,
    [property: Description("The environments the token may report; [\"*\"] means every environment.")] string[] TokenEnvironments);

/// <summary>POST /api/deployments/{id}/status body.</summary>
/// <param name="Status">in_progress, succeeded, failed, cancelled or rolled_back (InProgress-style spelling is accepted too).</param>
/// <param name="Message">A note for the status timeline.</param>
public sealed record StatusRequest(string Status, string? Message = null);

/// <summary>A deployment as the API returns it.</summary>
public sealed record DeploymentResponse(
    long Id, string ExternalId, string Service, string Environment, string Version, string CommitSha, DateTimeOffset? CommitAt,
    long? ReleaseId, string RequestedBy, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset? RolledBackAt);

/// <summary>Either a parsed request or the first field that is wrong and why.</summary>
public readonly record struct Parsed<T>(T? Value, string? Field, string? Error) where T : class
{
    public static Parsed<T> Invalid(string field, string error) => new(null, field, error);
}

/// <summary>
/// Hand-written parsing of the two bodies, so a bad request is answered with the exact field and what it should be,
/// instead of a serializer's message about a path and a CLR type.
/// </summary>
public static partial class ApiRequestParser
{
    public const int MaxMessageLength = 2000;

    public static Parsed<NewDeployment> ParseCreate(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return Parsed<NewDeployment>.Invalid("body", "must be a JSON object");
        string? error;
        if (!Text(body, "externalId", true, 200, null, out var externalId, out error)) return Parsed<NewDeployment>.Invalid("externalId", error!);
        if (!Text(body, "service", true, 100, DeploymentNames.ServicePattern(), out var service, out error)) return Parsed<NewDeployment>.Invalid("service", error!);
        if (!Text(body, "environment", true, 40, DeploymentNames.EnvironmentPattern(), out var environment, out error)) return Parsed<NewDeployment>.Invalid("environment", error!);
        if (!Text(body, "version", true, 100, null, out var version, out error)) return Parsed<NewDeployment>.Invalid("version", error!);
        if (!Text(body, "commitSha", true, 40, ShaPattern(), out var sha, out error)) return Parsed<NewDeployment>.Invalid("commitSha", error!);
        if (!Text(body, "requestedBy", false, 256, EmailPattern(), out var requestedBy, out error)) return Parsed<NewDeployment>.Invalid("requestedBy", error!);
        if (!Text(body, "message", false, MaxMessageLength, null, out var message, out error)) return Parsed<NewDeployment>.Invalid("message", error!);

        DateTimeOffset? commitTime = null;
        if (Property(body, "commitTime") is { } time)
        {
            if (time.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                return Parsed<NewDeployment>.Invalid("commitTime", "must be an ISO 8601 date and time, e.g. 2026-11-22T10:15:00Z");
            commitTime = parsed.ToUniversalTime();
        }
        long? releaseId = null;
        if (Property(body, "releaseId") is { } release)
        {
            if (release.ValueKind != JsonValueKind.Number || !release.TryGetInt64(out var id) || id <= 0)
                return Parsed<NewDeployment>.Invalid("releaseId", "must be a positive whole number (the content release's id)");
            releaseId = id;
        }
        return new(new NewDeployment(externalId!, service!, environment!, version!, sha!.ToLowerInvariant(), commitTime, releaseId, requestedBy, message), null, null);
    }

    public static Parsed<StatusRequest> ParseStatus(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return Parsed<StatusRequest>.Invalid("body", "must be a JSON object");
        if (!Text(body, "status", true, 40, null, out var text, out var error)) return Parsed<StatusRequest>.Invalid("status", error!);
        if (DeploymentStatuses.Parse(text) is not { } status)
            return Parsed<StatusRequest>.Invalid("status", $"'{text}' is not a status; use one of: {string.Join(", ", DeploymentStatuses.All)}");
        if (!Text(body, "message", false, MaxMessageLength, null, out var message, out error)) return Parsed<StatusRequest>.Invalid("message", error!);
        return new(new StatusRequest(status, message), null, null);
    }

    private static JsonElement? Property(JsonElement body, string name)
    {
        foreach (var p in body.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value.ValueKind == JsonValueKind.Null ? null : p.Value;
        return null;
    }

    /// <summary>An optional or required string property (any spelling of its name): trimmed, empty means absent, with its length and shape checked.</summary>
    internal static bool Text(JsonElement body, string name, bool required, int max, Regex? pattern, out string? value, out string? error)
    {
        value = null;
        error = null;
        if (Property(body, name) is not { } element)
        {
            if (required) error = "is required";
            return !required;
        }
        if (element.ValueKind != JsonValueKind.String) { error = "must be a string"; return false; }
        value = element.GetString()!.Trim();
        if (value.Length == 0 && required) { error = "must not be empty"; return false; }
        if (value.Length == 0) { value = null; return true; }
        if (value.Length > max) { error = $"is limited to {max} characters"; return false; }
        // PostgreSQL text cannot hold U+0000: refused here, rather than failing in the database.
        if (value.Contains('\0')) { error = "must not contain the NUL character (\\u0000)"; return false; }
        if (pattern is not null && !pattern.IsMatch(value)) { error = PatternHint(name); return false; }
        return true;
    }

    private static string PatternHint(string name) => name switch
    {
        "service" => "must start with a letter or digit and use only letters, digits, '.', '_' or '-'",
        "environment" => "must be lower-case letters, digits or '-' (e.g. production)",
        "commitSha" => "must be 7 to 40 hexadecimal digits",
        "requestedBy" => "must be an e-mail address",
        _ => "has the wrong format",
    };

    [GeneratedRegex("^[0-9A-Fa-f]{7,40}$")] private static partial Regex ShaPattern();
    [GeneratedRegex(@"^[^@\s]+@[^@\s]+$")] private static partial Regex EmailPattern();
}
