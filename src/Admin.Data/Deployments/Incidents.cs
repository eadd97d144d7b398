using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Deployments;

public static class IncidentSeverities
{
    public static readonly IReadOnlyList<string> All = ["sev1", "sev2", "sev3", "sev4"];

    public static string Label(string severity) => severity switch
    {
        "sev1" => "SEV1 · critical", "sev2" => "SEV2 · major", "sev3" => "SEV3 · minor", "sev4" => "SEV4 · low", _ => severity,
    };
}

/// <summary>An incident, the deployments that caused it and the one that fixed it (by rolling forward), if any.</summary>
public sealed record Incident(
    long Id, string? ExternalId, string Title, string Severity, string Service, string Environment, DateTimeOffset StartedAt,
    DateTimeOffset? ResolvedAt, long? FixedBy, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, IReadOnlyList<long> CausedBy)
{
    public bool Open => ResolvedAt is null;
}

/// <summary>A new incident. Deployments are referred to by external id or numeric id.</summary>
public sealed record NewIncident(
    string Title, string Severity, string Service, string Environment, DateTimeOffset? StartedAt = null,
    IReadOnlyList<string>? CausedBy = null, string? ExternalId = null);

/// <summary>A change to an incident: null leaves a field as it is; causes are added; resolving needs Resolve or ResolvedAt or FixedBy.</summary>
public sealed record IncidentChange(
    string? Title = null, string? Severity = null, bool Resolve = false, DateTimeOffset? ResolvedAt = null, string? FixedBy = null,
    IReadOnlyList<string>? AddCausedBy = null);

/// <summary>
/// The incidents list's filter: <see cref="Status"/> "open", "resolved" or null (all), severity, environment, service,
/// and the start within [From, To).
/// </summary>
public sealed record IncidentFilter(string? Status = IncidentFilter.Open, string? Severity = null, string? Environment = null, string? Service = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null)
{
    public const string Open = "open", Resolved = "resolved";
    public static readonly IReadOnlyList<string> Statuses = [Open, Resolved];
}

/// <summary>Where the next page starts: after this incident in the list's order (newest start first, then id).</summary>
public sealed record IncidentCursor(DateTimeOffset StartedAt, long Id);

/// <summary>A page of incidents and the cursor of the next (older) one, if there is one.</summary>
public sealed record IncidentPage(IReadOnlyList<Incident> Items, IncidentCursor? Next);

public sealed record CommitInput(string Sha, DateTimeOffset CommittedAt, DateTimeOffset? AuthoredAt = null);

public sealed record CommitsAdded(long DeploymentId, int Added, int Total);

/// <summary>The incident or deployment in the address does not exist (HTTP 404).</summary>
public sealed class DeploymentNotFoundException(string message) : UserFacingException(message);

/// <summary>The request is well formed but conflicts with the state of things (HTTP 409).</summary>
public sealed class DeploymentConflictException(string message, string? field = null) : UserFacingException(message, field);

/// <summary>
/// Incidents and commits on an open connection, for the console (<see cref="IncidentService"/>, the signed-in user's
/// session) and the API (the DeployApi pool): validation with the field, 404 and 409 as exceptions, one transaction
/// the caller owns. Row-level security decides who reads and writes.
/// </summary>
public static partial class IncidentStore
{
    public const int MaxCauses = 50;
    public const int MaxCommits = 1000;

    [GeneratedRegex("^[0-9a-f]{7,40}$")] public static partial Regex ShaPattern();

    public static async Task<Incident> CreateAsync(NpgsqlConnection c, NewIncident input, string actor, DateTimeOffset now, CancellationToken ct)
    {
        var title = CheckTitle(input.Title);
        CheckSeverity(input.Severity);
        if (!DeploymentNames.ServicePattern().IsMatch(input.Service ?? ""))
            throw new DeploymentException("Name the service: letters, digits, '.', '_' or '-' (up to 100).", "service");
        await CheckEnvironmentAsync(c, input.Environment, ct);
        if (input.ExternalId is { } ext && ext.Length is < 1 or > 200) throw new DeploymentException("The external id is 1 to 200 characters.", "externalId");
        var started = input.StartedAt ?? now;
        if (started > now.AddMinutes(5)) throw new DeploymentException("An incident cannot start in the future.", "startedAt");
        var causes = await ResolveAsync(c, input.CausedBy, "causedBy", ct);
        if (input.ExternalId is not null
            && await ScalarAsync<long?>(c, "SELECT id FROM deploy_incidents WHERE external_id = $1", ct, P(input.ExternalId)) is { } existing)
            throw new DeploymentConflictException($"Incident #{existing} has the external id '{input.ExternalId}' already.", "externalId");
        long id;
        try
        {
            id = await ScalarAsync<long>(c, """
                INSERT INTO deploy_incidents (external_id, title, severity, service, environment, started_at, created_by_email)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """, ct, P(input.ExternalId), P(title), P(input.Severity), P(input.Service), P(input.Environment), P(started, NpgsqlDbType.TimestampTz), P(actor));
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The same external id sent twice at once: the second waited for the first and is the same conflict.
            throw new DeploymentConflictException($"An incident has the external id '{input.ExternalId}' already.", "externalId");
        }
        await AddCausesAsync(c, id, causes, ct);
        await RecordAsync(c, "deployment.incident_opened", id, null, ct);
        return (await GetAsync(c, id, ct))!;
    }

    /// <summary>
    /// Audits an incident's change in the caller's transaction (old and new row) and announces it on the deployments topic,
    /// so open incident pages and dashboards reload on every instance.
    /// </summary>
    private static Task RecordAsync(NpgsqlConnection c, string action, long id, string? before, CancellationToken ct) =>
        ExecuteAsync(c, """
            SELECT audit_write($1, 'deploy_incidents', $2::text, $3::jsonb, (SELECT to_jsonb(i) FROM deploy_incidents i WHERE i.id = $2)),
                   live_notify('deployments', 'incident:' || $2, $1)
            """, ct, P(action), P(id, NpgsqlDbType.Bigint), P(before, NpgsqlDbType.Text));

    public static async Task<Incident> UpdateAsync(NpgsqlConnection c, long id, IncidentChange change, DateTimeOffset now, CancellationToken ct)
    {
        var incident = await GetAsync(c, id, ct, forUpdate: true) ?? throw new DeploymentNotFoundException($"There is no incident #{id}.");
        var before = await ScalarAsync<string>(c, "SELECT to_jsonb(i)::text FROM deploy_incidents i WHERE i.id = $1", ct, P(id, NpgsqlDbType.Bigint));
        var title = change.Title is null ? incident.Title : CheckTitle(change.Title);
        var severity = change.Severity ?? incident.Severity;
        CheckSeverity(severity);
        var causes = await ResolveAsync(c, change.AddCausedBy, "causedBy", ct);
        long? fixedBy = incident.FixedBy;
        DateTimeOffset? fixedAt = null;
        if (change.FixedBy is { } fixRef)
        {
            var fix = (await ResolveAsync(c, [fixRef], "fixedBy", ct))[0];
            var (status, finished) = await FixAsync(c, fix, ct);
            if (status is not ("succeeded" or "rolled_back") || finished is null)
                throw new DeploymentConflictException($"Deployment {fixRef} is {status}; only a deployment that succeeded fixes an incident.", "fixedBy");
            if (finished < incident.StartedAt)
                throw new DeploymentConflictException($"Deployment {fixRef} finished before the incident started, so it cannot have fixed it.", "fixedBy");
            fixedBy = fix;
            fixedAt = finished;
        }
        var resolvedAt = incident.ResolvedAt;
        if (change.Resolve || change.ResolvedAt is not null || fixedAt is not null)
        {
            var at = change.ResolvedAt ?? fixedAt ?? now;
            if (at < incident.StartedAt) throw new DeploymentException("The incident cannot be resolved before it started.", "resolvedAt");
            if (at > now.AddMinutes(5)) throw new DeploymentException("The resolution cannot lie in the future.", "resolvedAt");
            if (incident.ResolvedAt is { } was && was != at && change.ResolvedAt is not null)
                throw new DeploymentConflictException($"Incident #{id} was resolved at {was:u} already.", "resolvedAt");
            resolvedAt = incident.ResolvedAt ?? at;
        }
        await ExecuteAsync(c, """
            UPDATE deploy_incidents SET title = $2, severity = $3, resolved_at = $4, fixed_by = $5, updated_at = now() WHERE id = $1
            """, ct, P(id, NpgsqlDbType.Bigint), P(title), P(severity), P(resolvedAt, NpgsqlDbType.TimestampTz), P(fixedBy, NpgsqlDbType.Bigint));
        await AddCausesAsync(c, id, causes, ct);
        await RecordAsync(c, incident.ResolvedAt is null && resolvedAt is not null ? "deployment.incident_resolved" : "deployment.incident_updated", id, before, ct);
        return (await GetAsync(c, id, ct))!;
    }

    public static async Task<Incident?> GetAsync(NpgsqlConnection c, long id, CancellationToken ct, bool forUpdate = false)
    {
        var list = await QueryAsync(c, $"WHERE i.id = $1{(forUpdate ? " FOR UPDATE OF i" : "")}", ct, P(id, NpgsqlDbType.Bigint));
        return list.Count == 0 ? null : list[0];
    }

    /// <summary>Newest first: the open ones, or all, of a service/environment when given.</summary>
    public static Task<IReadOnlyList<Incident>> ListAsync(NpgsqlConnection c, bool openOnly, string? environment, string? service, int limit, CancellationToken ct) =>
        QueryAsync(c, """
            WHERE (NOT $1 OR i.resolved_at IS NULL) AND ($2::text IS NULL OR i.environment = $2) AND ($3::text IS NULL OR i.service = $3)
            ORDER BY i.started_at DESC, i.id DESC LIMIT $4
            """, ct, P(openOnly, NpgsqlDbType.Boolean), P(environment), P(service), P(Math.Clamp(limit, 1, 500), NpgsqlDbType.Integer));

    /// <summary>
    /// A keyset page of the filtered incidents, newest start first: <paramref name="pageSize"/> rows after
    /// <paramref name="after"/>, and the cursor of the next page when there are more.
    /// </summary>
    public static async Task<IncidentPage> ListPageAsync(NpgsqlConnection c, IncidentFilter filter, IncidentCursor? after, int pageSize, CancellationToken ct)
    {
        if (filter.Status is { } status && !IncidentFilter.Statuses.Contains(status))
            throw new DeploymentException($"The status is one of {string.Join(", ", IncidentFilter.Statuses)}.", "status");
        if (filter.Severity is not null) CheckSeverity(filter.Severity);
        if (filter.From is { } f && filter.To is { } t && t <= f) throw new DeploymentException("The end of the range must be after its start.", "to");
        pageSize = Math.Clamp(pageSize, 1, 500);
        var rows = await QueryAsync(c, """
            WHERE ($1::text IS NULL OR ($1 = 'open') = (i.resolved_at IS NULL)) AND ($2::text IS NULL OR i.severity = $2)
              AND ($3::text IS NULL OR i.environment = $3) AND ($4::text IS NULL OR i.service = $4)
              AND ($5::timestamptz IS NULL OR i.started_at >= $5) AND ($6::timestamptz IS NULL OR i.started_at < $6)
              AND ($7::timestamptz IS NULL OR (i.started_at, i.id) < ($7, $8))
            ORDER BY i.started_at DESC, i.id DESC LIMIT $9
            """, ct, P(filter.Status), P(filter.Severity), P(filter.Environment), P(filter.Service),
            P(filter.From, NpgsqlDbType.TimestampTz), P(filter.To, NpgsqlDbType.TimestampTz),
            P(after?.StartedAt, NpgsqlDbType.TimestampTz), P(after?.Id, NpgsqlDbType.Bigint), P(pageSize + 1, NpgsqlDbType.Integer));
        var items = rows.Take(pageSize).ToList();
        return new IncidentPage(items, rows.Count > pageSize ? new IncidentCursor(items[^1].StartedAt, items[^1].Id) : null);
    }

    /// <summary>Lists commits of a deployment; a sha listed already is left as it is (idempotent).</summary>
    public static async Task<CommitsAdded> AddCommitsAsync(NpgsqlConnection c, long deploymentId, IReadOnlyList<CommitInput> commits, CancellationToken ct)
    {
        CheckCommits(commits);
        var added = await ExecuteAsync(c, """
            INSERT INTO deployment_commits (deployment_id, sha, committed_at, authored_at)
            SELECT $1, x.sha, x.committed_at, x.authored_at FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[]) AS x(sha, committed_at, authored_at)
            ON CONFLICT (deployment_id, sha) DO NOTHING
            """, ct, P(deploymentId, NpgsqlDbType.Bigint), P(commits.Select(x => x.Sha.ToLowerInvariant()).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
            P(commits.Select(x => x.CommittedAt).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz),
            P(commits.Select(x => (object?)x.AuthoredAt ?? DBNull.Value).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.TimestampTz));
        var total = await ScalarAsync<long>(c, "SELECT count(*) FROM deployment_commits WHERE deployment_id = $1", ct, P(deploymentId, NpgsqlDbType.Bigint));
        return new CommitsAdded(deploymentId, added, (int)total);
    }

    public static void CheckCommits(IReadOnlyList<CommitInput> commits)
    {
        if (commits.Count is 0 or > MaxCommits) throw new DeploymentException($"List 1 to {MaxCommits} commits.", "commits");
        for (var i = 0; i < commits.Count; i++)
        {
            if (!ShaPattern().IsMatch(commits[i].Sha?.ToLowerInvariant() ?? ""))
                throw new DeploymentException($"commits[{i}].sha must be 7 to 40 hex digits.", $"commits[{i}].sha");
            if (commits[i].AuthoredAt > commits[i].CommittedAt)
                throw new DeploymentException($"commits[{i}].authoredAt lies after its committedAt.", $"commits[{i}].authoredAt");
        }
        if (commits.Select(x => x.Sha.ToLowerInvariant()).Distinct().Count() != commits.Count)
            throw new DeploymentException("Each commit once, please.", "commits");
    }

    /// <summary>A deployment by external id, else numeric id; null when neither exists.</summary>
    public static Task<long?> FindDeploymentAsync(NpgsqlConnection c, string reference, CancellationToken ct) =>
        ScalarAsync<long?>(c, """
            SELECT coalesce((SELECT id FROM deployments WHERE external_id = $1),
                            (SELECT id FROM deployments WHERE id = CASE WHEN $1 ~ '^[0-9]{1,18}$' THEN $1::bigint END))
            """, ct, P(reference));

    /// <summary>The deployment's service and environment (for a token's scope), or null.</summary>
    public static async Task<(string Service, string Environment)?> PipelineAsync(NpgsqlConnection c, long deploymentId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT service, environment FROM deployments WHERE id = $1", c) { Parameters = { P(deploymentId, NpgsqlDbType.Bigint) } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetString(0), reader.GetString(1)) : null;
    }

    private static string CheckTitle(string? title)
    {
        title = title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > 200) throw new DeploymentException("Give the incident a title of 1 to 200 characters.", "title");
        return title;
    }

    private static void CheckSeverity(string? severity)
    {
        if (severity is null || !IncidentSeverities.All.Contains(severity))
            throw new DeploymentException($"The severity is one of {string.Join(", ", IncidentSeverities.All)}.", "severity");
    }

    private static async Task CheckEnvironmentAsync(NpgsqlConnection c, string? environment, CancellationToken ct)
    {
        var known = await ScalarAsync<string[]>(c, "SELECT coalesce(array_agg(name ORDER BY display_order, name), '{}') FROM deploy_environments", ct);
        if (environment is null || !known.Contains(environment))
            throw new DeploymentException($"The environment is one of {string.Join(", ", known)}.", "environment");
    }

    private static async Task<IReadOnlyList<long>> ResolveAsync(NpgsqlConnection c, IReadOnlyList<string>? references, string field, CancellationToken ct)
    {
        if (references is null || references.Count == 0) return [];
        if (references.Count > MaxCauses) throw new DeploymentException($"Name at most {MaxCauses} deployments.", field);
        var ids = new List<long>();
        foreach (var reference in references.Distinct(StringComparer.Ordinal))
        {
            if (reference.Length is < 1 or > 200) throw new DeploymentException("A deployment is named by its external id (1 to 200 characters) or its id.", field);
            ids.Add(await FindDeploymentAsync(c, reference, ct) ?? throw new DeploymentException($"There is no deployment '{reference}'.", field));
        }
        return ids;
    }

    private static Task AddCausesAsync(NpgsqlConnection c, long id, IReadOnlyList<long> causes, CancellationToken ct) =>
        causes.Count == 0 ? Task.CompletedTask : ExecuteAsync(c, """
            INSERT INTO deploy_incident_causes (incident_id, deployment_id) SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING
            """, ct, P(id, NpgsqlDbType.Bigint), P(causes.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Bigint));

    private static async Task<(string Status, DateTimeOffset? Finished)> FixAsync(NpgsqlConnection c, long id, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT status, finished_at FROM deployments WHERE id = $1", c) { Parameters = { P(id, NpgsqlDbType.Bigint) } };
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    private static async Task<IReadOnlyList<Incident>> QueryAsync(NpgsqlConnection c, string where, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT i.id, i.external_id, i.title, i.severity, i.service, i.environment, i.started_at, i.resolved_at, i.fixed_by,
                   i.created_by_email, i.created_at, i.updated_at,
                   ARRAY(SELECT x.deployment_id FROM deploy_incident_causes x WHERE x.incident_id = i.id ORDER BY 1)
            FROM deploy_incidents i
            {where}
            """, c);
        command.Parameters.AddRange(parameters);
        var list = new List<Incident>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            list.Add(new Incident(r.GetInt64(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetInt64(8),
                r.GetString(9), r.GetFieldValue<DateTimeOffset>(10), r.GetFieldValue<DateTimeOffset>(11), r.GetFieldValue<long[]>(12)));
        return list;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, c);
        command.Parameters.AddRange(parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection c, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, c);
        command.Parameters.AddRange(parameters);
        var value = await command.ExecuteScalarAsync(ct);
        return value is null or DBNull ? default! : (T)value;
    }

    private static NpgsqlParameter P(object? value, NpgsqlDbType type = NpgsqlDbType.Text) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}

/// <summary>
/// The console's side of incidents: list, open, update and resolve as the signed-in user (release managers and
/// admins; row-level security enforces the same), each write in one transaction.
/// </summary>
public sealed class IncidentService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session, TimeProvider time)
{
    public async Task<IReadOnlyList<Incident>> ListAsync(bool openOnly = false, string? environment = null, string? service = null, int limit = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await IncidentStore.ListAsync(await OpenAsync(db, ct), openOnly, environment, service, limit, ct);
    }

    public async Task<IncidentPage> ListPageAsync(IncidentFilter filter, IncidentCursor? after = null, int pageSize = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await IncidentStore.ListPageAsync(await OpenAsync(db, ct), filter, after, pageSize, ct);
    }

    public Task<Incident> CreateAsync(NewIncident input, CancellationToken ct = default) =>
        WriteAsync((c, actor) => IncidentStore.CreateAsync(c, input, actor, time.GetUtcNow(), ct), ct);

    public Task<Incident> UpdateAsync(long id, IncidentChange change, CancellationToken ct = default) =>
        WriteAsync((c, _) => IncidentStore.UpdateAsync(c, id, change, time.GetUtcNow(), ct), ct);

    private async Task<Incident> WriteAsync(Func<NpgsqlConnection, string, Task<Incident>> write, CancellationToken ct)
    {
        var me = session.Current;
        if (!DeploymentService.CanApprove(me)) throw new DeploymentException("Only release managers and admins open and resolve incidents.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var c = await OpenAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
        var result = await write(c, me.Email ?? "console");
        await transaction.CommitAsync(ct);
        return result;
    }

    private static async Task<NpgsqlConnection> OpenAsync(AdminDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        return (NpgsqlConnection)db.Database.GetDbConnection();
    }
}
