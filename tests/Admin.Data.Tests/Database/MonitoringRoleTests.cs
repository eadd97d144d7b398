using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// What docs/database.md promises about the monitoring role: with nothing but pg_monitor (and CONNECT) every panel reads
/// its figures, also of objects in a schema the role may not use; what needs more (reset, EXPLAIN of a table it may not
/// read, cancel/terminate, sequence values) says which grant is missing instead of failing.
/// </summary>
public sealed class MonitoringRoleTests : IAsyncLifetime
{
    private readonly string _role = $"admin_t_mon_{Environment.ProcessId}_{Random.Shared.Next(100000)}";
    private TestDatabase _db = null!;
    private MonitoringTargets _targets = null!;
    private NpgsqlDataSource _console = null!;

    private MonitoringTarget Monitor => _targets.Get("monitor");

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await using (var super = await TestPostgres.OpenSuperuserAsync(_db.Name))
            await super.ExecuteAsync($"""
                CREATE ROLE {_role} LOGIN PASSWORD '{_role}';
                GRANT pg_monitor TO {_role};
                GRANT CONNECT ON DATABASE "{_db.Name}" TO {_role};
                """);
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("""
                CREATE SCHEMA secret;
                CREATE TABLE secret.ledger (id bigint PRIMARY KEY, amount int NOT NULL);
                INSERT INTO secret.ledger SELECT g, g % 100 FROM generate_series(1, 2000) g;
                CREATE INDEX ledger_amount_idx ON secret.ledger (amount);
                CREATE MATERIALIZED VIEW secret.totals AS SELECT amount, count(*) AS n FROM secret.ledger GROUP BY amount;
                CREATE SEQUENCE secret.ticket MAXVALUE 100;
                SELECT setval('secret.ticket', 90);
                ANALYZE secret.ledger;
                SELECT sum(amount) FROM secret.ledger WHERE amount = 7;
                """);
        _targets = new MonitoringTargets(_db.AppConnectionString,
            new Dictionary<string, string> { ["monitor"] = TestPostgres.ConnectionString(_db.Name, _role) });
        _console = NpgsqlDataSource.Create(_db.AppConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _targets.DisposeAsync();
        await _console.DisposeAsync();
        await _db.DisposeAsync(); // the database first: its ACL refers to the role
        await using var super = await TestPostgres.OpenSuperuserAsync();
        await super.ExecuteAsync($"DROP ROLE IF EXISTS {_role}");
    }

    [Fact]
    public async Task Every_panel_reads_its_figures_with_pg_monitor_alone_including_objects_it_may_not_use()
    {
        var health = await new HealthChecks().RunAsync(Monitor.DataSource);
        Assert.Contains("secret.totals: no unique index", health["matviews"].Items);
        Assert.Equal(CheckStatus.Warn, health["matviews"].Status);
        // pg_monitor does not cover sequence values: the check says so rather than passing them silently.
        Assert.Contains("not checked", health["sequences"].Figure);
        Assert.Contains("GRANT SELECT ON ALL SEQUENCES", health["sequences"].Fix);

        var indexes = await new IndexStats().LoadAsync(Monitor.DataSource);
        Assert.Contains(indexes.Indexes, i => i.Schema == "secret" && i.Name == "ledger_amount_idx" && i.Definition.Contains("(amount)"));
        var tables = await TableStats.LoadAsync(Monitor.DataSource);
        Assert.Contains(tables, t => t.QualifiedName == "secret.ledger" && t.LiveTuples == 2000 && t.TotalBytes > 0);
        Assert.True((await new PreDeployChecks(_targets).RunAsync("monitor")).Passed);
        Assert.NotEmpty((await ActivityStats.LoadAsync(Monitor.DataSource)).Sessions);
        // pg_stats hides the columns a role may not SELECT: no bloat guessed for secret.ledger, it is counted instead.
        var vacuum = await VacuumStats.LoadAsync(Monitor.DataSource);
        Assert.DoesNotContain(vacuum.TableBloat, b => b.Schema == "secret");
        Assert.True(vacuum.TablesWithoutStatistics >= 1);
        Assert.Contains(vacuum.Databases, d => d.Database == _db.Name);
        Assert.Empty(await ActivityStats.LongRunningAsync(Monitor.DataSource, TimeSpan.FromMinutes(5)));

        // pg_read_all_stats (part of pg_monitor) shows other roles' statements with their text.
        var statements = await SlowQueries.LoadAsync(Monitor.DataSource, search: "secret.ledger WHERE amount");
        var owners = Assert.Single(statements.Statements);
        Assert.Equal(TestPostgres.OwnerRole, owners.Roles);

        var sample = await new StatisticsSampler(_console, "monitor-test").SampleAsync(Monitor, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(15));
        Assert.Null(sample.Error);
        Assert.True(sample.Statements > 0);
        Assert.True(sample.Tables > 0);
    }

    [Fact]
    public async Task The_actions_that_need_more_than_pg_monitor_name_the_grant_that_is_missing()
    {
        var reset = await Assert.ThrowsAsync<StatementsUnavailableException>(() => SlowQueries.ResetAsync(Monitor.DataSource));
        Assert.Contains("GRANT EXECUTE ON FUNCTION pg_stat_statements_reset", reset.Message);

        // EXPLAIN needs a connection of its own on the target; given one with the same rights, it says what it may not read.
        var unconfigured = await Assert.ThrowsAsync<ExplainRefusedException>(() =>
            QueryExplainer.ExplainAsync(Monitor, "SELECT * FROM secret.ledger WHERE amount = 3", analyze: false));
        Assert.Contains("Monitoring:Explain:monitor", unconfigured.Message);
        await using var explainSource = NpgsqlDataSource.Create(MonitoringTargets.ExplainConnectionString(TestPostgres.ConnectionString(_db.Name, _role)));
        var explain = await Assert.ThrowsAsync<ExplainRefusedException>(() =>
            QueryExplainer.ExplainAsync(explainSource, "SELECT * FROM secret.ledger WHERE amount = 3", analyze: false));
        Assert.Contains("permission denied for schema secret", explain.Message);

        await using var session = await TestSession.OpenAsync(_db.Name, "monitor-role-sleeper");
        var sleeping = session.Start("SELECT pg_sleep(30)");
        var cancel = await ActivityStats.CancelAsync(Monitor.DataSource, session.Pid);
        Assert.Equal(SignalOutcome.NotPermitted, cancel.Outcome);
        Assert.Contains("pg_signal_backend", cancel.Message);
        Assert.False(sleeping.IsCompleted);
    }
}
