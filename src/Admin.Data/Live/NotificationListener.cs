using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Live;

public enum ListenerState { Connecting, Connected, Reconnecting }

/// <summary>
/// Holds one dedicated connection that LISTENs on the live channel. When the connection drops (database restart,
/// network), it retries with capped exponential backoff and jitter, and reports each state change so the app can
/// show "reconnecting…" and ask open views to resync once it is back.
/// </summary>
public sealed class NotificationListener(string connectionString, ILogger<NotificationListener> logger)
{
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(15);
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    public async Task RunAsync(
        Func<LiveEvent, ValueTask> onEvent,
        Func<ListenerState, bool, ValueTask> onStateChanged,
        CancellationToken ct)
    {
        var backoff = MinBackoff;
        var hasConnectedBefore = false;
        await onStateChanged(ListenerState.Connecting, false);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(ct);
                var received = new List<LiveEvent>();
                connection.Notification += (_, e) =>
                {
                    if (LiveEvent.TryParse(e.Payload) is { } parsed) received.Add(parsed);
                    else logger.LogWarning("Ignored malformed live payload on {Channel}: {Payload}", e.Channel, e.Payload);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {LiveChannel.Name}", connection))
                    await listen.ExecuteNonQueryAsync(ct);

                logger.LogInformation("Live listener connected to {Host}:{Port}", connection.Host, connection.Port);
                await onStateChanged(ListenerState.Connected, hasConnectedBefore);
                hasConnectedBefore = true;
                backoff = MinBackoff;

                while (!ct.IsCancellationRequested)
                {
                    // WaitAsync returns false on timeout: then prove the connection is alive, so a silently dead
                    // socket is noticed within one keepalive interval.
                    if (!await connection.WaitAsync(KeepaliveInterval, ct))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(ct);
                    }
                    foreach (var item in received) await onEvent(item);
                    received.Clear();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning("Live listener lost its connection ({Message}); retrying in {Delay} ms", ex.Message, (int)backoff.TotalMilliseconds);
                await onStateChanged(ListenerState.Reconnecting, hasConnectedBefore);
                try
                {
                    await Task.Delay(Jitter(backoff), ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                backoff = TimeSpan.FromMilliseconds(Math.Min(backoff.TotalMilliseconds * 2, MaxBackoff.TotalMilliseconds));
            }
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) =>
        TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.8 + Random.Shared.NextDouble() * 0.4));
}
