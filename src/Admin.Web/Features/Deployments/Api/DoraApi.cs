using System.Globalization;
using System.Text.Json;
using Admin.Data;
using Admin.Data.Deployments;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Web.Features.Deployments.Api;

/// <summary>POST /api/deployments/{id}/commits body.</summary>
/// <param name="Commits">The commits the deployment ships (1–1000); a sha listed already is left as it is, so repeating the call is safe.</param>
public sealed record CommitsRequest(IReadOnlyList<CommitItem> Commits);

/// <param name="Sha">7–40 hex digits.</param>
/// <param name="CommittedAt">When the commit was made (ISO 8601): its lead time runs from here to the first successful deployment of the same service in the same environment that lists it.</param>
/// <param name="AuthoredAt">When it was authored (ISO 8601), if known; kept, not used in the metrics.</param>
public sealed record CommitItem(string Sha, DateTimeOffset CommittedAt, DateTimeOffset? AuthoredAt = null);

public sealed record CommitsResponse(long DeploymentId, int Added, int Total);

/// <summary>POST /api/deployments/incidents body.</summary>
/// <param name="Title">1–200 characters.</param>
/// <param name="Severity">sev1 (critical) to sev4 (low).</param>
/// <param name="Service">The service that is down or degraded.</param>
/// <param name="Environment">Its environment, e.g. production.</param>
/// <param name="StartedAt">When the incident started (ISO 8601); default now. Time to restore runs from here.</param>
/// <param name="CausedBy">The deployments that caused it (external ids or ids): each counts as a change failure.</param>
/// <param name="ExternalId">The incident tool's own id (unique): a second incident with it is a 409.</param>
public sealed record CreateIncidentRequest(
    string Title, string Severity, string Service, string Environment, DateTimeOffset? StartedAt = null,
    IReadOnlyList<string>? CausedBy = null, string? ExternalId = null);

/// <summary>PATCH /api/deployments/incidents/{id} body: absent fields stay as they are.</summary>
/// <param name="Resolved">true resolves the incident now (or at resolvedAt, or when fixedBy finished).</param>
/// <param name="ResolvedAt">When it was resolved (ISO 8601), not before it started.</param>
/// <param name="FixedBy">The deployment that fixed it by rolling forward (it must have succeeded, after the start); resolves it at its finish unless resolvedAt says otherwise.</param>
/// <param name="CausedBy">More deployments that caused it (added to those named before).</param>
public sealed record UpdateIncidentRequest(
    string? Title = null, string? Severity = null, bool? Resolved = null, DateTimeOffset? ResolvedAt = null, string? FixedBy = null,
    IReadOnlyList<string>? CausedBy = null);

/// <summary>
/// Incidents and commits for CI/CD and incident tools, on the deployments API's token and pool: the token's scope
/// covers the incident's (or the deployment's) service and environment, else 403 as for deployments. Bodies are parsed
/// here (400 naming the field); the rules are <see cref="IncidentStore"/>'s (400, 404, 409).
/// </summary>
public static class DoraApi
{
    public static IEndpointRouteBuilder MapDoraApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/deployments").WithTags("Incidents and commits").RequireAuthorization(DeployTokenHandler.Policy);
        group.MapPost("/{id}/commits", AddCommitsAsync).LimitBody()
            .Accepts<CommitsRequest>("application/json").Produces<CommitsResponse>()
            .ProducesProblem(400).ProducesProblem(401).Produces<TokenScopeProblem>(403, ApiProblems.ProblemType).ProducesProblem(404)
            .WithName("AddDeploymentCommits").WithSummary("List the commits a deployment ships")
            .WithDescription("{id} is the deployment's external id (or numeric id). Idempotent: a sha the deployment lists already is " +
                             "left as it is (added counts the new ones). Lead time per change: each commit's committedAt → the first " +
                             "successful deployment of the same service in the same environment that lists it.");
        group.MapPost("/incidents", CreateIncidentAsync).LimitBody()
            .Accepts<CreateIncidentRequest>("application/json").Produces<Incident>(201)
            .ProducesProblem(400).ProducesProblem(401).Produces<TokenScopeProblem>(403, ApiProblems.ProblemType).ProducesProblem(409)
            .WithName("CreateIncident").WithSummary("Open an incident")
            .WithDescription("Opens an incident of a service in an environment the token may report, linked to the deployments that " +
                             "caused it (each then counts as a change failure). A repeated externalId is a 409.");
        group.MapGet("/incidents/{id:long}", GetIncidentAsync)
            .Produces<Incident>().ProducesProblem(401).Produces<TokenScopeProblem>(403, ApiProblems.ProblemType).ProducesProblem(404)
            .WithName("GetIncident").WithSummary("Read an incident");
        group.MapPatch("/incidents/{id:long}", UpdateIncidentAsync).LimitBody()
            .Accepts<UpdateIncidentRequest>("application/json").Produces<Incident>()
            .ProducesProblem(400).ProducesProblem(401).Produces<TokenScopeProblem>(403, ApiProblems.ProblemType).ProducesProblem(404).ProducesProblem(409)
            .WithName("UpdateIncident").WithSummary("Update or resolve an incident")
            .WithDescription("Changes title or severity, adds causes, resolves (resolved, resolvedAt) or names the deployment that fixed it " +
                             "by rolling forward (fixedBy: must have succeeded after the incident started, else 409). Resolving a resolved " +
                             "incident again keeps its first resolution; another resolvedAt is a 409.");
        return app;
    }

    private static async Task AddCommitsAsync(HttpContext http, string id, [FromKeyedServices(nameof(DeploymentIngestion))] NpgsqlDataSource data, TimeProvider time)
    {
        if (await DeploymentApi.ReadAsync(http) is not { } request) return;
        if (ParseCommits(request.Body, "commits", required: true) is { Error: { } e }) { await ApiProblems.InvalidAsync(http, e.Field, e.Message); return; }
        var commits = ParseCommits(request.Body, "commits", required: true).Commits!;
        await RunAsync(http, data, async (c, scope) =>
        {
            var deployment = await IncidentStore.FindDeploymentAsync(c, id, http.RequestAborted)
                             ?? throw new DeploymentNotFoundException($"There is no deployment '{id}'.");
            var (service, environment) = (await IncidentStore.PipelineAsync(c, deployment, http.RequestAborted))!.Value;
            if (!await scope(service, environment, null, deployment)) return null;
            var added = await IncidentStore.AddCommitsAsync(c, deployment, commits, http.RequestAborted);
            return (200, new CommitsResponse(added.DeploymentId, added.Added, added.Total));
        });
    }

    private static async Task CreateIncidentAsync(HttpContext http, [FromKeyedServices(nameof(DeploymentIngestion))] NpgsqlDataSource data, TimeProvider time)
    {
        if (await DeploymentApi.ReadAsync(http) is not { } request) return;
        var body = request.Body;
        if (body.ValueKind != JsonValueKind.Object) { await ApiProblems.InvalidAsync(http, "body", "must be a JSON object"); return; }
        string? title = null, severity = null, service = null, environment = null, externalId = null;
        DateTimeOffset? started = null;
        IReadOnlyList<string>? causes = null;
        var problem = Text(body, "title", true, 200, ref title) ?? Text(body, "severity", true, 10, ref severity)
                      ?? Text(body, "service", true, 100, ref service) ?? Text(body, "environment", true, 40, ref environment)
                      ?? Text(body, "externalId", false, 200, ref externalId) ?? Time(body, "startedAt", ref started) ?? References(body, "causedBy", ref causes);
        if (problem is { } p) { await ApiProblems.InvalidAsync(http, p.Field, p.Message); return; }
        await RunAsync(http, data, async (c, scope) =>
        {
            if (!await scope(service!, environment!, null, null)) return null;
            var caller = DeployTokenHandler.Caller(http.User);
            var incident = await IncidentStore.CreateAsync(c, new NewIncident(title!, severity!, service!, environment!, started, causes, externalId),
                $"api:{caller.TokenName}", time.GetUtcNow(), http.RequestAborted);
            http.Response.Headers.Location = $"/api/deployments/incidents/{incident.Id}";
            return (201, incident);
        });
    }

    private static Task GetIncidentAsync(HttpContext http, long id, [FromKeyedServices(nameof(DeploymentIngestion))] NpgsqlDataSource data) =>
        RunAsync(http, data, async (c, scope) =>
        {
            var incident = await IncidentStore.GetAsync(c, id, http.RequestAborted) ?? throw new DeploymentNotFoundException($"There is no incident #{id}.");
            if (!await scope(incident.Service, incident.Environment, id, null)) return null;
            return (200, incident);
        });

    private static async Task UpdateIncidentAsync(HttpContext http, long id, [FromKeyedServices(nameof(DeploymentIngestion))] NpgsqlDataSource data, TimeProvider time)
    {
        if (await DeploymentApi.ReadAsync(http) is not { } request) return;
        var body = request.Body;
        if (body.ValueKind != JsonValueKind.Object) { await ApiProblems.InvalidAsync(http, "body", "must be a JSON object"); return; }
        string? title = null, severity = null, fixedBy = null;
        DateTimeOffset? resolvedAt = null;
        IReadOnlyList<string>? causes = null;
        var resolved = false;
        var problem = Text(body, "title", false, 200, ref title) ?? Text(body, "severity", false, 10, ref severity)
                      ?? Text(body, "fixedBy", false, 200, ref fixedBy) ?? Time(body, "resolvedAt", ref resolvedAt) ?? References(body, "causedBy", ref causes);
        if (problem is null && Property(body, "resolved") is { } r)
        {
            if (r.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) problem = ("resolved", "must be true or false");
            else resolved = r.GetBoolean();
        }
        if (problem is { } p) { await ApiProblems.InvalidAsync(http, p.Field, p.Message); return; }
        await RunAsync(http, data, async (c, scope) =>
        {
            var incident = await IncidentStore.GetAsync(c, id, http.RequestAborted) ?? throw new DeploymentNotFoundException($"There is no incident #{id}.");
            if (!await scope(incident.Service, incident.Environment, id, null)) return null;
            return (200, await IncidentStore.UpdateAsync(c, id, new IncidentChange(title, severity, resolved, resolvedAt, fixedBy, causes), time.GetUtcNow(), http.RequestAborted));
        });
    }

    /// <summary>After a create answered 201 (first time or replayed): lists the body's commits on the new deployment.</summary>
    public static async Task<ApiResult> WithCommitsAsync(HttpContext http, ApiResult created, IReadOnlyList<CommitInput>? commits)
    {
        if (commits is null || created.Status != 201) return created;
        using var json = JsonDocument.Parse(created.Body);
        var id = json.RootElement.GetProperty("id").GetInt64();
        var data = http.RequestServices.GetRequiredKeyedService<NpgsqlDataSource>(nameof(DeploymentIngestion));
        await using var c = await data.OpenConnectionAsync(http.RequestAborted);
        await using var transaction = await c.BeginTransactionAsync(http.RequestAborted);
        await IncidentStore.AddCommitsAsync(c, id, commits, http.RequestAborted);
        await transaction.CommitAsync(http.RequestAborted);
        return created;
    }

    /// <summary>The "commits" array of a body (also on POST /api/deployments); absent is fine unless required.</summary>
    public static (IReadOnlyList<CommitInput>? Commits, (string Field, string Message)? Error) ParseCommits(JsonElement body, string name, bool required)
    {
        if (body.ValueKind != JsonValueKind.Object) return (null, ("body", "must be a JSON object"));
        if (Property(body, name) is not { } array) return required ? (null, (name, "is required: a list of {sha, committedAt}")) : (null, null);
        if (array.ValueKind != JsonValueKind.Array) return (null, (name, "must be a list of {sha, committedAt}"));
        var list = new List<CommitInput>();
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var field = $"{name}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object) return (null, (field, "must be an object {sha, committedAt}"));
            string? sha = null;
            DateTimeOffset? committed = null, authored = null;
            if ((Text(item, "sha", true, 40, ref sha) ?? Time(item, "committedAt", ref committed) ?? Time(item, "authoredAt", ref authored)) is { } p)
                return (null, ($"{field}.{p.Field}", p.Message));
            if (committed is null) return (null, ($"{field}.committedAt", "is required"));
            list.Add(new CommitInput(sha!, committed.Value, authored));
        }
        try { IncidentStore.CheckCommits(list); }
        catch (UserFacingException e) { return (null, (e.Field ?? name, e.Message)); }
        return (list, null);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction on the API's pool, with a scope check it calls once it knows the
    /// service and environment (false after answering 403). The answer is written after the commit; 400/404/409 from
    /// the rules are answered here, as is 503.
    /// </summary>
    private static async Task RunAsync(HttpContext http, NpgsqlDataSource data,
        Func<NpgsqlConnection, Func<string, string, long?, long?, Task<bool>>, Task<(int Status, object Body)?>> work)
    {
        var caller = DeployTokenHandler.Caller(http.User);
        try
        {
            (int Status, object Body)? answer;
            await using (var c = await data.OpenConnectionAsync(http.RequestAborted))
            {
                await using var transaction = await c.BeginTransactionAsync(http.RequestAborted);
                answer = await work(c, (service, environment, incident, deployment) => ScopeAsync(http, c, caller.TokenId, service, environment, incident, deployment));
                if (answer is null) return;
                await transaction.CommitAsync(http.RequestAborted);
            }
            await JsonAsync(http, answer.Value.Status, answer.Value.Body);
        }
        catch (DeploymentNotFoundException e) { await ApiProblems.WriteAsync(http, 404, "Not found", e.Message); }
        catch (DeploymentConflictException e) { await ApiProblems.WriteAsync(http, 409, "Conflict", e.Message, e.Field); }
        catch (UserFacingException e) { await ApiProblems.WriteAsync(http, 400, "Invalid field", $"{e.Field ?? "body"}: {e.Message}", e.Field ?? "body"); }
        catch (Exception ex) when (DatabaseUnavailable.Is(ex) && !http.RequestAborted.IsCancellationRequested)
        {
            http.Response.Headers.RetryAfter = "5";
            await ApiProblems.WriteAsync(http, 503, "Temporarily unavailable", "The database could not be reached; retry.");
        }
    }

    private static async Task<bool> ScopeAsync(HttpContext http, NpgsqlConnection c, Guid token, string service, string environment, long? incident, long? deployment)
    {
        await using var command = new NpgsqlCommand(
            "SELECT api_token_scope_refusal(services, environments, $2, $3), services, environments FROM api_tokens WHERE id = $1 AND revoked_at IS NULL", c)
        {
            Parameters =
            {
                new() { Value = token, NpgsqlDbType = NpgsqlDbType.Uuid }, new() { Value = service, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = environment, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
        if (!await reader.ReadAsync(http.RequestAborted))
        {
            await reader.DisposeAsync();
            await DeployTokenHandler.WriteUnauthorizedAsync(http);
            return false;
        }
        if (reader.IsDBNull(0)) return true;
        var body = new Dictionary<string, object?>
        {
            ["type"] = "about:blank", ["title"] = "Outside the token's scope", ["status"] = 403, ["detail"] = reader.GetString(0),
            ["field"] = incident is null && deployment is null ? "service" : null, ["id"] = incident ?? deployment,
            ["tokenServices"] = reader.GetFieldValue<string[]>(1), ["tokenEnvironments"] = reader.GetFieldValue<string[]>(2),
        };
        await reader.DisposeAsync();
        http.Response.StatusCode = 403;
        http.Response.ContentType = ApiProblems.ProblemType;
        await JsonSerializer.SerializeAsync(http.Response.Body, body, JsonSerializerOptions.Web, http.RequestAborted);
        return false;
    }

    private static Task JsonAsync(HttpContext http, int status, object value)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        return JsonSerializer.SerializeAsync(http.Response.Body, value, value.GetType(), JsonSerializerOptions.Web, http.RequestAborted);
    }

    private static JsonElement? Property(JsonElement body, string name)
    {
        foreach (var p in body.EnumerateObject())
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
                return p.Value.ValueKind == JsonValueKind.Null ? null : p.Value;
        return null;
    }

    private static (string Field, string Message)? Text(JsonElement body, string name, bool required, int max, ref string? value) =>
        ApiRequestParser.Text(body, name, required, max, null, out value, out var error) ? null : (name, error!);

    private static (string Field, string Message)? Time(JsonElement body, string name, ref DateTimeOffset? value)
    {
        if (Property(body, name) is not { } e) return null;
        if (e.ValueKind != JsonValueKind.String || !DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            return (name, "must be an ISO 8601 date and time, e.g. 2026-11-22T10:15:00Z");
        value = t.ToUniversalTime();
        return null;
    }

    private static (string Field, string Message)? References(JsonElement body, string name, ref IReadOnlyList<string>? value)
    {
        if (Property(body, name) is not { } e) return null;
        if (e.ValueKind != JsonValueKind.Array || e.EnumerateArray().Any(x => x.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)))
            return (name, "must be a list of deployment external ids or ids");
        value = e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number ? x.GetRawText() : x.GetString()!.Trim()).ToList();
        return null;
    }
}
