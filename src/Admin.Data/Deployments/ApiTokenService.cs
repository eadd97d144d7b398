using System.Security.Cryptography;
using Admin.Data.Audit;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

/// <param name="ScopeByMigration">
/// The token predates scopes: migration TokenScopes gave it every service and environment so CI kept working, and
/// nobody has narrowed it since.
/// </param>
public sealed record ApiTokenInfo(
    Guid Id, string Name, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string? RevokedBy, DateTimeOffset? LastUsedAt, string[] Services, string[] Environments, bool ScopeByMigration)
{
    public TokenScope Scope => new(Services, Environments);
}

/// <summary>A new token: the secret is returned once here and never stored (only its SHA-256 is).</summary>
public sealed record CreatedApiToken(ApiTokenInfo Token, string Secret);

/// <summary>
/// API tokens for CI/CD systems. Admins only (checked here and by the page); creation, scope changes and revocation
/// are audited. A token's scope (services and environments) is checked by the database on every API call.
/// </summary>
public sealed class ApiTokenService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    public const string SecretPrefix = "adm_";

    private const string Columns = """
        id AS "id", name AS "name", token_prefix AS "prefix", created_by_email AS "created_by", created_at AS "created_at",
        revoked_at AS "revoked_at", revoked_by_email AS "revoked_by", last_used_at AS "last_used_at",
        services AS "services", environments AS "environments", scope_by_migration AS "scope_by_migration"
        """;

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(CancellationToken ct = default)
    {
        RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQueryRaw<ApiTokenInfo>($"""
            SELECT {Columns} FROM api_tokens ORDER BY revoked_at IS NOT NULL, created_at DESC LIMIT 500
            """).ToListAsync(ct);
    }

    public async Task<CreatedApiToken> CreateAsync(string name, TokenScope scope, CancellationToken ct = default)
    {
        var me = RequireAdmin();
        name = name.Trim();
        if (name.Length is < 1 or > 100) throw new DeploymentException("Give the token a name of 1 to 100 characters (e.g. the CI system).", "name");
        var secret = SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var prefix = secret[..(SecretPrefix.Length + 6)];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await RequireValidAsync(db, scope, ct);
        var created = (await db.Database.SqlQueryRaw<ApiTokenInfo>($"""
            INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email, services, environments)
            VALUES (@name, @hash, @prefix, @by, @email, @services, @environments)
            RETURNING {Columns}
            """, Parameter("name", name), Parameter("hash", DeploymentIngestion.HashToken(secret)), Parameter("prefix", prefix),
            Parameter("by", me.UserId!.Value), Parameter("email", me.Email ?? "unknown"),
            Parameter("services", scope.Services.ToArray()), Parameter("environments", scope.Environments.ToArray())).ToListAsync(ct)).Single();
        await AuditWriter.WriteAsync(db, new AuditEntry(DeploymentAuditActions.TokenCreated, "api_tokens", created.Id.ToString(), null,
            new { name, prefix, services = scope.Services, environments = scope.Environments }), ct);
        await transaction.CommitAsync(ct);
        return new CreatedApiToken(created, secret);
    }

    /// <summary>
    /// Changes what an active token may report, from its next request on (the secret stays the same, so a token
    /// that predates scopes can be narrowed without touching the CI system). Audited with the old and new scope.
    /// </summary>
    public async Task<ApiTokenInfo> ChangeScopeAsync(Guid id, TokenScope scope, CancellationToken ct = default)
    {
        RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await RequireValidAsync(db, scope, ct);
        var before = (await db.Database.SqlQueryRaw<ApiTokenInfo>(
            $"SELECT {Columns} FROM api_tokens WHERE id = @id AND revoked_at IS NULL FOR UPDATE", Parameter("id", id)).ToListAsync(ct)).SingleOrDefault()
            ?? throw new DeploymentException("That token does not exist or is revoked.");
        var after = (await db.Database.SqlQueryRaw<ApiTokenInfo>($"""
            UPDATE api_tokens SET services = @services, environments = @environments, scope_by_migration = false
            WHERE id = @id RETURNING {Columns}
            """, Parameter("id", id), Parameter("services", scope.Services.ToArray()), Parameter("environments", scope.Environments.ToArray()))
            .ToListAsync(ct)).Single();
        await AuditWriter.WriteAsync(db, new AuditEntry(DeploymentAuditActions.TokenScopeChanged, "api_tokens", id.ToString(),
            new { services = before.Services, environments = before.Environments },
            new { name = after.Name, services = after.Services, environments = after.Environments }), ct);
        await transaction.CommitAsync(ct);
        return after;
    }

    private static async Task RequireValidAsync(AdminDbContext db, TokenScope scope, CancellationToken ct)
    {
        var environments = await db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM deploy_environments ORDER BY display_order, name").ToListAsync(ct);
        if (scope.Problem(environments) is { } problem) throw new DeploymentException(problem.Message, problem.Field);
    }

    private static Npgsql.NpgsqlParameter Parameter(string name, object value) => new(name, value);

    /// <summary>Revokes at once: the next request with it gets 401. Revoking twice is a no-op.</summary>
    public async Task RevokeAsync(Guid id, CancellationToken ct = default)
    {
        var me = RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var names = await db.Database.SqlQuery<string>($"""
            UPDATE api_tokens SET revoked_at = now(), revoked_by_email = {me.Email}
            WHERE id = {id} AND revoked_at IS NULL RETURNING name AS "Value"
            """).ToListAsync(ct);
        if (names.Count == 1)
            await AuditWriter.WriteAsync(db, new AuditEntry(DeploymentAuditActions.TokenRevoked, "api_tokens", id.ToString(), null, new { name = names[0] }), ct);
        await transaction.CommitAsync(ct);
    }

    private SessionContext RequireAdmin()
    {
        var me = session.Current;
        if (me.UserId is null || !me.Roles.Contains(DeploymentService.AdminRole))
            throw new DeploymentException("Only admins manage API tokens.");
        return me;
    }
}
