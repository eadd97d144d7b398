using Npgsql;

namespace Admin.Data.Database;

/// <summary>
/// A PostgreSQL server the Database panels can look at. <see cref="DataSource"/> needs only the pg_monitor role;
/// <see cref="ExplainSource"/> is EXPLAIN's own login role (read-only, reads what a DBA reads), unpooled so nothing a
/// statement leaves in its session outlives the call; null when none is configured, and then EXPLAIN is refused.
/// </summary>
public sealed record MonitoringTarget(string Name, string Description, NpgsqlDataSource DataSource, NpgsqlDataSource? ExplainSource = null)
{
    public const string ConsoleTargetName = "console";
}

/// <summary>
/// The servers the Database panels can show: the console's own database ("console") first, then every entry of
/// configuration section Monitoring:Targets (name → connection string). One pooled data source per target, with a
/// short command timeout so a slow or unreachable server cannot hang a panel. EXPLAIN connects with connection strings
/// of its own (ConnectionStrings:AdminExplain for the console, Monitoring:Explain:&lt;name&gt; for a target).
/// </summary>
public sealed class MonitoringTargets : IAsyncDisposable
{
    public const int CommandTimeoutSeconds = 10;

    private readonly Dictionary<string, MonitoringTarget> _targets = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Statements EXPLAIN ANALYZE may run for, and the client's own limit a little beyond it.</summary>
    public static readonly TimeSpan ExplainTimeout = TimeSpan.FromSeconds(30);

    public MonitoringTargets(string consoleConnectionString, IReadOnlyDictionary<string, string> configured,
        string? consoleExplainConnectionString = null, IReadOnlyDictionary<string, string>? explainConfigured = null)
    {
        Add(MonitoringTarget.ConsoleTargetName, "The console's own database", consoleConnectionString, consoleExplainConnectionString);
        foreach (var (name, connectionString) in configured.OrderBy(t => t.Key))
            if (!_targets.ContainsKey(name))
                Add(name, DescribeHost(connectionString), connectionString, explainConfigured?.GetValueOrDefault(name));
    }

    public IReadOnlyList<MonitoringTarget> All => _targets.Values.ToList();

    public MonitoringTarget Default => _targets[MonitoringTarget.ConsoleTargetName];

    /// <summary>The named target, or the console's own when the name is empty or unknown.</summary>
    public MonitoringTarget Get(string? name) =>
        name is not null && _targets.TryGetValue(name, out var target) ? target : Default;

    private void Add(string name, string description, string connectionString, string? explainConnectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "admin-monitoring",
            CommandTimeout = CommandTimeoutSeconds,
            Timeout = 5,
            MaxPoolSize = 5,
        };
        _targets[name] = new MonitoringTarget(name, description, NpgsqlDataSource.Create(builder.ConnectionString),
            string.IsNullOrWhiteSpace(explainConnectionString) ? null : NpgsqlDataSource.Create(ExplainConnectionString(explainConnectionString)));
    }

    /// <summary>
    /// A new session per EXPLAIN (no pool: advisory locks, settings, prepared statements and temporary tables die with
    /// it), read-only and time-limited from its first packet, whatever the role's defaults on that server are.
    /// </summary>
    public static string ExplainConnectionString(string connectionString)
    {
        var timeout = (int)ExplainTimeout.TotalMilliseconds;
        return new NpgsqlConnectionStringBuilder(connectionString)
        {
            ApplicationName = "admin-explain",
            Pooling = false,
            Timeout = 5,
            CommandTimeout = (int)ExplainTimeout.TotalSeconds + 5,
            Options = $"-c default_transaction_read_only=on -c statement_timeout={timeout} -c lock_timeout=2000 -c idle_in_transaction_session_timeout={timeout * 2}",
        }.ConnectionString;
    }

    private static string DescribeHost(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{b.Host}:{b.Port}/{b.Database}";
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets.Values)
        {
            await target.DataSource.DisposeAsync();
            if (target.ExplainSource is not null) await target.ExplainSource.DisposeAsync();
        }
    }
}
