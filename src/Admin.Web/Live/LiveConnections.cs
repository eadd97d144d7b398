using System.Collections.Concurrent;
using Admin.Web.Features.Account;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Admin.Web.Live;

/// <summary>
/// The hub connections open on this instance. A connection keeps the user it was opened with for as long as it lives
/// (the cookie is not checked again), so <see cref="LiveConnectionRevalidator"/> checks them from here.
/// </summary>
public sealed class LiveConnections
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new();

    public int Count => _open.Count;

    public void Add(HubCallerContext connection) => _open[connection.ConnectionId] = connection;

    public void Remove(HubCallerContext connection) => _open.TryRemove(connection.ConnectionId, out _);

    public IReadOnlyList<HubCallerContext> Snapshot() => _open.Values.ToList();
}

/// <summary>
/// Every <see cref="AccountOptions.RevalidationInterval"/> (a minute), checks the user of each open hub connection
/// the way the cookie and Blazor circuits are checked (<see cref="AppSignInManager.IsSessionValidAsync"/>) and aborts
/// the connections of a user who was disabled, deleted, demoted or whose password was reset. One check per user and
/// security stamp, however many tabs they have open.
/// </summary>
public sealed class LiveConnectionRevalidator(
    LiveConnections connections, IServiceScopeFactory scopes, IOptions<AccountOptions> options,
    IOptions<IdentityOptions> identity, TimeProvider time, ILogger<LiveConnectionRevalidator> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevalidationInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await RevalidateAsync();
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The database may be away for a moment: connections stay open until a check can tell.
                    logger.LogWarning(ex, "Revalidating {Count} hub connection(s) failed; retrying in {Interval}", connections.Count, options.Value.RevalidationInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Checks every open connection once; returns how many were closed.</summary>
    public async Task<int> RevalidateAsync()
    {
        var stampClaim = identity.Value.ClaimsIdentity.SecurityStampClaimType;
        var closed = 0;
        foreach (var same in connections.Snapshot().GroupBy(c => (c.UserIdentifier, Stamp: c.User?.FindFirst(stampClaim)?.Value)))
        {
            var user = same.First().User;
            if (user is not null && await AppSignInManager.IsSessionValidAsync(scopes, user)) continue;
            foreach (var connection in same)
            {
                connection.Abort();
                connections.Remove(connection);
                closed++;
            }
            logger.LogInformation("Closed {Count} hub connection(s) of user {User}: disabled, deleted or access changed", same.Count(), same.Key.UserIdentifier);
        }
        return closed;
    }
}
