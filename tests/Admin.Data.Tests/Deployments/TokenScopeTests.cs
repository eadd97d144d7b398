using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.Data.Session;
using Admin.TestSupport;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>
/// Token scopes and the requester rule, as the database enforces them on the ingestion functions: a call outside the
/// token's services and environments is a 403 with the reason that applies nothing (no deployment, no history, no
/// stored Idempotency-Key; one deployment.api_refused audit row), on both creation and status moves and on both status
/// paths; where approval is required the requester must be an enabled console user.
/// </summary>
public sealed class TokenScopeTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly byte[] Hash = [7, 7, 7];
    private static readonly TokenScope WebApiStaging = new(["web", "api"], ["staging"]);
    private NpgsqlDataSource _source = null!;
    private DeploymentIngestion Api => new(_source);
    private TestDatabase Db => fixture.Database;

    public async Task InitializeAsync() => _source = DeploymentIngestion.CreateDataSource(Db.AppConnectionString);

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private static string NewId() => "scope-" + Guid.NewGuid().ToString("N")[..12];

    private async Task<long> ScalarAsync(string sql)
    {
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<long>(sql);
    }

    /// <summary>A production deployment created by a token that may report everything; awaiting approval.</summary>
    private async Task<JsonNode> ProductionDeploymentAsync(string service = "web")
    {
        var (_, everything) = await Db.CreateTokenAsync(_source, name: "everything");
        var created = await Api.CreateAsync(everything, DeploymentFixtures.NewDeployment("production", NewId(), service), null, Hash);
        Assert.Equal(201, created.Status);
        return JsonNode.Parse(created.Body)!;
    }

    [Fact]
    public async Task A_staging_token_creating_a_production_deployment_gets_403_with_the_reason_and_nothing_is_applied()
    {
        var (_, staging) = await Db.CreateTokenAsync(_source, name: "staging-ci", scope: WebApiStaging);
        var externalId = NewId();
        var key = Guid.NewGuid().ToString();
        var request = DeploymentFixtures.NewDeployment("production", externalId, "web");

        var refused = await Api.CreateAsync(staging, request, key, Hash);

        Assert.Equal(403, refused.Status);
        var problem = JsonNode.Parse(refused.Body)!;
        Assert.Equal("this token may report services [web, api] in environments [staging]; not production", problem["detail"]!.GetValue<string>());
        Assert.Equal("environment", problem["field"]!.GetValue<string>());
        Assert.Equal(["staging"], problem["tokenEnvironments"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM deployments WHERE external_id = '{externalId}'"));
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM deployment_status_history h JOIN deployments d ON d.id = h.deployment_id WHERE d.external_id = '{externalId}'"));
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM api_idempotency_keys WHERE token_id = '{staging.TokenId}'"));
        // The only trace is the refusal itself, for the admins to see.
        Assert.Equal(1, await ScalarAsync($"SELECT count(*) FROM audit_events WHERE new_data ->> 'externalId' = '{externalId}'"));
        Assert.Equal(1, await ScalarAsync($"""
            SELECT count(*) FROM audit_events WHERE action = '{DeploymentAuditActions.ApiRefused}' AND new_data ->> 'externalId' = '{externalId}'
              AND new_data ->> 'status' = '403' AND new_data ->> 'tokenId' = '{staging.TokenId}' AND actor_email = 'api:staging-ci'
            """));

        // The refusal did not use the key up: once an admin lets the token report production, the same retry is applied.
        await Db.TokenService().ChangeScopeAsync(staging.TokenId, new TokenScope(["web", "api"], ["staging", "production"]));
        var retried = await Api.CreateAsync(staging, request, key, Hash);
        Assert.Equal((201, false), (retried.Status, retried.Replayed));
    }

    [Fact]
    public async Task A_staging_token_moving_a_production_deployments_status_gets_403_on_both_status_paths_and_the_status_is_unchanged()
    {
        var d = await ProductionDeploymentAsync();
        var externalId = d["externalId"]!.GetValue<string>();
        var (secret, staging) = await Db.CreateTokenAsync(_source, name: "staging-only", scope: WebApiStaging);
        var key = Guid.NewGuid().ToString();

        // awaiting_approval -> cancelled is a transition the API allows: only the scope stands in the way.
        var byCaller = await Api.PostStatusAsync(staging, externalId, DeploymentStatuses.Cancelled, "stop it", key, Hash);
        var oneCall = await Api.PostStatusAsync(secret, externalId, DeploymentStatuses.Cancelled, "stop it", key, Hash);

        foreach (var refused in new[] { byCaller, oneCall })
        {
            Assert.Equal(403, refused.Status);
            Assert.Equal($"this token may report services [web, api] in environments [staging]; not production (deployment {d["id"]} is web in production)",
                JsonNode.Parse(refused.Body)!["detail"]!.GetValue<string>());
        }
        var detail = (await Db.DeploymentService().GetAsync(d["id"]!.GetValue<long>()))!;
        Assert.Equal(DeploymentStatuses.AwaitingApproval, detail.Deployment.Status);
        Assert.Equal([DeploymentStatuses.Queued, DeploymentStatuses.AwaitingApproval], detail.History.Select(h => h.Status));
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM api_idempotency_keys WHERE token_id = '{staging.TokenId}'"));
        Assert.Equal(2, await ScalarAsync($"SELECT count(*) FROM audit_events WHERE action = 'deployment.api_refused' AND record_id = '{d["id"]}' AND new_data ->> 'to' = 'cancelled'"));

        // A token that may report production moves it.
        var (_, production) = await Db.CreateTokenAsync(_source, name: "prod-ci", scope: new TokenScope(["web"], ["production"]));
        Assert.Equal(200, (await Api.PostStatusAsync(production, externalId, DeploymentStatuses.Cancelled, "stop it", null, Hash)).Status);
    }

    [Fact]
    public async Task A_scoped_token_reports_inside_its_scope_and_is_refused_another_service()
    {
        var (secret, web) = await Db.CreateTokenAsync(_source, name: "web-ci", scope: new TokenScope(["web"], ["development", "staging"]));
        var created = await Api.CreateAsync(web, DeploymentFixtures.NewDeployment("staging", NewId(), "web"), null, Hash);
        Assert.Equal(201, created.Status);
        var externalId = JsonNode.Parse(created.Body)!["externalId"]!.GetValue<string>();
        Assert.Equal(200, (await Api.PostStatusAsync(secret, externalId, DeploymentStatuses.InProgress, null, null, Hash)).Status);
        Assert.Equal(200, (await Api.PostStatusAsync(web, externalId, DeploymentStatuses.Succeeded, null, null, Hash)).Status);

        var otherService = await Api.CreateAsync(web, DeploymentFixtures.NewDeployment("staging", NewId(), "api"), null, Hash);
        Assert.Equal(403, otherService.Status);
        var problem = JsonNode.Parse(otherService.Body)!;
        Assert.Equal("this token may report services [web] in environments [development, staging]; not api", problem["detail"]!.GetValue<string>());
        Assert.Equal("service", problem["field"]!.GetValue<string>());
        var neither = await Api.CreateAsync(web, DeploymentFixtures.NewDeployment("production", NewId(), "api"), null, Hash);
        Assert.EndsWith("; not api in production", JsonNode.Parse(neither.Body)!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_star_token_reports_any_service_in_any_environment()
    {
        var (secret, star) = await Db.CreateTokenAsync(_source, name: "star-ci", scope: new TokenScope([TokenScope.All], [TokenScope.All]));
        foreach (var (environment, service) in new[] { ("development", "a"), ("staging", "never-seen.before"), ("production", "payments") })
        {
            var created = await Api.CreateAsync(star, DeploymentFixtures.NewDeployment(environment, NewId(), service), null, Hash);
            Assert.Equal(201, created.Status);
            var externalId = JsonNode.Parse(created.Body)!["externalId"]!.GetValue<string>();
            Assert.Equal(200, (await Api.PostStatusAsync(secret, externalId, DeploymentStatuses.Cancelled, null, null, Hash)).Status);
        }
        Assert.Contains(await Db.TokenService().ListAsync(), t => t.Id == star.TokenId && t.Scope.ToString() == "any service in any environment");
    }

    [Fact]
    public async Task Where_approval_is_required_the_requester_must_be_an_enabled_console_user_else_422_and_nothing_is_applied()
    {
        var (_, ci) = await Db.CreateTokenAsync(_source, name: "requester-ci");
        var disabled = new SessionContext(Guid.NewGuid(), $"gone-{Guid.NewGuid():N}@test.local", ["ReleaseManager"], [], [], "t");
        await Db.EnsureUserAsync(disabled, disabled: true);
        var key = Guid.NewGuid().ToString();

        foreach (var (requester, why) in new[] { ("nobody@example.com", "is not a console user"), (disabled.Email!, "is disabled") })
        {
            var externalId = NewId();
            var refused = await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("production", externalId, requestedBy: requester), key, Hash);
            Assert.Equal(422, refused.Status);
            var problem = JsonNode.Parse(refused.Body)!;
            Assert.Equal("requestedBy", problem["field"]!.GetValue<string>());
            Assert.Contains($"'{requester.ToLowerInvariant()}' {why}", problem["detail"]!.GetValue<string>());
            Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM deployments WHERE external_id = '{externalId}'"));
        }
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM api_idempotency_keys WHERE token_id = '{ci.TokenId}'"));

        // Where no approval is needed, the name is only a label.
        Assert.Equal(201, (await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("staging", NewId(), requestedBy: "nobody@example.com"), null, Hash)).Status);
        // A console user is accepted, and linked.
        await Db.EnsureUserAsync(DeploymentFixtures.OtherReleaseManager);
        var known = await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("production", NewId(), requestedBy: DeploymentFixtures.OtherReleaseManager.Email), null, Hash);
        Assert.Equal(201, known.Status);
        var id = JsonNode.Parse(known.Body)!["id"]!.GetValue<long>();
        Assert.Equal(DeploymentFixtures.OtherReleaseManager.UserId, (await Db.DeploymentService().GetAsync(id))!.Deployment.RequestedById);
    }

    [Fact]
    public async Task Without_requestedBy_the_tokens_creator_is_the_requester_and_must_be_an_enabled_console_user_too()
    {
        var creator = new SessionContext(Guid.NewGuid(), $"creator-{Guid.NewGuid():N}@test.local", ["Admin"], [], [], "t");
        var (_, ci) = await Db.CreateTokenAsync(_source, creator, "creator-ci");
        var created = await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("production", NewId()), null, Hash);
        Assert.Equal(201, created.Status);
        Assert.Equal(creator.Email, JsonNode.Parse(created.Body)!["requestedBy"]!.GetValue<string>());

        await Db.EnsureUserAsync(creator, disabled: true);
        var refused = await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("production", NewId()), null, Hash);
        Assert.Equal(422, refused.Status);
        Assert.Contains($"this token's creator ({creator.Email}) is not one", JsonNode.Parse(refused.Body)!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deployment_records_the_token_that_reported_it_and_who_holds_that_token()
    {
        var (_, ci) = await Db.CreateTokenAsync(_source, name: "recorded-ci");
        var created = JsonNode.Parse((await Api.CreateAsync(ci, DeploymentFixtures.NewDeployment("staging", NewId()), null, Hash)).Body)!;

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal($"{ci.TokenId}|{ci.CreatedBy}|{ci.CreatedByEmail}", await owner.ScalarAsync<string>(
            $"SELECT concat_ws('|', created_by_token, token_holder, token_holder_email) FROM deployments WHERE id = {created["id"]}"));
    }

    [Fact]
    public async Task The_ingestion_pool_cannot_change_what_a_token_may_report_only_an_admin_can()
    {
        var (_, ci) = await Db.CreateTokenAsync(_source, name: "guarded-ci", scope: WebApiStaging);

        await using var command = _source.CreateCommand($"UPDATE api_tokens SET services = '{{*}}', environments = '{{*}}' WHERE id = '{ci.TokenId}'");
        var e = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        Assert.Contains(await Db.TokenService().ListAsync(), t => t.Id == ci.TokenId && t.Scope.ToString() == "services [web, api] in environments [staging]");
    }

    [Theory]
    [InlineData("", "staging", "services", "Name the services")]
    [InlineData("web, *", "staging", "services", "* already means every service")]
    [InlineData("web, bad/name", "staging", "services", "'bad/name' must start with a letter or digit")]
    [InlineData("web", "", "environments", "Name the environments")]
    [InlineData("web", "moon", "environments", "There is no environment 'moon'")]
    [InlineData("web", "*,staging", "environments", "* already means every environment")]
    public async Task A_token_scope_that_makes_no_sense_is_refused_naming_the_field(string services, string environments, string field, string message)
    {
        var scope = new TokenScope(TokenScope.ParseList(services), TokenScope.ParseList(environments));
        var e = await Assert.ThrowsAsync<DeploymentException>(() => Db.TokenService().CreateAsync("bad-scope", scope));
        Assert.Equal(field, e.Field);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public async Task Creating_a_token_and_changing_its_scope_are_audited_with_the_scope()
    {
        var created = await Db.TokenService().CreateAsync("audited-ci", new TokenScope(["web"], ["staging"]));
        await Db.TokenService().ChangeScopeAsync(created.Token.Id, new TokenScope(["web", "api"], [TokenScope.All]));

        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal("[\"web\"]|[\"staging\"]", await owner.ScalarAsync<string>($"""
            SELECT concat_ws('|', new_data -> 'services', new_data -> 'environments') FROM audit_events
            WHERE action = '{DeploymentAuditActions.TokenCreated}' AND record_id = '{created.Token.Id}'
            """));
        Assert.Equal("[\"web\"]|[\"web\", \"api\"]|[\"*\"]", await owner.ScalarAsync<string>($"""
            SELECT concat_ws('|', old_data -> 'services', new_data -> 'services', new_data -> 'environments') FROM audit_events
            WHERE action = '{DeploymentAuditActions.TokenScopeChanged}' AND record_id = '{created.Token.Id}'
            """));
    }
}

/// <summary>What migration TokenScopes does to tokens and deployments that exist when it runs.</summary>
public sealed class TokenScopeMigrationTests
{
    [Fact]
    public async Task Existing_tokens_keep_reporting_everything_flagged_as_not_narrowed_and_new_tokens_must_state_a_scope()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await using (var context = new AdminDbContext(new DbContextOptionsBuilder<AdminDbContext>().UseNpgsql(db.OwnerConnectionString).Options))
            await context.Database.MigrateAsync("20261129000105_ConflictCheckSpeed");
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync("""
            INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email)
            VALUES ('old-ci', '\x0a'::bytea, 'adm_old', gen_random_uuid(), 'old@test.local')
            """);

        await db.CreateMigrator().MigrateAsync();

        Assert.Equal("{*}|{*}|t", await owner.ScalarAsync<string>(
            "SELECT concat_ws('|', services, environments, scope_by_migration) FROM api_tokens WHERE name = 'old-ci'"));
        var e = await Assert.ThrowsAsync<PostgresException>(() => owner.ExecuteAsync("""
            INSERT INTO api_tokens (name, token_hash, token_prefix, created_by, created_by_email)
            VALUES ('new-ci', '\x0b'::bytea, 'adm_new', gen_random_uuid(), 'new@test.local')
            """));
        Assert.Equal(PostgresErrorCodes.NotNullViolation, e.SqlState);
    }
}
