using System.Security.Cryptography;
using Admin.Data.Audit;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

public sealed record ApiTokenInfo(
    Guid Id, string Name, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt,
    string? RevokedBy, DateTimeOffset? LastUsedAt);

/// <summary>A new token: the secret is returned once here and never stored (only its SHA-256 is).</summary>
public sealed record CreatedApiToken(ApiTokenInfo Token, string Secret);

/// <summary>API tokens for CI/CD systems. Admins only (checked here and by the page); creation and revocation are audited.</summary>
public sealed class ApiTokenService(IDbContextFactory<AdminDbContext> dbFactory, ISessionContextSource session)
{
    public const string SecretPrefix = "adm_";

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(CancellationToken ct = default)
    {
        RequireAdmin();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Database.SqlQuery<ApiTokenInfo>($"""
            SELECT id AS "Id", name AS "Name", token_prefix AS "Prefix", created_by_email AS "CreatedBy", created_at AS "CreatedAt",
                   revoked_at AS "RevokedAt", revoked_by_email AS "RevokedBy", last_used_at AS "LastUsedAt"
            FROM api_tokens ORDER BY revoked_at IS NOT NULL, created_at DESC LIMIT 500
            """).ToListAsync(ct);
    }

    public async Task<CreatedApiToken> CreateAsync(string name, CancellationToken ct = default)
    {
        var me = RequireAdmin();
        name = name.Trim();
        if (name.Length is < 1 or > 100) throw new DeploymentException("Give the token a name of 1 to 100 characters (e.g. the CI system).", "name");
        var secret = SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var prefix = secret[..(SecretPrefix.Length + 6)];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var created = (await db.Database.SqlQuery<ApiTokenInfo>($"""
            INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email)
            VALUES ({name}, {DeploymentIngestion.HashToken(secret)}, {prefix}, {me.UserId!.Value}, {me.Email ?? "unknown"})
            RETURNING id AS "Id", name AS "Name", token_prefix AS "Prefix", created_by_email AS "CreatedBy", created_at AS "CreatedAt",
                      revoked_at AS "RevokedAt", revoked_by_email AS "RevokedBy", last_used_at AS "LastUsedAt"
            """).ToListAsync(ct)).Single();
        await AuditWriter.WriteAsync(db, new AuditEntry(DeploymentAuditActions.TokenCreated, "api_tokens", created.Id.ToString(), null, new { name, prefix }), ct);
        await transaction.CommitAsync(ct);
        return new CreatedApiToken(created, secret);
    }

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
