using Admin.Data.Audit;
using Admin.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Admin.Data.Tests.Security;

/// <summary>
/// SECURITY DEFINER functions run with the owner's rights: none is executable by PUBLIC, each names its grantees. The
/// audit chain cannot be steered by settings a caller sets, and audit_write takes the actor from the session when
/// someone is signed in.
/// </summary>
public sealed class DefinerFunctionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestDatabase _db = null!;
    private NpgsqlDataSource _app = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _app = NpgsqlDataSource.Create(_db.AppConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task No_security_definer_function_is_executable_by_public_and_each_has_explicit_grants()
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(_db.Name);
        await using var command = new NpgsqlCommand("""
            SELECT p.oid::regprocedure::text, p.prorettype = 'trigger'::regtype, coalesce(p.proacl::text, '(default: PUBLIC may execute)')
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
            """, super);
        var problems = new List<string>();
        var count = 0;
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
            {
                count++;
                var (function, isTrigger, acl) = (reader.GetString(0), reader.GetBoolean(1), reader.GetString(2));
                output.WriteLine($"{function,-75} {acl}");
                if (!acl.StartsWith('{')) problems.Add($"{function}: no explicit grants, so PUBLIC may execute it");
                else if (acl.Contains("{=") || acl.Contains(",=")) problems.Add($"{function}: executable by PUBLIC ({acl})");
                else if (isTrigger && acl.Contains("admin_app=")) problems.Add($"{function}: a trigger function needs no grant ({acl})");
            }
        Assert.True(count >= 10, $"only {count} SECURITY DEFINER functions found");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Settings_a_caller_sets_do_not_steer_the_chain_forged_replayed_or_carried_over()
    {
        var before = await AuditChainVerifier.VerifyAsync(_app);
        await using var app = await _db.OpenAppAsAdminAsync();

        // The settings the chain used to trust, and a forged sealed one.
        await using (var tx = await app.BeginTransactionAsync())
        {
            await app.ExecuteAsync($"""
                SELECT set_config('audit.chain_seq', '999999', true), set_config('audit.chain_hash', repeat('ab', 32), true),
                       set_config('audit.chain', '999999:{new string('c', 64)}:1:{new string('d', 64)}', true)
                """);
            await app.ExecuteAsync("SELECT audit_write('chain.forged')");
            await tx.CommitAsync();
        }

        // A genuine setting replayed inside its own transaction, and one carried into the next transaction.
        string sealedEarlier;
        await using (var tx = await app.BeginTransactionAsync())
        {
            await app.ExecuteAsync("SELECT audit_write('chain.first')");
            sealedEarlier = await app.ScalarAsync<string>("SELECT current_setting('audit.chain')");
            await app.ExecuteAsync("SELECT audit_write('chain.second')");
            await app.ExecuteAsync($"SELECT set_config('audit.chain', '{sealedEarlier}', true)");
            await app.ExecuteAsync("SELECT audit_write('chain.replayed')");
            await tx.CommitAsync();
        }
        await using (var tx = await app.BeginTransactionAsync())
        {
            await app.ExecuteAsync($"SELECT set_config('audit.chain', '{sealedEarlier}', true)");
            await app.ExecuteAsync("SELECT audit_write('chain.carried')");
            await tx.CommitAsync();
        }

        var after = await AuditChainVerifier.VerifyAsync(_app);
        Assert.True(after.Intact, string.Join("; ", after.Problems.Select(p => p.Problem)));
        Assert.Equal(before.HeadSeq + 5, after.HeadSeq);
        Assert.Equal(after.HeadSeq, after.Verified);
    }

    [Fact]
    public async Task A_bulk_insert_still_reads_the_head_once_and_chains_every_row()
    {
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("INSERT INTO audit_events (action, new_data) SELECT 'chain.bulk', jsonb_build_object('g', g) FROM generate_series(1, 2000) g");

        var report = await AuditChainVerifier.VerifyAsync(_app);
        Assert.True(report.Intact, string.Join("; ", report.Problems.Select(p => p.Problem)));
        Assert.Equal(report.HeadSeq, report.Verified);
        Assert.True(report.HeadSeq >= 2000);
    }

    [Fact]
    public async Task A_signed_in_actor_comes_from_the_session_and_a_caller_names_one_only_when_nobody_is_signed_in()
    {
        var signedIn = Guid.NewGuid();
        var forged = Guid.NewGuid();
        await using var app = await _db.OpenAsync(TestPostgres.AppRole);
        await app.ExecuteAsync($"""
            SELECT set_config('app.user_id', '{signedIn}', false), set_config('app.user_email', 'person@test.local', false),
                   set_config('app.roles', 'Editor', false)
            """);
        await app.ExecuteAsync($"SELECT audit_write('actor.signed_in', p_actor_id => '{forged}', p_actor_email => 'forged@test.local', p_actor_roles => ARRAY['Admin'])");
        await app.ExecuteAsync("SELECT set_config('app.user_id', '', false), set_config('app.user_email', '', false), set_config('app.roles', '', false)");
        await app.ExecuteAsync($"SELECT audit_write('actor.sign_in_attempt', p_actor_id => '{forged}', p_actor_email => 'someone@test.local', p_actor_roles => ARRAY['Editor'])");

        await using var admin = await _db.OpenAppAsAdminAsync();
        Assert.Equal($"{signedIn}|person@test.local|{{Editor}}",
            await admin.ScalarAsync<string>("SELECT concat_ws('|', actor_id, actor_email, actor_roles) FROM audit_events WHERE action = 'actor.signed_in'"));
        Assert.Equal($"{forged}|someone@test.local|{{Editor}}",
            await admin.ScalarAsync<string>("SELECT concat_ws('|', actor_id, actor_email, actor_roles) FROM audit_events WHERE action = 'actor.sign_in_attempt'"));
    }
}
