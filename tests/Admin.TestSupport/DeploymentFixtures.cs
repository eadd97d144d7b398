using Admin.Data;
using Admin.Data.Deployments;
using Admin.Data.Infrastructure;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>Deployment-domain helpers shared by data tests, web tests and benchmarks.</summary>
public static class DeploymentFixtures
{
    public static readonly SessionContext Admin = TestContexts.Admin;

    public static readonly SessionContext ReleaseManager =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000b1"), "release@test.local", ["ReleaseManager"], [], [], "test");

    public static readonly SessionContext OtherReleaseManager =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000b2"), "release2@test.local", ["ReleaseManager"], [], [], "test");

    public static DeploymentService DeploymentService(this TestDatabase db, SessionContext? user = null, CommandCounter? counter = null) =>
        new(db.CountingFactory(user ?? ReleaseManager, counter), new FixedSessionContextSource(user ?? ReleaseManager));

    public static ApiTokenService TokenService(this TestDatabase db, SessionContext? user = null) =>
        new(db.Factory(user ?? Admin), new FixedSessionContextSource(user ?? Admin));

    public static DeploymentIngestion Ingestion(this TestDatabase db, NpgsqlDataSource dataSource) => new(dataSource);

    /// <summary>An IDbContextFactory acting as the user, whose commands the counter (when given) counts.</summary>
    public static IDbContextFactory<AdminDbContext> CountingFactory(this TestDatabase db, SessionContext user, CommandCounter? counter) =>
        new Contexts(db, user, counter);

    /// <summary>
    /// A token created by <paramref name="creator"/> (Admin by default, made a console user first) that may report
    /// <paramref name="scope"/> (everything by default), and its caller as the API sees it.
    /// </summary>
    public static async Task<(string Secret, ApiCaller Caller)> CreateTokenAsync(this TestDatabase db, NpgsqlDataSource dataSource,
        SessionContext? creator = null, string name = "ci", TokenScope? scope = null)
    {
        var secret = (await db.NewTokenAsync(name, scope, creator)).Secret;
        var caller = await new DeploymentIngestion(dataSource).AuthenticateAsync(secret)
            ?? throw new InvalidOperationException("a new token did not authenticate");
        return (secret, caller);
    }

    /// <summary>A new token (and its secret), created as in the console by <paramref name="creator"/> (made a console user first).</summary>
    public static async Task<CreatedApiToken> NewTokenAsync(this TestDatabase db, string name = "ci", TokenScope? scope = null, SessionContext? creator = null)
    {
        creator ??= Admin;
        await db.EnsureUserAsync(creator);
        return await db.TokenService(creator).CreateAsync(name, scope ?? TokenScope.Everything);
    }

    /// <summary>
    /// Makes the person of a session context a console user (a row in users with that id and e-mail), enabled or not:
    /// requesters of deployments that need approval must be one. Idempotent; a second call sets the disabled flag.
    /// </summary>
    public static async Task EnsureUserAsync(this TestDatabase db, SessionContext user, bool disabled = false)
    {
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("""
            INSERT INTO users (id, display_name, is_disabled, created_at, user_name, normalized_user_name, email, normalized_email,
                               email_confirmed, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
            VALUES ($1, $2, $3, now(), $2, upper($2), $2, upper($2), true, false, false, true, 0)
            ON CONFLICT (id) DO UPDATE SET is_disabled = excluded.is_disabled
            """, owner);
        command.Parameters.Add(new NpgsqlParameter { Value = user.UserId!.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = user.Email! });
        command.Parameters.Add(new NpgsqlParameter { Value = disabled });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A data source of the ingestion API's kind over the test database and a token's caller to post with.</summary>
    public static async Task<(NpgsqlDataSource Source, ApiCaller Caller)> OpenIngestionAsync(this TestDatabase db)
    {
        var source = DeploymentIngestion.CreateDataSource(db.AppConnectionString);
        return (source, (await db.CreateTokenAsync(source)).Caller);
    }

    public static NewDeployment NewDeployment(string environment = "staging", string? externalId = null, string service = "shop-api",
        string? requestedBy = null, DateTimeOffset? commitAt = null, long? releaseId = null) =>
        new(externalId ?? "run-" + Guid.NewGuid().ToString("N")[..12], service, environment, "1.4.2", "a1b2c3d4e5f6a7b8c9d0",
            commitAt ?? DateTimeOffset.UtcNow.AddHours(-2), releaseId, requestedBy, "deploy from CI");

    private sealed class Contexts(TestDatabase db, SessionContext user, CommandCounter? counter) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext()
        {
            var options = new DbContextOptionsBuilder<AdminDbContext>().UseNpgsql(db.AppConnectionString)
                .AddInterceptors(new Admin.Data.Session.SessionContextInterceptor(new FixedSessionContextSource(user)));
            if (counter is not null) options.AddInterceptors(counter);
            return new AdminDbContext(options.Options);
        }
    }
}
