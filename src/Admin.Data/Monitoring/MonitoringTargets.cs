using Npgsql;

namespace Admin.Data.Monitoring;

/// <summary>A PostgreSQL server the Database panels can look at. Connections need only the pg_monitor role.</summary>
public sealed record MonitoringTarget(string Name, string Description, NpgsqlDataSource DataSource)
{
    public const string ConsoleTargetName = "console";
}

/// <summary>
/// The servers the Database panels can show: the console's own database ("console") first, then every entry of
/// configuration section Monitoring:Targets (name → connection string). One pooled data source per target, with a
/// short command timeout so a slow or unreachable server cannot hang a panel.
/// </summary>
public sealed class MonitoringTargets : IAsyncDisposable
{
    public const int CommandTimeoutSeconds = 10;

    private readonly Dictionary<string, MonitoringTarget> _targets = new(StringComparer.OrdinalIgnoreCase);

    public MonitoringTargets(string consoleConnectionString, IReadOnlyDictionary<string, string> configured)
    {
        Add(MonitoringTarget.ConsoleTargetName, "The console's own database", consoleConnectionString);
        foreach (var (name, connectionString) in configured.OrderBy(t => t.Key))
            if (!_targets.ContainsKey(name)) Add(name, DescribeHost(connectionString), connectionString);
    }

    public IReadOnlyList<MonitoringTarget> All => _targets.Values.ToList();

    public MonitoringTarget Default => _targets[MonitoringTarget.ConsoleTargetName];

    /// <summary>The named target, or the console's own when the name is empty or unknown.</summary>
    public MonitoringTarget Get(string? name) =>
        name is not null && _targets.TryGetValue(name, out var target) ? target : Default;

    private void Add(string name, string description, string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "admin-monitoring",
            CommandTimeout = CommandTimeoutSeconds,
            Timeout = 5,
            MaxPoolSize = 5,
        };
        _targets[name] = new MonitoringTarget(name, description, NpgsqlDataSource.Create(builder.ConnectionString));
    }

    private static string DescribeHost(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets.Values) await target.DataSource.DisposeAsync();
    }
}
