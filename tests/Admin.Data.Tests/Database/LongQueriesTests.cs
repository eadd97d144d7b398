using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>"Kill all queries running longer than N" on real sessions: which are listed, and which are signalled at the end.</summary>
public sealed class LongQueriesTests(DatabaseFixture fixture) : SessionsTestBase(fixture)
{
    private static readonly TimeSpan LongerThan = TimeSpan.FromSeconds(2);

    private async Task<(TestSession Session, Task<Exception?> Sleeping)> SleeperAsync(string application)
    {
        var session = await SessionAsync(application);
        return (session, session.Start("SELECT pg_sleep(60)"));
    }

    [Fact]
    public async Task Only_the_listed_sessions_that_still_run_their_long_query_are_signalled()
    {
        var (long1, sleeping1) = await SleeperAsync("long-1");
        var (long2, sleeping2) = await SleeperAsync("long-2");
        // The console's own login role running a long statement under another application name: never listed.
        await using var console = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Fixture.Database.AppConnectionString)
        { Pooling = false, ApplicationName = "not-the-console", CommandTimeout = 120 }.ConnectionString);
        await console.OpenAsync();
        var consoleSleep = console.ExecuteAsync("SELECT pg_sleep(8)");
        var idle = await SessionAsync("long-idle-in-tx");
        await idle.ExecuteAsync("BEGIN; SELECT 1");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await ActivityStats.LongRunningAsync(Monitoring, LongerThan + TimeSpan.FromMilliseconds(500))).Count(s => s.Application is "long-1" or "long-2") < 2
               && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        var (shortOne, shortSleeping) = await SleeperAsync("short");

        var shown = await ActivityStats.LongRunningAsync(Monitoring, LongerThan);

        Assert.Equal(new[] { long1.Pid, long2.Pid }.Order(), shown.Select(s => s.Pid).Order()); // exactly the two long ones
        Assert.DoesNotContain(shown, s => s.Pid == shortOne.Pid);
        Assert.DoesNotContain(shown, s => s.Application is "not-the-console" or "long-idle-in-tx");
        Assert.DoesNotContain(shown, s => s.Application!.StartsWith(ActivityStats.ConsoleApplicationPrefix, StringComparison.Ordinal));
        Assert.All(shown, s => Assert.Equal("client backend", s.BackendType));
        Assert.All(shown, s => Assert.True(s.Duration >= LongerThan));

        // long-2 finishes its statement before the DBA confirms (its query is cancelled on its own here).
        Assert.True((await ActivityStats.CancelAsync(Monitoring, long2.Pid)).Succeeded);
        Assert.NotNull(await sleeping2.WaitAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(LongerThan); // the short one now runs longer than N, but was not listed

        var results = await ActivityStats.SignalLongRunningAsync(Monitoring, shown.Where(s => s.Pid == long1.Pid || s.Pid == long2.Pid).ToList(),
            LongerThan, terminate: false);

        Assert.Equal([SignalOutcome.Done, SignalOutcome.NotFound], results.Select(r => r.Outcome).ToList());
        Assert.Equal("1 cancelled, 1 already gone", BulkSignalResult.Summary(results, terminate: false));
        Assert.Equal(PostgresErrorCodes.QueryCanceled, Assert.IsType<PostgresException>(await sleeping1.WaitAsync(TimeSpan.FromSeconds(5))).SqlState);
        Assert.False(shortSleeping.IsCompleted);
        Assert.False(consoleSleep.IsCompleted);
        await using var still = new NpgsqlCommand("SELECT 1", long1.Connection);
        Assert.Equal(1, await still.ExecuteScalarAsync()); // cancel leaves the session connected
        await consoleSleep;
    }

    [Fact]
    public async Task Terminate_ends_the_listed_session()
    {
        var (sleeper, sleeping) = await SleeperAsync("long-terminate");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        IReadOnlyList<BackendSession> shown = [];
        while (!(shown = await ActivityStats.LongRunningAsync(Monitoring, LongerThan)).Any(s => s.Pid == sleeper.Pid) && DateTime.UtcNow < deadline)
            await Task.Delay(100);

        var results = await ActivityStats.SignalLongRunningAsync(Monitoring, shown.Where(s => s.Pid == sleeper.Pid).ToList(), LongerThan, terminate: true);

        Assert.Equal(SignalOutcome.Done, Assert.Single(results).Outcome);
        Assert.Equal("1 terminated, 0 already gone", BulkSignalResult.Summary(results, terminate: true));
        Assert.NotNull(await sleeping.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.DoesNotContain(await ActivityStats.LongRunningAsync(Monitoring, TimeSpan.FromSeconds(1)), s => s.Pid == sleeper.Pid);
    }
}
