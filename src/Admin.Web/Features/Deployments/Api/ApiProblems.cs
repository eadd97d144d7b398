using System.Text.Json;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>application/problem+json answers of the deployments API; "field" names the offending input when there is one.</summary>
public static class ApiProblems
{
    public const string ProblemType = "application/problem+json";

    public static Task WriteAsync(HttpContext http, int status, string title, string detail, string? field = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = "about:blank", ["title"] = title, ["status"] = status, ["detail"] = detail,
        };
        if (field is not null) body["field"] = field;
        body["requestId"] = http.TraceIdentifier;
        body["traceId"] = Infrastructure.Telemetry.TraceId(http);
        http.Response.StatusCode = status;
        http.Response.ContentType = ProblemType;
        return JsonSerializer.SerializeAsync(http.Response.Body, body, JsonSerializerOptions.Web, http.RequestAborted);
    }

    public static Task InvalidAsync(HttpContext http, string field, string detail) =>
        WriteAsync(http, StatusCodes.Status400BadRequest, "Invalid field", $"{field}: {detail}", field);
}
