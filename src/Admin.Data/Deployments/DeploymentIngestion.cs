using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Deployments;

/// <summary>The CI/CD system behind a request: the API token it presented and the console user who created it.</summary>
public sealed record ApiCaller(Guid TokenId, string TokenName, Guid CreatedBy, string CreatedByEmail);

/// <summary>An HTTP answer decided in the database: status, JSON body (problem details when 4xx), replayed or not.</summary>
public sealed record ApiResult(int Status, string Body, bool Replayed);

public sealed record NewDeployment(
    string ExternalId, string Service, string Environment, string Version, string CommitSha, DateTimeOffset? CommitAt,
    long? ReleaseId, string? RequestedBy, string? Message);

/// <summary>
/// The ingestion API's database side. Each call is one round trip to one function (deploy_api_create,
/// deploy_api_status) that checks the token's scope (403 outside it) and the Idempotency-Key, applies the state
/// machine, writes the history, announces the change and stores the response for replays, all in one transaction;
/// status posts by token, the hot path, commit in groups (<see cref="StatusPostBatches"/>). Every write commits
/// durably. No EF Core and no session-context statements on this path: it has to sustain 1,500 status posts a second.
/// </summary>
public sealed class DeploymentIngestion(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    private readonly Lazy<StatusPostBatches> _batches = new(() => new StatusPostBatches(dataSource, (post, ct) => PostAloneAsync(dataSource, post, ct)));

    public static byte[] HashToken(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    /// <summary>
    /// The ingestion path's own pool. Its connections never carry session settings beyond a transaction, so they skip
    /// the DISCARD ALL the app's pool runs on return (which would also throw away every prepared statement and the
    /// functions' cached plans), and its two statements are prepared once per connection.
    /// </summary>
    /// <remarks>
    /// The pool is small on purpose (by default two connections per core, at least four): every status post NOTIFYs,
    /// and PostgreSQL serialises the commits of notifying transactions, so more concurrent posts than cores only queue
    /// inside the server and contend. Measured here (2 cores, pgbench, a post and a token check per transaction):
    /// 1,628/s on 2 connections, 1,342/s on 4, 1,093/s on 8, 869/s on 16. Requests beyond the pool wait for a
    /// connection in the app, which costs nothing; past the pool's Timeout they are answered 503 with Retry-After.
    /// </remarks>
    public static NpgsqlDataSource CreateDataSource(string connectionString, int? maxConnections = null)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.MaxPoolSize = maxConnections ?? DefaultConnections;
        builder.ConnectionStringBuilder.MinPoolSize = 0;
        builder.ConnectionStringBuilder.NoResetOnClose = true;
        // Concurrent requests' commands are pipelined over the few connections, several per network write: on a small
        // machine each send over loopback (and the server process it wakes) cost the app more than the HTTP request did.
        builder.ConnectionStringBuilder.Multiplexing = true;
        builder.ConnectionStringBuilder.MaxAutoPrepare = 8;
        builder.ConnectionStringBuilder.ApplicationName = "admin-deploy-api";
        // Row-level security: every connection of this pool acts as the DeployApi identity from its start (the callers,
        // token and user, are passed to the functions and written to the history and audit rows).
        builder.ConnectionStringBuilder.Options = $"{builder.ConnectionStringBuilder.Options} -c app.roles={Session.SessionRoles.DeployApi}".Trim();
        return builder.Build();
    }

    public static int DefaultConnections => Math.Max(4, 2 * Environment.ProcessorCount);

    /// <summary>The token's caller, or null when the token is unknown or revoked. Also records its use (once a minute).</summary>
    public async Task<ApiCaller?> AuthenticateAsync(string token, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT id, name, created_by, created_by_email FROM api_token_authenticate($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = HashToken(token), NpgsqlDbType = NpgsqlDbType.Bytea });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new ApiCaller(reader.GetGuid(0), reader.GetString(1), reader.GetGuid(2), reader.GetString(3))
            : null;
    }

    public async Task<ApiResult> CreateAsync(ApiCaller caller, NewDeployment d, string? idempotencyKey, byte[] requestHash, CancellationToken ct = default)
    {
        try
        {
            return await CreateOrReplayAsync(caller, d, idempotencyKey, requestHash, ct);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.ForeignKeyViolation, ConstraintName: "deployments_release_fk" })
        {
            // Rolled back with the claim of the Idempotency-Key, so a corrected request with the same key is accepted.
            var problem = new System.Text.Json.Nodes.JsonObject
            {
                ["type"] = "about:blank", ["title"] = "Invalid field", ["status"] = 400,
                ["detail"] = $"releaseId: there is no content release #{d.ReleaseId}", ["field"] = "releaseId",
            };
            return new ApiResult(400, problem.ToJsonString(), false);
        }
    }

    // The token's id is all the database is told about the caller: its scope, name and creator come from the token's
    // row (a revoked token is a 401 there too), so nothing here can widen what the token may do.
    private Task<ApiResult> CreateOrReplayAsync(ApiCaller caller, NewDeployment d, string? idempotencyKey, byte[] requestHash, CancellationToken ct) =>
        CallAsync("SELECT http_status, body, replayed FROM deploy_api_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)", ct,
            P(caller.TokenId, NpgsqlDbType.Uuid), P(idempotencyKey), P(requestHash, NpgsqlDbType.Bytea),
            P(d.ExternalId), P(d.Service), P(d.Environment), P(d.Version), P(d.CommitSha),
            P(d.CommitAt, NpgsqlDbType.TimestampTz), P(d.ReleaseId, NpgsqlDbType.Bigint), P(d.RequestedBy), P(d.Message));

    /// <param name="reference">The deployment's external id, or the console's numeric id.</param>
    public Task<ApiResult> PostStatusAsync(ApiCaller caller, string reference, string status, string? message, string? idempotencyKey,
        byte[] requestHash, CancellationToken ct = default) =>
        CallAsync("SELECT http_status, body, replayed FROM deploy_api_status($1, $2, $3, $4, $5, $6)", ct,
            P(caller.TokenId, NpgsqlDbType.Uuid), P(idempotencyKey), P(requestHash, NpgsqlDbType.Bytea),
            P(reference), P(status), P(message));

    /// <summary>
    /// The token check and the post in one database call (the hot path of a CI system reporting progress): 401 when
    /// the token is unknown or revoked, else what <see cref="PostStatusAsync(ApiCaller, string, string, string?, string?, byte[], CancellationToken)"/> answers.
    /// </summary>
    public Task<ApiResult> PostStatusAsync(string token, string reference, string status, string? message, string? idempotencyKey,
        byte[] requestHash, CancellationToken ct = default) =>
        _batches.Value.PostAsync(new StatusPost(HashToken(token), reference, status, message, idempotencyKey, requestHash), ct);

    /// <summary>One post in its own transaction: for a post its batch could not run.</summary>
    private static Task<ApiResult> PostAloneAsync(NpgsqlDataSource dataSource, StatusPost post, CancellationToken ct) =>
        CallAsync(dataSource, "SELECT http_status, body, replayed FROM deploy_api_status_by_token($1, $2, $3, $4, $5, $6)", ct,
            P(post.TokenHash, NpgsqlDbType.Bytea), P(post.IdempotencyKey), P(post.RequestHash, NpgsqlDbType.Bytea),
            P(post.Reference), P(post.Status), P(post.Message));

    /// <summary>
    /// An external check's state (pending, success, failure) for a deployment that has not started, by a token whose
    /// scope covers the deployment (deploy_api_check: 401, 403, 404, 409 as a status post answers them).
    /// </summary>
    public async Task<ApiResult> PostCheckAsync(string token, string reference, string name, string state, string? detail, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT http_status, body, false FROM deploy_api_check($1, $2, $3, $4, $5)");
        command.Parameters.AddRange(new[] { P(HashToken(token), NpgsqlDbType.Bytea), P(reference), P(name), P(state), P(detail) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ApiResult(reader.GetInt32(0), reader.IsDBNull(1) ? "" : reader.GetString(1), false);
    }

    /// <summary>The last rollback of this service and version or of this release payload, other than the deployment itself (JSON, or null).</summary>
    public async Task<string?> RollbackMemoryAsync(string service, string version, long? releaseId, long? except, CancellationToken ct = default)
    {
        await using var command = dataSource.CreateCommand("SELECT deploy_rollback_memory($1, $2, $3, $4)::text");
        command.Parameters.AddRange(new[] { P(service), P(version), P(releaseId, NpgsqlDbType.Bigint), P(except, NpgsqlDbType.Bigint) });
        return await command.ExecuteScalarAsync(ct) as string;
    }

    /// <summary>Status-post batches committed by this instance and the posts in them.</summary>
    public (long Batches, long Posts) StatusBatchCounts => _batches.IsValueCreated ? _batches.Value.Counts : (0, 0);

    public async ValueTask DisposeAsync()
    {
        if (_batches.IsValueCreated) await _batches.Value.DisposeAsync();
    }

    private Task<ApiResult> CallAsync(string sql, CancellationToken ct, params NpgsqlParameter[] parameters) => CallAsync(dataSource, sql, ct, parameters);

    private static async Task<ApiResult> CallAsync(NpgsqlDataSource dataSource, string sql, CancellationToken ct, params NpgsqlParameter[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new ApiResult(reader.GetInt32(0), reader.IsDBNull(1) ? "" : reader.GetString(1), reader.GetBoolean(2));
    }

    private static NpgsqlParameter P(object? value, NpgsqlDbType type = NpgsqlDbType.Text) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
