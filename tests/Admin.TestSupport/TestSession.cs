using Npgsql;

namespace Admin.TestSupport;

/// <summary>
/// A database session of its own (unpooled, as the owner role: neither the monitoring role nor a superuser), tagged by
/// application name, for tests that need real sessions to watch, block, cancel or terminate.
/// </summary>
public sealed class TestSession : IAsyncDisposable
{
    private Task<Exception?>? _running;

    public NpgsqlConnection Connection { get; }
    public int Pid { get; private set; }

    private TestSession(NpgsqlConnection connection) => Connection = connection;

    public static async Task<TestSession> OpenAsync(string database, string application)
    {
        var session = new TestSession(new NpgsqlConnection(TestPostgres.ConnectionString(database, TestPostgres.OwnerRole, b =>
        {
            b.Pooling = false;
            b.ApplicationName = application;
            b.CommandTimeout = 120;
        })));
        await session.Connection.OpenAsync();
        session.Pid = await session.Connection.ScalarAsync<int>("SELECT pg_backend_pid()");
        return session;
    }

    /// <summary>Runs a statement and waits for it.</summary>
    public Task ExecuteAsync(string sql) => Connection.ExecuteAsync(sql);

    /// <summary>Starts a statement in the background (a sleep, a wait for a lock); the task ends with its error, if any.</summary>
    public Task<Exception?> Start(string sql) => _running = Task.Run(async () =>
    {
        try
        {
            await Connection.ExecuteAsync(sql);
            return (Exception?)null;
        }
        catch (Exception e) { return e; }
    });

    public async ValueTask DisposeAsync()
    {
        // A statement still running is ended first: closing a connection under a running command races with it.
        if (_running is { IsCompleted: false })
        {
            await using (var super = await TestPostgres.OpenSuperuserAsync())
                await super.ExecuteAsync($"SELECT pg_terminate_backend({Pid})");
            await _running.WaitAsync(TimeSpan.FromSeconds(10));
        }
        await Connection.DisposeAsync();
    }
}
