using System.Net;
using System.Net.Sockets;

namespace Admin.E2E.Infrastructure;

/// <summary>
/// A TCP relay on a loopback port of its own in front of an app, to lose the network without stopping the server:
/// <see cref="Cut"/> resets every open connection and every new one until <see cref="Restore"/>, as a dropped Wi-Fi or
/// VPN, or a proxy that closes idle connections, would. Browser traffic goes through it when the page's base address is
/// <see cref="Url"/>.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<TcpClient> _open = [];
    private volatile bool _cut;

    public Uri Url { get; }

    public TcpRelay(Uri target)
    {
        _targetPort = target.Port;
        _listener.Start();
        Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _ = AcceptAsync();
    }

    /// <summary>Resets every connection now open and each one opened from now on.</summary>
    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var connection in _open) Reset(connection);
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            if (_cut) Reset(client);
            else _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            lock (_open) { _open.Add(client); _open.Add(server); }
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            await Task.WhenAny(
                client.GetStream().CopyToAsync(server.GetStream(), done.Token),
                server.GetStream().CopyToAsync(client.GetStream(), done.Token));
            await done.CancelAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        finally
        {
            lock (_open) { _open.Remove(client); _open.Remove(server); }
            client.Dispose();
        }
    }

    /// <summary>Closes with a reset (linger 0), not a polite FIN: the other side learns at once that the line is dead.</summary>
    private static void Reset(TcpClient connection)
    {
        try { connection.Client.LingerState = new LingerOption(true, 0); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        connection.Dispose();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        _stop.Dispose();
    }
}
