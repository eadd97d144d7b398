using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>Real sessions on the test server: a sleeping query, a lock holder and a waiter, seen through admin_app.</summary>
public sealed class ActivityStatsTests(DatabaseFixture fixture) : SessionsTestBase(fixture)
{
    private async Task<ActivitySnapshot> WaitForAsync(Func<ActivitySnapshot, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var snapshot = await ActivityStats.LoadAsync(Monitoring);
            if (condition(snapshot) || DateTime.UtcNow > deadline) return snapshot;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_sleeping_query_is_running_with_its_duration_and_cancel_ends_the_query_not_the_session()
    {
        var sleeper = await SessionAsync("activity-test-sleep");
        var pid = sleeper.Pid;
        var sleeping = sleeper.Start("SELECT pg_sleep(30)");

        var snapshot = await WaitForAsync(s => s.Running.Any(r => r.Pid == pid && r.Duration > TimeSpan.FromMilliseconds(500)));

        var row = Assert.Single(snapshot.Running, r => r.Pid == pid);
        Assert.Equal("active", row.State);
        Assert.Equal("SELECT pg_sleep(30)", row.Query);
        Assert.Equal("activity-test-sleep", row.Application);
        Assert.Equal(TestPostgres.OwnerRole, row.User);
        Assert.Equal("client backend", row.BackendType);
        Assert.InRange(row.Duration!.Value, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(snapshot.Running, r => r.Pid == snapshot.OwnPid);
        Assert.True(snapshot.MaxConnections > 0);
        Assert.True(snapshot.Total >= 2 && snapshot.Active >= 1);
        Assert.Contains(snapshot.ByApplication, c => c.Key == "activity-test-sleep" && c.Count == 1);
        Assert.Contains(snapshot.ByUser, c => c.Key == TestPostgres.OwnerRole);

        var result = await ActivityStats.CancelAsync(Monitoring, pid);

        Assert.True(result.Succeeded, result.Message);
        var error = await sleeping.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(PostgresErrorCodes.QueryCanceled, Assert.IsType<PostgresException>(error).SqlState);
        await using var still = new NpgsqlCommand("SELECT 1", sleeper.Connection);
        Assert.Equal(1, await still.ExecuteScalarAsync()); // the session is still there
    }

    [Fact]
    public async Task A_lock_holder_is_the_root_of_the_session_waiting_for_it_and_terminate_breaks_the_waiter()
    {
        var holder = await SessionAsync("activity-test-holder");
        var holderPid = holder.Pid;
        var waiter = await SessionAsync("activity-test-waiter");
        var waiterPid = waiter.Pid;
        await holder.ExecuteAsync("CREATE TABLE IF NOT EXISTS activity_lock_t (id int)");
        await holder.ExecuteAsync("BEGIN; LOCK TABLE activity_lock_t IN ACCESS EXCLUSIVE MODE");
        var waiting = waiter.Start("SELECT * FROM activity_lock_t");

        var snapshot = await WaitForAsync(s => s.BlockingTree.Any(n => n.Session.Pid == holderPid && n.Children.Count > 0));

        var root = Assert.Single(snapshot.BlockingTree, n => n.Session.Pid == holderPid);
        Assert.Equal("idle in transaction", root.Session.State);
        Assert.Empty(root.Session.BlockedBy);
        var child = Assert.Single(root.Children);
        Assert.Equal(waiterPid, child.Session.Pid);
        Assert.Equal([holderPid], child.Session.BlockedBy);
        Assert.Equal("AccessShareLock", child.Session.WaitingLockMode);
        Assert.Equal("public.activity_lock_t", child.Session.WaitingLockOn);
        Assert.DoesNotContain(snapshot.BlockingTree, n => n.Session.Pid == waiterPid); // the waiter is no root
        Assert.True(snapshot.Waiting >= 1 && snapshot.IdleInTransaction >= 1);

        var result = await ActivityStats.TerminateAsync(Monitoring, waiterPid);

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal(waiterPid, result.Target?.Pid);
        Assert.NotNull(await waiting.WaitAsync(TimeSpan.FromSeconds(5))); // its connection broke
        var after = await ActivityStats.LoadAsync(Monitoring);
        Assert.DoesNotContain(after.Sessions, s => s.Pid == waiterPid);
        Assert.DoesNotContain(after.BlockingTree, n => n.Session.Pid == holderPid);
        await holder.ExecuteAsync("ROLLBACK");
    }

    [Fact]
    public async Task A_sleeping_session_terminated_is_gone_and_its_connection_breaks()
    {
        var sleeper = await SessionAsync("activity-test-terminate");
        var pid = sleeper.Pid;
        var sleeping = sleeper.Start("SELECT pg_sleep(30)");
        await WaitForAsync(s => s.Running.Any(r => r.Pid == pid));

        var result = await ActivityStats.TerminateAsync(Monitoring, pid);

        Assert.True(result.Succeeded, result.Message);
        Assert.NotNull(await sleeping.WaitAsync(TimeSpan.FromSeconds(5)));
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var again = new NpgsqlCommand("SELECT 1", sleeper.Connection);
            await again.ExecuteScalarAsync();
        });
        Assert.Equal(SignalOutcome.NotFound, (await ActivityStats.CancelAsync(Monitoring, pid)).Outcome);
    }

    [Fact]
    public async Task The_monitoring_connection_itself_is_refused()
    {
        var snapshot = await ActivityStats.LoadAsync(Monitoring);

        var cancel = await ActivityStats.CancelAsync(Monitoring, snapshot.OwnPid);
        var terminate = await ActivityStats.TerminateAsync(Monitoring, snapshot.OwnPid);

        Assert.Equal(SignalOutcome.OwnConnection, cancel.Outcome);
        Assert.Equal(SignalOutcome.OwnConnection, terminate.Outcome);
        Assert.NotEqual(0, await ScalarAsync("SELECT 1")); // the pool still works
    }

    [Fact]
    public async Task A_superusers_session_is_refused_in_plain_words()
    {
        await using var super = await TestPostgres.OpenSuperuserAsync(Fixture.Database.Name);
        await using var pidCommand = new NpgsqlCommand("SELECT pg_backend_pid()", super);
        var pid = (int)(await pidCommand.ExecuteScalarAsync())!;

        var result = await ActivityStats.TerminateAsync(Monitoring, pid);

        Assert.Equal(SignalOutcome.NotPermitted, result.Outcome);
        Assert.Contains("superuser", result.Message);
        await using var still = new NpgsqlCommand("SELECT 1", super);
        Assert.Equal(1, await still.ExecuteScalarAsync());
    }

    private async Task<int> ScalarAsync(string sql)
    {
        await using var command = Monitoring.CreateCommand(sql);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
