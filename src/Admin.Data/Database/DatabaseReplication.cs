using Microsoft.Extensions.Logging;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>The Replication panel's service: one target's standbys, slots and upstream, or why it could not be read.</summary>
public sealed class DatabaseReplication(MonitoringTargets targets, ILogger<DatabaseReplication> logger)
{
    public async Task<TargetRead<ReplicationSnapshot>> LoadAsync(string? targetName, CancellationToken ct = default)
    {
        var target = targets.Get(targetName);
        try
        {
            return new TargetRead<ReplicationSnapshot>(await ReplicationStats.LoadAsync(target.DataSource, ct), null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(e, "Replication of monitoring target {Target} could not be read", target.Name);
            return new TargetRead<ReplicationSnapshot>(null,
                $"The server \"{target.Name}\" ({target.Description}) cannot be reached or refused the query: {e.Message}");
        }
    }
}
