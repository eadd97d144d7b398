using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Admin.Data.Deployments;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>POST /api/deployments/{id}/checks body.</summary>
/// <param name="Name">The check's name, as an environment's required checks name it (letters, digits and . _ / : -; up to 100), e.g. ci/tests.</param>
/// <param name="State">pending, success or failure.</param>
/// <param name="Detail">A note shown in the console (up to 1,000 characters), e.g. a link to the run.</param>
public sealed record CheckRequest(string Name, string State, string? Detail = null);

/// <summary>The answer to a check report.</summary>
/// <param name="Required">Whether the deployment's environment requires this check before a deploy starts.</param>
public sealed record CheckResponse(long DeploymentId, string ExternalId, string Name, string State, string? Detail, DateTimeOffset UpdatedAt, bool Required);

/// <summary>
/// Required external checks (issue 18): CI or another system reports a named check per deployment; a deployment to an
/// environment that requires checks starts only once each one is success (the database refuses the start otherwise).
/// </summary>
public static partial class CheckEndpoint
{
    private static readonly string[] States = ["pending", "success", "failure"];

    public static RouteGroupBuilder MapChecks(this RouteGroupBuilder group)
    {
        group.MapPost("/{id}/checks", PostAsync)
            .RequireAuthorization(DeployTokenHandler.Policy)
            .LimitBody()
            .Accepts<CheckRequest>("application/json")
            .Produces<CheckResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .Produces<TokenScopeProblem>(StatusCodes.Status403Forbidden, ApiProblems.ProblemType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("PostDeploymentCheck")
            .WithSummary("Report an external check of a deployment")
            .WithDescription("{id} is the deployment's external id (or the console's numeric id). Sets the named check to pending, success or " +
                             "failure (the last report wins). An environment may require named checks: a deployment to it may not start " +
                             "(in_progress) until every required check is success; until then the status post is a 409 whose rule is " +
                             "required_checks and whose detail names each check and its state. Only a deployment that has not started takes " +
                             "check reports (else 409). The token's scope must cover the deployment's service and environment (else 403).");
        return group;
    }

    private static async Task PostAsync(HttpContext http, string id, DeploymentIngestion ingestion)
    {
        var token = DeployTokenHandler.BearerToken(http.Request)!;
        if (id.Length is < 1 or > 200)
        {
            await ApiProblems.InvalidAsync(http, "id", "must be 1 to 200 characters (the deployment's external id)");
            return;
        }
        if (await DeploymentApi.ReadAsync(http) is not { } request) return;
        var parsed = Parse(request.Body);
        if (parsed.Value is null)
        {
            await ApiProblems.InvalidAsync(http, parsed.Field!, parsed.Error!);
            return;
        }
        await DeploymentApi.AnswerAsync(http, () => ingestion.PostCheckAsync(token, id, parsed.Value.Name, parsed.Value.State, parsed.Value.Detail, http.RequestAborted));
    }

    public static Parsed<CheckRequest> Parse(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) return Parsed<CheckRequest>.Invalid("body", "must be a JSON object");
        if (!ApiRequestParser.Text(body, "name", true, 100, null, out var name, out var error)) return Parsed<CheckRequest>.Invalid("name", error!);
        if (!NamePattern().IsMatch(name!))
            return Parsed<CheckRequest>.Invalid("name", "must start with a letter or digit and use only letters, digits, '.', '_', '/', ':' or '-'");
        if (!ApiRequestParser.Text(body, "state", true, 20, null, out var state, out error)) return Parsed<CheckRequest>.Invalid("state", error!);
        state = state!.ToLowerInvariant();
        if (!States.Contains(state)) return Parsed<CheckRequest>.Invalid("state", $"'{state}' is not a check state; use one of: {string.Join(", ", States)}");
        if (!ApiRequestParser.Text(body, "detail", false, 1000, null, out var detail, out error)) return Parsed<CheckRequest>.Invalid("detail", error!);
        return new(new CheckRequest(name!, state, detail), null, null);
    }

    /// <summary>
    /// The created deployment's answer with the warning of a remembered rollback: the last rollback of the same service
    /// and version or of the same release payload, with its reason, who made it and when (<c>rolledBackBefore</c>).
    /// </summary>
    public static async Task<ApiResult> WithRollbackWarningAsync(ApiResult result, NewDeployment request, DeploymentIngestion ingestion, CancellationToken ct)
    {
        if (result.Status != StatusCodes.Status201Created || JsonNode.Parse(result.Body) is not JsonObject body) return result;
        var memory = await ingestion.RollbackMemoryAsync(request.Service, request.Version, request.ReleaseId, body["id"]?.GetValue<long>(), ct);
        if (memory is null) return result;
        body["rolledBackBefore"] = JsonNode.Parse(memory);
        return result with { Body = body.ToJsonString() };
    }

    [GeneratedRegex(EnvironmentRulesService.CheckNamePattern)] private static partial Regex NamePattern();
}
