using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// Captured plans on a server of their own with auto_explain preloaded and a jsonlog: a planted slow statement's plan
/// reaches its statement once through the sampler, a fast one's does not, and the app role reads the log only through
/// captured_plans_read.
/// </summary>
public sealed class PlanCaptureTests
{
    private const string Database = "console_plans";

    [Fact]
    public async Task A_slow_statements_plan_is_captured_once_and_listed_on_its_statement_and_a_fast_one_is_not()
    {
        await using var cluster = await TemporaryCluster.StartAsync("""
            shared_preload_libraries = 'pg_stat_statements,auto_explain'
            auto_explain.log_min_duration = '300ms'
            auto_explain.log_format = json
            logging_collector = on
            log_destination = 'stderr,jsonlog'
            compute_query_id = on
            """);
        await cluster.CreateMigratedDatabaseAsync(Database);
        await using (var super = new NpgsqlConnection(cluster.ConnectionString(Database, tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("CREATE EXTENSION pg_stat_statements");
        }
        await using var app = NpgsqlDataSource.Create(cluster.ConnectionString(Database, TestPostgres.AppRole, b => b.Pooling = false));
        var console = new MonitoringTarget(MonitoringTarget.ConsoleTargetName, "test", app);
        var capture = new PlanCapture(app);
        await capture.CaptureAsync(); // the cursor starts before the planted statements

        await using (var session = await app.OpenConnectionAsync())
        {
            await session.ExecuteAsync("SELECT pg_sleep(0.5) AS planted_slow");
            await session.ExecuteAsync("SELECT 1 AS planted_fast");
        }
        long slowId, fastId;
        await using (var session = await app.OpenConnectionAsync())
        {
            slowId = await session.ScalarAsync<long>("SELECT queryid FROM pg_stat_statements WHERE query LIKE '%planted_slow%'");
            fastId = await session.ScalarAsync<long>("SELECT queryid FROM pg_stat_statements WHERE query LIKE '%planted_fast%'");
        }

        // The sampler's run on the console target reads the log (the collector writes it a moment later).
        var sampler = new StatisticsSampler(app, "plans-test");
        CapturedPlansRead slow;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        do
        {
            var run = await sampler.SampleAsync(console, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(15));
            Assert.Null(run.Error);
            slow = await capture.ForStatementAsync(console, slowId);
        } while (slow.Plans.Count == 0 && DateTime.UtcNow < deadline && await Delay());

        var plan = Assert.Single(slow.Plans);
        Assert.Null(slow.Unavailable);
        Assert.Equal(slowId, plan.QueryId);
        Assert.Contains("planted_slow", plan.Statement);
        Assert.InRange(plan.DurationMs, 450, 10_000);
        Assert.StartsWith("Result  (cost=", plan.Lines[0]);

        // Read again, nothing new: kept once. The fast statement has none, and says why.
        Assert.Equal(0, await capture.CaptureAsync());
        Assert.Single((await capture.ForStatementAsync(console, slowId)).Plans);
        var fast = await capture.ForStatementAsync(console, fastId);
        Assert.Empty(fast.Plans);
        Assert.Contains("No plan captured for this statement", fast.Unavailable);
        Assert.Equal(PlanCapture.OtherTarget, (await capture.ForStatementAsync(console with { Name = "reporting" }, slowId)).Unavailable);

        // Least privilege: the app role reads no file itself, and a role without the grant may not call the function.
        await using var check = await app.OpenConnectionAsync();
        Assert.False(await check.ScalarAsync<bool>("SELECT pg_has_role('pg_read_server_files', 'MEMBER') OR has_function_privilege('pg_read_binary_file(text,bigint,bigint,boolean)', 'EXECUTE')"));
        await using (var super = new NpgsqlConnection(cluster.ConnectionString(Database, tweak: b => b.Pooling = false)))
        {
            await super.OpenAsync();
            await super.ExecuteAsync("CREATE ROLE plans_stranger LOGIN");
            Assert.False(await super.ScalarAsync<bool>("SELECT has_function_privilege('plans_stranger', 'captured_plans_read(text,bigint,integer)', 'EXECUTE')"));
            Assert.True(await super.ScalarAsync<bool>("SELECT has_function_privilege('admin_app', 'captured_plans_read(text,bigint,integer)', 'EXECUTE')"));
        }
    }

    [Fact]
    public async Task A_server_without_auto_explain_says_so_on_the_statement()
    {
        await using var db = await TestDatabase.CreateAsync();
        await using var app = NpgsqlDataSource.Create(db.AppConnectionString);
        var read = await new PlanCapture(app).ForStatementAsync(new MonitoringTarget(MonitoringTarget.ConsoleTargetName, "test", app), 42);

        Assert.Empty(read.Plans);
        Assert.Contains("auto_explain is not loaded", read.Unavailable);
    }

    [Fact]
    public void A_json_plan_becomes_explain_lines()
    {
        var lines = CapturedPlanText.Lines("""
            {"Query Text": "select", "Plan": {"Node Type": "Hash Join", "Join Type": "Left", "Startup Cost": 1.5, "Total Cost": 20.25, "Plan Rows": 10, "Plan Width": 8,
              "Hash Cond": "(a.id = b.a_id)", "Plans": [
                {"Node Type": "Seq Scan", "Relation Name": "a", "Alias": "a", "Startup Cost": 0, "Total Cost": 10, "Plan Rows": 100, "Plan Width": 4, "Filter": "(x > 1)"},
                {"Node Type": "Index Scan", "Index Name": "b_pkey", "Relation Name": "b", "Alias": "bb", "Startup Cost": 0.29, "Total Cost": 8.3, "Plan Rows": 1, "Plan Width": 4}]}}
            """);

        Assert.Equal([
            "Hash Left Join  (cost=1.50..20.25 rows=10 width=8)",
            "  Hash Cond: (a.id = b.a_id)",
            "  ->  Seq Scan on a  (cost=0.00..10.00 rows=100 width=4)",
            "        Filter: (x > 1)",
            "  ->  Index Scan using b_pkey on b bb  (cost=0.29..8.30 rows=1 width=4)",
        ], lines);
    }

    private static async Task<bool> Delay()
    {
        await Task.Delay(300);
        return true;
    }
}
