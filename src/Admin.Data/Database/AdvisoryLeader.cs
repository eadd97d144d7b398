using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// Leadership among app instances through a PostgreSQL session-level advisory lock held on a dedicated connection:
/// whoever holds the lock leads, and when that instance stops or its connection drops, PostgreSQL releases the lock
/// and the next instance to ask takes over. No clocks, leases or extra tables.
/// </summary>
public sealed class AdvisoryLeader(string connectionString, long key) : IAsyncDisposable
{
    private NpgsqlConnection? _connection;

    public bool IsLeader => _connection is not null;

    /// <summary>Confirms or takes the leadership; false when another instance holds it or the database is unreachable.</summary>
    public async Task<bool> TryLeadAsync(CancellationToken ct = default)
    {
        if (_connection is not null)
        {
            try
            {
                await using var ping = new NpgsqlCommand("SELECT 1", _connection);
                await ping.ExecuteScalarAsync(ct);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                await ReleaseAsync(); // the connection is gone, and with it the lock
            }
        }
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false, // the lock lives as long as this physical connection
            ApplicationName = "admin-sampler-leader",
            KeepAlive = 30,
        }.ConnectionString);
        try
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
            command.Parameters.AddWithValue("key", key);
            if ((bool)(await command.ExecuteScalarAsync(ct))!)
            {
                _connection = connection;
                return true;
            }
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException) { }
        await connection.DisposeAsync();
        return false;
    }

    public async Task ReleaseAsync()
    {
        var connection = _connection;
        _connection = null;
        if (connection is not null) await connection.DisposeAsync(); // closing the session releases the lock
    }

    public ValueTask DisposeAsync() => new(ReleaseAsync());
}
