using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;
using Xunit.Abstractions;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Escape and side-effect attempts against EXPLAIN, each run twice: through the guard alone
/// (<see cref="QueryExplainer.RunAsync"/>, no advice) and through the full path, plain and analyzed. After every
/// attempt: nothing changed in the database, no backend was signalled, no session of the explain role is left (with its
/// locks, settings, prepared statements or temporary tables), no notification went out, and no protected value is in
/// the answer. The statements cover PostgreSQL's quoting and comment rules (escape strings, dollar quotes, nested
/// comments, Unicode escapes, quoted identifiers) that a hand-written scanner gets wrong, and the functions that act
/// beyond the statement.
/// </summary>
public sealed class ExplainGuardTests(ExplainGuardTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<ExplainGuardTests.Fixture>
{
    private const string Write = "INSERT INTO explain_probe VALUES (666)";
    private const string HiddenAuditSecret = "SECRET-HIDDEN-AUDIT-5519";
    private const string DbaAuditSecret = "SECRET-DBA-AUDIT-7731";
    private const string PasswordSecret = "SECRET-PASSWORD-HASH-2291";
    private const string DeploymentSecret = "SECRET-DEPLOYER-3385";
    private static readonly string[] Secrets = [HiddenAuditSecret, DbaAuditSecret, PasswordSecret, DeploymentSecret];

    private NpgsqlDataSource Explain => fixture.Targets.Default.ExplainSource!;
    private TestDatabase Database => fixture.Database;

    /// <summary>
    /// The corpus. {app} and {explain} stand for the pids of a victim session of the app role and of the explain role.
    /// </summary>
    public static TheoryData<string> Attempts => new(
        // A second statement, hidden from a scanner by PostgreSQL's own lexical rules.
        $"SELECT 1; {Write}",
        $"SELECT 1;; {Write}",
        $"SELECT E'\\''; {Write}; --'",
        $"SELECT E'\\\\\\''; {Write}; --'",
        $"SELECT e'it\\'s'; {Write}; --'",
        $"SELECT $a$ $b$; $a$; {Write}",
        $"SELECT $$;$$; {Write}",
        $"SELECT $tag$x$tag$; {Write}",
        $"SELECT 1 /* outer /* inner */ still comment */; {Write}",
        $"SELECT 1 /* /* */ ; {Write}; */",
        $"SELECT U&'\\0041'; {Write}",
        $"SELECT U&'d\\0061t\\+000061' UESCAPE '!'; {Write}",
        $"SELECT 1 AS \"a;b\"; {Write}",
        $"SELECT 1 AS \"a\"\"; {Write}; --\"",
        $"SELECT 1 -- trailing comment\n; {Write}",
        $"SELECT B'101', X'1F', N'n'; {Write}",
        $"SELECT 'a'\n'b'; {Write}",
        $"SELECT 1 \\; {Write}",
        $"WITH x AS (SELECT ';') SELECT * FROM x; {Write}",
        $"SELECT 1\u037E {Write}",
        // Not explainable, or not a single explainable statement.
        "COPY explain_probe TO STDOUT",
        "COPY (SELECT 1) TO '/tmp/explain_guard_copy'",
        "CALL explain_probe_proc()",
        $"DO $$BEGIN {Write}; END$$",
        "SET app.roles = 'Admin'",
        "PREPARE sneaky AS SELECT 1",
        "EXECUTE admin_explain_statement",
        "DECLARE held CURSOR WITH HOLD FOR SELECT 1",
        "CREATE TEMP TABLE explain_guard_temp AS SELECT 1",
        // Settings, sessions and locks.
        "SELECT set_config('app.roles', 'Admin', false), set_config('app.user_id', gen_random_uuid()::text, false)",
        "SELECT set_config('default_transaction_read_only', 'off', false), set_config('transaction_read_only', 'off', true)",
        "SELECT set_config('statement_timeout', '0', false), set_config('lock_timeout', '0', false)",
        "SELECT pg_terminate_backend({app})",
        "SELECT pg_cancel_backend({app})",
        "SELECT pg_terminate_backend({explain})",
        "VALUES (pg_terminate_backend({explain}))",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()",
        "SELECT pg_advisory_lock(42)",
        "SELECT pg_try_advisory_lock(42), pg_advisory_lock_shared(43)",
        "SELECT pg_advisory_xact_lock(44)",
        // Statistics.
        "SELECT pg_stat_statements_reset()",
        "SELECT pg_stat_statements_reset(0, 0, 0)",
        "SELECT pg_stat_reset()",
        "SELECT pg_stat_reset_shared('bgwriter')",
        // Writes of every kind.
        "SELECT * INTO explain_probe_copy FROM explain_probe",
        "SELECT * INTO TEMP explain_probe_temp FROM explain_probe",
        "WITH gone AS (DELETE FROM explain_probe RETURNING *) SELECT count(*) FROM gone",
        $"WITH added AS ({Write} RETURNING *) SELECT * FROM added",
        "SELECT * FROM explain_probe FOR UPDATE",
        "SELECT nextval('explain_seq')",
        "SELECT setval('explain_seq', 1000)",
        "SELECT lo_import('/etc/hostname')",
        "SELECT lo_create(0)",
        "SELECT lo_from_bytea(0, 'x')",
        "SELECT explain_probe_write()",
        "SELECT audit_write('database.forged')",
        "SELECT pg_notify('admin_live', '{\"topic\":\"audit\"}')",
        "SELECT txid_current(), pg_logical_emit_message(true, 'explain', 'guard')",
        "SELECT dblink_exec('dbname=postgres', 'CREATE TABLE escaped (id int)')",
        "SELECT pg_read_file('/etc/hostname'), pg_ls_dir('.')",
        // Reading past a DBA's rights, or making an error quote a row.
        "SELECT password_hash::int FROM users",
        "SELECT (SELECT password_hash FROM users LIMIT 1)::int",
        "TABLE users",
        "SELECT token_hash FROM api_tokens",
        "SELECT requested_by_email::int FROM deployments",
        "SELECT set_config('app.roles', 'Admin', true), count(*) FROM deployments",
        "SELECT (new_data->>'secret')::int FROM audit_events",
        "SELECT (new_data->>'secret')::int FROM audit_events WHERE action = 'database.guard_probe'",
        "SELECT 1 / (SELECT count(*) - count(*) FROM audit_events)",
        "SELECT * FROM audit_events_default");

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task Nothing_escapes_explain(string attempt)
    {
        var statement = attempt.Replace("{app}", fixture.AppVictimPid.ToString()).Replace("{explain}", fixture.ExplainVictimPid.ToString());
        var before = await FingerprintAsync();

        var answers = new List<string>
        {
            await AnswerAsync(() => QueryExplainer.RunAsync(Explain, statement, analyze: true, parameters: 0)),
            await AnswerAsync(() => QueryExplainer.RunAsync(Explain, statement, analyze: false, parameters: 0)),
            await AnswerAsync(() => QueryExplainer.ExplainAsync(Explain, statement, analyze: true)),
            await AnswerAsync(() => QueryExplainer.ExplainAsync(Explain, statement, analyze: false)),
        };
        output.WriteLine(string.Join("\n---\n", answers.Select(a => a.Length > 300 ? a[..300] + "…" : a)));

        await NoExplainSessionLeftAsync();
        Assert.Equal(before, await FingerprintAsync());
        Assert.Equal(fixture.AppVictimPid, await fixture.AppVictim.ScalarAsync<int>("SELECT pg_backend_pid()"));
        Assert.Equal(fixture.ExplainVictimPid, await fixture.ExplainVictim.ScalarAsync<int>("SELECT pg_backend_pid()"));
        await fixture.Listener.WaitAsync(TimeSpan.FromMilliseconds(50));
        lock (fixture.Notifications) Assert.Empty(fixture.Notifications);
        foreach (var answer in answers)
            foreach (var secret in Secrets)
                Assert.DoesNotContain(secret, answer);
    }

    [Fact]
    public void The_corpus_covers_at_least_forty_attempts() => Assert.True(Attempts.Count >= 40, $"{Attempts.Count} attempts");

    [Fact]
    public async Task A_second_statement_is_refused_by_postgresql_itself_not_only_by_the_advice()
    {
        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() =>
            QueryExplainer.RunAsync(Explain, $"SELECT E'\\''; {Write}; --'", analyze: true, parameters: 0));
        Assert.Contains("cannot insert multiple commands into a prepared statement", e.Message);
        Assert.Contains("SQLSTATE 42601", e.Message);
    }

    [Fact]
    public async Task An_advisory_lock_taken_by_a_statement_is_gone_when_the_call_returns_even_where_the_function_is_public()
    {
        await using (var super = await TestPostgres.OpenSuperuserAsync(Database.Name))
            await super.ExecuteAsync("GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO admin_explain");
        try
        {
            var plan = await QueryExplainer.ExplainAsync(Explain, "SELECT pg_advisory_lock(4242)", analyze: true);
            Assert.True(plan.Analyzed); // it ran, and took the lock…
            await using var other = await Database.OpenAsync(TestPostgres.AppRole);
            Assert.True(await other.ScalarAsync<bool>("SELECT pg_try_advisory_lock(4242)")); // …which did not outlive the call
        }
        finally
        {
            await using var super = await TestPostgres.OpenSuperuserAsync(Database.Name);
            await super.ExecuteAsync("REVOKE EXECUTE ON FUNCTION pg_advisory_lock(bigint) FROM admin_explain");
        }
    }

    private static async Task<string> AnswerAsync(Func<Task<ExplainResult>> explain)
    {
        try
        {
            var plan = await explain();
            return string.Join("\n", plan.Lines);
        }
        catch (ExplainRefusedException e)
        {
            return e.Message;
        }
    }

    /// <summary>The explain role's sessions end with each call (no pool); wait for the backend to be gone.</summary>
    private async Task NoExplainSessionLeftAsync()
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(Database.Name);
        for (var i = 0; i < 100; i++)
        {
            var left = await super.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'admin-explain'");
            if (left == 0) return;
            await Task.Delay(20);
        }
        Assert.Fail("A session of the explain role outlived the call");
    }

    /// <summary>Everything an escaped statement could have changed, as the superuser sees it.</summary>
    private async Task<string> FingerprintAsync()
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(Database.Name);
        return await super.ScalarAsync<string>("""
            SELECT jsonb_build_object(
                'probe', (SELECT count(*) FROM explain_probe),
                'audit', (SELECT count(*) FROM audit_events),
                'head', (SELECT seq FROM audit_chain_head),
                'denials', (SELECT count(*) FROM rls_denials),
                'relations', (SELECT count(*) FROM pg_class),
                'sequence', (SELECT last_value FROM explain_seq),
                'largeObjects', (SELECT count(*) FROM pg_largeobject_metadata),
                'roles', (SELECT string_agg(rolname || rolsuper::text || rolbypassrls::text, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'admin\_%' AND rolname NOT LIKE 'admin\_t\_%'),
                'memberships', (SELECT count(*) FROM pg_auth_members WHERE member IN (SELECT oid FROM pg_roles WHERE rolname IN ('admin_app', 'admin_explain', 'admin_owner'))),
                'roleSettings', (SELECT string_agg(array_to_string(setconfig, ';'), '|' ORDER BY setrole, setdatabase) FROM pg_db_role_setting
                                 WHERE setrole IN (SELECT oid FROM pg_roles WHERE rolname IN ('admin_app', 'admin_explain', 'admin_owner'))),
                'users', (SELECT md5(string_agg(coalesce(password_hash, '') || coalesce(security_stamp, ''), ',' ORDER BY id)) FROM users),
                'deployments', (SELECT count(*) FROM deployments),
                'statsReset', (SELECT stats_reset FROM pg_stat_statements_info),
                'databaseStatsReset', (SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
                'advisoryLocks', (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database()),
                'preparedTransactions', (SELECT count(*) FROM pg_prepared_xacts WHERE database = current_database())
            )::text
            """);
    }

    /// <summary>One database with planted secrets, victim sessions of both roles and a listener, for the whole corpus.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public TestDatabase Database { get; private set; } = null!;
        public MonitoringTargets Targets { get; private set; } = null!;
        public NpgsqlConnection AppVictim { get; private set; } = null!;
        public NpgsqlConnection ExplainVictim { get; private set; } = null!;
        public NpgsqlConnection Listener { get; private set; } = null!;
        public int AppVictimPid { get; private set; }
        public int ExplainVictimPid { get; private set; }
        public List<string> Notifications { get; } = [];

        public async Task InitializeAsync()
        {
            Database = await TestDatabase.CreateAsync();
            Targets = new MonitoringTargets(Database.AppConnectionString, new Dictionary<string, string>(), Database.ExplainConnectionString);
            await using (var owner = await Database.OpenAsync(TestPostgres.OwnerRole))
                await owner.ExecuteAsync($"""
                    CREATE TABLE IF NOT EXISTS explain_probe (id int);
                    CREATE SEQUENCE IF NOT EXISTS explain_seq;
                    CREATE OR REPLACE FUNCTION explain_probe_write() RETURNS int LANGUAGE sql AS 'INSERT INTO explain_probe VALUES (1) RETURNING 1';
                    CREATE OR REPLACE PROCEDURE explain_probe_proc() LANGUAGE sql AS '{Write}';
                    GRANT SELECT ON explain_probe TO admin_explain;
                    INSERT INTO explain_probe VALUES (1);
                    SELECT audit_write('user.guard_probe', p_new_data => '{"{"}"secret": "{HiddenAuditSecret}"{"}"}');
                    SELECT audit_write('database.guard_probe', p_new_data => '{"{"}"secret": "{DbaAuditSecret}"{"}"}');
                    INSERT INTO users (id, display_name, is_disabled, created_at, email, normalized_email, email_confirmed, password_hash,
                                       security_stamp, phone_number_confirmed, two_factor_enabled, lockout_enabled, access_failed_count)
                    VALUES (gen_random_uuid(), 'Guard', false, now(), 'guard@test.local', 'GUARD@TEST.LOCAL', true, '{PasswordSecret}',
                            'stamp', false, false, true, 0);
                    INSERT INTO deployments (external_id, service, environment, version, commit_sha, requested_by_email, status)
                    VALUES ('guard-1', 'web', 'staging', '1.0.0', 'abcdef1', '{DeploymentSecret}', 'queued');
                    """);
            AppVictim = await Database.OpenAsync(TestPostgres.AppRole);
            AppVictimPid = await AppVictim.ScalarAsync<int>("SELECT pg_backend_pid()");
            ExplainVictim = await Database.OpenAsync(TestPostgres.ExplainRole);
            ExplainVictimPid = await ExplainVictim.ScalarAsync<int>("SELECT pg_backend_pid()");
            Listener = await TestPostgres.OpenSuperuserAsync(Database.Name);
            Listener.Notification += (_, e) => { lock (Notifications) Notifications.Add(e.Payload); };
            await Listener.ExecuteAsync("LISTEN admin_live");
        }

        public async Task DisposeAsync()
        {
            await AppVictim.DisposeAsync();
            await ExplainVictim.DisposeAsync();
            await Listener.DisposeAsync();
            await Targets.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
