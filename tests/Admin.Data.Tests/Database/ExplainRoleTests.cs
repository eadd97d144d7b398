using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// The explain role's privileges, read from the catalog: it reads what a DBA reads (every relation of the schema is
/// decided one way or the other here, so a new table forces the decision), writes nothing, signals nothing, creates
/// nothing, and no setting a statement may change widens what it reads.
/// </summary>
public sealed class ExplainRoleTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    /// <summary>
    /// What a DBA reads in the console (docs/security.md's matrix), and so what EXPLAIN may read. pg_stat_statements is
    /// PUBLIC (the extension's grant); without pg_read_all_stats the role sees the text of its own statements only.
    /// </summary>
    private static readonly string[] DbaReads =
    [
        "alert_deliveries", "alert_delivery_attempts", "alert_rules", "alert_silences", "alerts", "audit_archives", "audit_chain_head", "audit_events", "brands", "categories", "content_review_locales", "entity_version_bases", "entity_versions",
        "homepage_sections", "jurisdictions", "locales", "monitoring_captured_plans", "monitoring_deploy_events", "monitoring_deploy_regressions", "monitoring_index_samples", "monitoring_rollup_marks", "monitoring_sampler_runs", "monitoring_statement_days",
        "monitoring_statement_deltas", "monitoring_statement_hours", "monitoring_statement_quarters", "monitoring_statement_tens", "monitoring_statements", "monitoring_table_samples", "pg_stat_statements", "pg_stat_statements_info", "products", "release_sections", "releases", "rls_denials", "section_categories",
        "section_products", "section_schedules", "section_version_notes", "section_versions", "v_active_translations", "v_entities", "v_entity_heads",
    ];

    /// <summary>
    /// What a DBA does not read: deployments and their tokens, identity (password hashes, stamps, tokens), internals, and
    /// editors' unsaved working copies (private to each editor); nor, through EXPLAIN, alert webhooks (their addresses are
    /// credentials, which the app shows DBAs shortened) and each user's alert read marks.
    /// </summary>
    private static readonly string[] DbaDoesNotRead =
    [
        "__EFMigrationsHistory", "alert_reads", "alert_webhooks", "api_idempotency_keys", "audit_chain_key", "data_protection_keys", "api_tokens", "deploy_commit_leads", "deploy_environments", "deploy_incident_causes", "deploy_incidents", "deploy_lead_histogram", "deploy_windows", "deployment_checks", "deployment_commits", "deployment_exports", "deployment_rule_overrides",
        "deployment_status_history", "deployments", "monitoring_plan_log_cursors", "role_claims", "roles", "section_working_copies",
        "user_claims", "user_logins", "user_roles", "user_tokens", "users",
    ];

    private async Task<List<string>> ListAsync(string sql)
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(fixture.Database.Name);
        var names = new List<string>();
        await using var command = new NpgsqlCommand(sql, super);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) names.Add(reader.GetString(0));
        return names;
    }

    private const string SchemaRelations = """
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
        """;

    [Fact]
    public async Task Every_relation_is_decided_and_the_role_reads_exactly_what_a_dba_reads()
    {
        var relations = await ListAsync(SchemaRelations + " ORDER BY 1");
        var undecided = relations.Except(DbaReads).Except(DbaDoesNotRead).ToList();
        Assert.True(undecided.Count == 0, $"Decide whether DBAs (and so EXPLAIN) read: {string.Join(", ", undecided)} (ExplainRole migration and this test)");

        var readable = await ListAsync($"""
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
              AND has_table_privilege('{TestPostgres.ExplainRole}', c.oid, 'SELECT') ORDER BY 1
            """);
        Assert.Equal(DbaReads.Order(StringComparer.Ordinal), readable.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task It_may_write_create_signal_lock_or_reset_nothing()
    {
        Assert.Empty(await ListAsync($"""
            SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND (c.relkind IN ('r', 'p', 'v', 'm', 'f') AND has_table_privilege('{TestPostgres.ExplainRole}', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
                   OR c.relkind = 'S' AND has_sequence_privilege('{TestPostgres.ExplainRole}', c.oid, 'USAGE, UPDATE'))
            """));
        Assert.Empty(await ListAsync($"""
            SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE (p.proname IN ('pg_terminate_backend', 'pg_cancel_backend', 'pg_stat_statements_reset', 'pg_stat_reset',
                                 'pg_stat_reset_shared', 'pg_read_file', 'lo_import', 'pg_reload_conf', 'pg_logical_emit_message')
                   OR p.proname ~ '^pg_(try_)?advisory_')
              AND has_function_privilege('{TestPostgres.ExplainRole}', p.oid, 'EXECUTE')
            """));
        Assert.Equal(["f|f|f|f"], await ListAsync($"""
            SELECT concat_ws('|', has_database_privilege('{TestPostgres.ExplainRole}', current_database(), 'CREATE'),
                                  has_database_privilege('{TestPostgres.ExplainRole}', current_database(), 'TEMPORARY'),
                                  has_schema_privilege('{TestPostgres.ExplainRole}', 'public', 'CREATE'),
                                  pg_has_role('{TestPostgres.ExplainRole}', 'pg_signal_backend', 'USAGE'))
            """));
        Assert.Equal(["f|f|f|f|0"], await ListAsync($"""
            SELECT concat_ws('|', rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,
                             (SELECT count(*) FROM pg_auth_members WHERE member = r.oid))
            FROM pg_roles r WHERE rolname = '{TestPostgres.ExplainRole}'
            """));
    }

    [Fact]
    public async Task Its_sessions_start_read_only_with_timeouts()
    {
        await using var explain = await fixture.Database.OpenAsync(TestPostgres.ExplainRole);
        Assert.Equal("on", await explain.ScalarAsync<string>("SHOW default_transaction_read_only"));
        Assert.Equal("30s", await explain.ScalarAsync<string>("SHOW statement_timeout"));
        Assert.Equal("2s", await explain.ScalarAsync<string>("SHOW lock_timeout"));
    }

    [Fact]
    public async Task Setting_the_app_context_does_not_widen_what_it_reads()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                SELECT audit_write('user.password_reset', p_new_data => '{"probe": "hidden"}');
                SELECT audit_write('database.statistics_reset', p_new_data => '{"probe": "visible"}');
                """);
        await using var explain = await fixture.Database.OpenAsync(TestPostgres.ExplainRole);
        await explain.ExecuteAsync("SELECT set_config('app.roles', 'Admin,System', false), set_config('app.user_id', gen_random_uuid()::text, false)");

        Assert.Equal(0L, await explain.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE action NOT LIKE 'database.%'"));
        Assert.True(await explain.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE action = 'database.statistics_reset'") > 0);
        var e = await Assert.ThrowsAsync<PostgresException>(() => explain.ScalarAsync<long>("SELECT count(*) FROM deployments"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
        e = await Assert.ThrowsAsync<PostgresException>(() => explain.ScalarAsync<long>("SELECT count(*) FROM users"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, e.SqlState);
    }
}
