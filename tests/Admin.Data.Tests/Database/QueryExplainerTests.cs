using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// EXPLAIN through the explain role: plans, generic plans for $n statements, the advice given before anything reaches
/// the server, and errors explained without quoting rows. What the guard holds against is in ExplainGuardTests.
/// </summary>
public sealed class QueryExplainerTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private MonitoringTargets _targets = null!;
    private MonitoringTarget Monitoring => _targets.Default;

    public async Task InitializeAsync()
    {
        _targets = new MonitoringTargets(fixture.Database.AppConnectionString, new Dictionary<string, string>(),
            fixture.Database.ExplainConnectionString);
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync("""
            CREATE TABLE IF NOT EXISTS explain_probe (id int);
            CREATE OR REPLACE FUNCTION explain_probe_write() RETURNS int LANGUAGE sql AS 'INSERT INTO explain_probe VALUES (1) RETURNING 1';
            GRANT SELECT ON explain_probe TO admin_explain;
            INSERT INTO explain_probe VALUES (1);
            """);
    }

    public async Task DisposeAsync() => await _targets.DisposeAsync();

    private async Task<long> ProbeRowsAsync()
    {
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<long>("SELECT count(*) FROM explain_probe");
    }

    [Fact]
    public async Task Explain_returns_the_plan_with_its_estimated_cost_and_does_not_execute()
    {
        var plan = await QueryExplainer.ExplainAsync(Monitoring, "SELECT * FROM locales WHERE code = 'en-GB';", analyze: false);

        Assert.False(plan.Analyzed);
        Assert.False(plan.Generic);
        Assert.Contains(plan.Lines, l => l.Contains("locales"));
        Assert.NotNull(plan.TotalCost);
        Assert.Null(plan.ExecutionMs);
    }

    [Fact]
    public async Task A_normalised_statement_with_placeholders_gets_the_generic_plan_and_can_be_explained_again()
    {
        for (var i = 0; i < 2; i++) // the prepared statement is dropped after each use
        {
            var plan = await QueryExplainer.ExplainAsync(Monitoring, "SELECT * FROM locales WHERE code = $1 AND name <> $2", analyze: false);
            Assert.True(plan.Generic);
            Assert.Contains(plan.Lines, l => l.Contains("$1"));
        }
    }

    [Fact]
    public async Task Explain_analyze_runs_a_read_only_statement_and_reports_timings()
    {
        var plan = await QueryExplainer.ExplainAsync(Monitoring, "SELECT count(*) FROM locales", analyze: true);

        Assert.True(plan.Analyzed);
        Assert.NotNull(plan.ExecutionMs);
        Assert.NotNull(plan.PlanningMs);
        Assert.Contains(plan.Lines, l => l.Contains("actual time="));
    }

    [Theory]
    [InlineData("DELETE FROM explain_probe", "read-only statements only")]
    [InlineData("INSERT INTO explain_probe VALUES (2)", "read-only statements only")]
    [InlineData("UPDATE explain_probe SET id = id + 1", "read-only statements only")]
    [InlineData("MERGE INTO explain_probe t USING (VALUES (1)) v (id) ON t.id = v.id WHEN MATCHED THEN DELETE", "read-only statements only")]
    [InlineData("WITH gone AS (DELETE FROM explain_probe RETURNING *) SELECT count(*) FROM gone", "read-only statements only")]
    [InlineData("with moved as (update explain_probe set id = id + 1 returning *) select * from moved", "read-only statements only")]
    [InlineData("WITH /* just a read */ added AS (INSERT INTO explain_probe VALUES (3) RETURNING *) SELECT * FROM added", "read-only statements only")]
    [InlineData("SELECT * INTO explain_probe_copy FROM explain_probe", "creates a table")]
    [InlineData("CREATE TABLE explain_probe_copy AS SELECT * FROM explain_probe", "not CREATE")]
    [InlineData("TRUNCATE explain_probe", "not TRUNCATE")]
    [InlineData("ALTER TABLE explain_probe ADD COLUMN extra int", "not ALTER")]
    [InlineData("SELECT * FROM locales WHERE code = $1", "needs real values")]
    [InlineData("SELECT 1; DROP TABLE explain_probe", "Only one statement")]
    [InlineData("DROP TABLE explain_probe", "not DROP")]
    [InlineData("   ", "Paste or pick")]
    public async Task Statements_that_analyze_must_not_run_are_refused_before_reaching_the_server(string sql, string reason)
    {
        var before = await ProbeRowsAsync();
        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(Monitoring, sql, analyze: true));
        Assert.Contains(reason, e.Message);
        Assert.Equal(before, await ProbeRowsAsync()); // the table is still there, with its rows
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.True(await owner.ScalarAsync<bool>("SELECT to_regclass('explain_probe_copy') IS NULL"), "no table was created");
    }

    [Fact]
    public async Task Plain_explain_of_a_data_modifying_statement_is_refused_by_the_roles_privileges_and_changes_nothing()
    {
        var before = await ProbeRowsAsync();

        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(Monitoring, "DELETE FROM explain_probe", analyze: false));

        Assert.Contains("writes nothing", e.Message);
        Assert.Contains("permission denied for table explain_probe", e.Message);
        Assert.Contains("SQLSTATE 42501", e.Message);
        Assert.Equal(before, await ProbeRowsAsync());
    }

    [Fact]
    public async Task The_read_only_transaction_holds_on_its_own_when_the_role_was_granted_a_write()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("GRANT INSERT, DELETE ON explain_probe TO admin_explain");
        try
        {
            var before = await ProbeRowsAsync();
            var e = await Assert.ThrowsAsync<ExplainRefusedException>(() =>
                QueryExplainer.RunAsync(Monitoring.ExplainSource!, "WITH gone AS (DELETE FROM explain_probe RETURNING *) SELECT count(*) FROM gone", analyze: true, parameters: 0));
            Assert.Contains("read-only", e.Message);
            Assert.Equal(before, await ProbeRowsAsync());
        }
        finally
        {
            await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
            await owner.ExecuteAsync("REVOKE INSERT, DELETE ON explain_probe FROM admin_explain");
        }
    }

    [Fact]
    public async Task A_value_from_a_row_never_appears_in_the_error_only_the_sqlstate_and_an_explanation()
    {
        await using (var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""SELECT audit_write('database.row_value_probe', p_new_data => '{"secret": "ROW-VALUE-4417"}')""");

        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(Monitoring,
            "SELECT (new_data->>'secret')::int FROM audit_events WHERE action = 'database.row_value_probe'", analyze: true));

        Assert.DoesNotContain("ROW-VALUE-4417", e.Message);
        Assert.Contains("SQLSTATE 22P02", e.Message);
        Assert.Contains("not shown", e.Message);
    }

    [Fact]
    public async Task A_target_without_an_explain_connection_is_refused_with_the_setting_to_add()
    {
        await using var targets = new MonitoringTargets(fixture.Database.AppConnectionString,
            new Dictionary<string, string> { ["reporting"] = fixture.Database.AppConnectionString });

        var console = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(targets.Default, "SELECT 1", analyze: false));
        var reporting = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(targets.Get("reporting"), "SELECT 1", analyze: false));

        Assert.Contains("ConnectionStrings:AdminExplain", console.Message);
        Assert.Contains("Monitoring:Explain:reporting", reporting.Message);
    }

    [Fact]
    public async Task A_select_that_writes_through_a_function_is_stopped_by_the_read_only_transaction()
    {
        var before = await ProbeRowsAsync();

        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(Monitoring, "SELECT explain_probe_write()", analyze: true));

        Assert.Contains("would change data", e.Message);
        Assert.Equal(before, await ProbeRowsAsync());
    }

    [Fact]
    public async Task Semicolons_and_placeholders_inside_literals_and_comments_are_not_statements()
    {
        var plan = await QueryExplainer.ExplainAsync(Monitoring, "SELECT ';' AS semi, '$1' AS dollar /* ; */ -- ;\n", analyze: true);
        Assert.True(plan.Analyzed);
    }

    [Fact]
    public async Task A_syntax_error_comes_back_as_a_message_with_its_position()
    {
        var e = await Assert.ThrowsAsync<ExplainRefusedException>(() => QueryExplainer.ExplainAsync(Monitoring, "SELECT * FORM locales", analyze: false));
        Assert.Contains("syntax error", e.Message);
        Assert.Contains("at character", e.Message);
    }
}
