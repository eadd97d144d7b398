using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Admin.Data.Deployments;
using Npgsql;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>
/// The ingestion API for CI/CD systems: POST /api/deployments and POST /api/deployments/{id}/status, token-authenticated,
/// with Idempotency-Key. The body is parsed here (400 naming the field); everything else (idempotency, state machine,
/// history, live event) is one call to a database function, whose answer (status and JSON) is written back as is.
/// </summary>
public static class DeploymentApi
{
    public const string IdempotencyHeader = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotency-Replayed";
    public const int MaxBodyBytes = 64 * 1024;

    private const string ScopeRule =
        "A token may report only the services and environments it was created for (\"*\": all); anything else is a 403 whose " +
        "detail gives the reason, e.g. \"this token may report services [web, api] in environments [staging]; not production\", " +
        "and nothing is applied (the Idempotency-Key is not used up either).";

    public static RouteGroupBuilder MapDeploymentApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/deployments").WithTags("Deployments");
        group.MapPost("", CreateAsync)
            .RequireAuthorization(DeployTokenHandler.Policy)
            .LimitBody()
            .Accepts<CreateDeploymentRequest>("application/json")
            .Produces<DeploymentResponse>(StatusCodes.Status201Created)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .Produces<TokenScopeProblem>(StatusCodes.Status403Forbidden, ApiProblems.ProblemType)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("CreateDeployment")
            .WithSummary("Report a new deployment")
            .WithDescription("Creates a deployment in status queued, or awaiting_approval in an environment that requires approval. " +
                             "An external id that exists already is a 409. Send Idempotency-Key to make retries safe: the same key and body " +
                             "replay the first response (with Idempotency-Replayed: true), the same key with another body is a 422. " +
                             ScopeRule + " In an environment that requires approval the requester (requestedBy, or else the token's creator) " +
                             "must be an enabled console user: otherwise 422 with field requestedBy, and nothing is applied. When the same service and " +
                             "version, or the same release payload (releaseId), was rolled back before, the answer warns with rolledBackBefore: " +
                             "the rolled-back deployment, the rollback's reason, who made it and when.");
        group.MapPost("/{id}/status", PostStatusAsync)
            .RequireAuthorization(DeployTokenHandler.Policy)
            .LimitBody()
            .WithMetadata(new TokenCheckedInDatabase())
            .Accepts<StatusRequest>("application/json")
            .Produces<DeploymentResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .Produces<TokenScopeProblem>(StatusCodes.Status403Forbidden, ApiProblems.ProblemType)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .WithName("PostDeploymentStatus")
            .WithSummary("Report a status change")
            .WithDescription("{id} is the deployment's external id (or the console's numeric id). Allowed: queued → in_progress " +
                             "(not in environments that require approval), approved → in_progress, in_progress → succeeded | failed | cancelled, " +
                             "queued/awaiting_approval/approved → cancelled, succeeded → rolled_back. Anything else is a 409 giving the reason. " +
                             "Approval itself is given in the console. " + ScopeRule + " The deployment's own service and environment are checked. " +
                             "Starting (in_progress from queued or approved) obeys the environment's rules: a freeze window, the wait timer " +
                             "after approval and required checks; a start they refuse is a 409 titled 'Blocked by an environment rule' whose " +
                             "rule is freeze, wait_timer or required_checks and whose detail gives the reason (notBefore for the wait timer). " +
                             "Such a 409 gives the Idempotency-Key back: a retry with the same key once the rule allows it is applied.");
        return group;
    }

    private static async Task CreateAsync(HttpContext http, DeploymentIngestion ingestion)
    {
        if (await ReadAsync(http) is not { } request) return;
        var parsed = ApiRequestParser.ParseCreate(request.Body);
        if (parsed.Value is null)
        {
            await ApiProblems.InvalidAsync(http, parsed.Field!, parsed.Error!);
            return;
        }
        // Optional "commits" (issue 18): listed once the deployment exists, idempotently, also on a replay.
        var (commits, commitsError) = DoraApi.ParseCommits(request.Body, "commits", required: false);
        if (commitsError is { } ce)
        {
            await ApiProblems.InvalidAsync(http, ce.Field, ce.Message);
            return;
        }
        await AnswerAsync(http, async () => await CheckEndpoint.WithRollbackWarningAsync(
            await DoraApi.WithCommitsAsync(http,
                await ingestion.CreateAsync(DeployTokenHandler.Caller(http.User), parsed.Value, request.Key, request.Hash, http.RequestAborted), commits),
            parsed.Value, ingestion, http.RequestAborted));
    }

    /// <summary>
    /// The token is checked in the same database call as the post (see <see cref="TokenCheckedInDatabase"/>); a request
    /// refused before that call has its token checked first, so a bad token is a 401 whatever else is wrong.
    /// </summary>
    private static async Task PostStatusAsync(HttpContext http, string id, DeploymentIngestion ingestion)
    {
        Func<Task<bool>> tokenHolds = () => TokenHoldsAsync(http, ingestion);
        if (id.Length is < 1 or > 200)
        {
            if (await tokenHolds()) await ApiProblems.InvalidAsync(http, "id", "must be 1 to 200 characters (the deployment's external id)");
            return;
        }
        if (await ReadAsync(http, tokenHolds) is not { } request) return;
        var parsed = ApiRequestParser.ParseStatus(request.Body);
        if (parsed.Value is null)
        {
            if (await tokenHolds()) await ApiProblems.InvalidAsync(http, parsed.Field!, parsed.Error!);
            return;
        }
        await AnswerAsync(http, () => ingestion.PostStatusAsync(DeployTokenHandler.BearerToken(http.Request)!, id, parsed.Value.Status,
            parsed.Value.Message, request.Key, request.Hash, http.RequestAborted));
    }

    /// <summary>Checks the request's token in the database; false after answering 401 (unknown or revoked) or 503.</summary>
    private static async Task<bool> TokenHoldsAsync(HttpContext http, DeploymentIngestion ingestion)
    {
        try
        {
            if (DeployTokenHandler.BearerToken(http.Request) is { } token && await ingestion.AuthenticateAsync(token, http.RequestAborted) is not null)
                return true;
        }
        catch (Exception ex) when (IsUnavailable(http, ex))
        {
            await UnavailableAsync(http, ex);
            return false;
        }
        await DeployTokenHandler.WriteUnauthorizedAsync(http);
        return false;
    }

    internal sealed record Request(JsonElement Body, string? Key, byte[] Hash);

    /// <summary>
    /// The body, read only up to the limit: a chunked body (no Content-Length) that goes past it is refused after
    /// <see cref="MaxBodyBytes"/> + 1 bytes, not read to its end. Null when it is too large (also when the server's own
    /// per-endpoint limit, <see cref="LimitBody"/>, stopped it).
    /// </summary>
    internal static async Task<MemoryStream?> ReadBoundedAsync(HttpContext http)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    await buffer.DisposeAsync();
                    return null;
                }
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await buffer.DisposeAsync();
            return null;
        }
        return buffer;
    }

    /// <summary>The server refuses to read more than the API accepts, whatever the reader does (Kestrel's limit per endpoint).</summary>
    public static TBuilder LimitBody<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(MaxBodyBytes));

    /// <summary>The JSON body, the Idempotency-Key and the request's fingerprint (method, path and body bytes); null after answering 400/413.</summary>
    /// <param name="mayRefuse">Asked before answering 400 or 413; false when it has answered already (a 401).</param>
    internal static async Task<Request?> ReadAsync(HttpContext http, Func<Task<bool>>? mayRefuse = null)
    {
        mayRefuse ??= () => Task.FromResult(true);
        var key = http.Request.Headers[IdempotencyHeader].ToString();
        if (key.Length > 200 || key.Any(char.IsControl))
        {
            if (await mayRefuse()) await ApiProblems.InvalidAsync(http, IdempotencyHeader, "must be at most 200 printable characters (a UUID is a good choice)");
            return null;
        }
        if (http.Request.ContentLength > MaxBodyBytes || await ReadBoundedAsync(http) is not { } buffer)
        {
            if (await mayRefuse()) await ApiProblems.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, "Body too large", $"body: at most {MaxBodyBytes} bytes", "body");
            return null;
        }
        using var _ = buffer;
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        JsonElement body;
        try
        {
            using var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var detail = buffer.Length == 0 ? "is empty; send a JSON object" : $"is not valid JSON ({e.Message})";
            if (await mayRefuse()) await ApiProblems.InvalidAsync(http, "body", detail);
            return null;
        }
        var fingerprint = Encoding.UTF8.GetBytes($"{http.Request.Method} {http.Request.Path}\n");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(fingerprint);
        hash.AppendData(bytes);
        return new Request(body, key.Length == 0 ? null : key, hash.GetHashAndReset());
    }

    internal static async Task AnswerAsync(HttpContext http, Func<Task<ApiResult>> call)
    {
        ApiResult result;
        try
        {
            result = await call();
        }
        catch (Exception ex) when (IsUnavailable(http, ex))
        {
            await UnavailableAsync(http, ex);
            return;
        }
        if (result.Status == StatusCodes.Status401Unauthorized)
        {
            await DeployTokenHandler.WriteUnauthorizedAsync(http);
            return;
        }
        http.Response.StatusCode = result.Status;
        http.Response.ContentType = result.Status >= 400 ? ApiProblems.ProblemType : "application/json; charset=utf-8";
        if (result.Replayed) http.Response.Headers[ReplayedHeader] = "true";
        await http.Response.WriteAsync(result.Body, http.RequestAborted);
    }

    // Only what a retry can cure (no connection, a restart, a full pool) is a 503; any other database error is a bug.
    private static bool IsUnavailable(HttpContext http, Exception ex) =>
        DatabaseUnavailable.Is(ex) && !http.RequestAborted.IsCancellationRequested;

    private static Task UnavailableAsync(HttpContext http, Exception ex)
    {
        http.RequestServices.GetRequiredService<ILogger<DeploymentIngestion>>().LogWarning(ex, "Deployment API call failed: database unavailable");
        http.Response.Headers.RetryAfter = "5";
        return ApiProblems.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable",
            "The database could not be reached; retry with the same Idempotency-Key.");
    }
}
