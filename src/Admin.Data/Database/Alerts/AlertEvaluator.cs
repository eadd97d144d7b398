using System.Text.Json;
using Admin.Data.Session;
using Npgsql;

namespace Admin.Data.Database;

/// <summary>An alert that fired or resolved in an evaluation; silenced: no notice went out for it.</summary>
public sealed record AlertChange(long AlertId, string Event, bool Silenced);

/// <summary>
/// Evaluates the alert rules for one target's observed values (alert_evaluate: one round trip for every rule), as the
/// system identity. Called by the statistics sampler's leader after each sample, so one instance evaluates.
/// </summary>
public sealed class AlertEvaluator(NpgsqlDataSource console)
{
    public const string Actor = "alerts";

    public async Task<IReadOnlyList<AlertChange>> EvaluateAsync(string target, IReadOnlyDictionary<string, double> values, DateTimeOffset now,
        CancellationToken ct = default)
    {
        await using var connection = await SessionConnection.OpenAsync(console, SessionRoles.SystemJob(Actor), ct);
        await using var command = new NpgsqlCommand("SELECT alert_id, event, silenced FROM alert_evaluate($1, $2::jsonb, $3)", connection)
        {
            Parameters =
            {
                new() { Value = target },
                new() { Value = JsonSerializer.Serialize(values.Where(v => double.IsFinite(v.Value)).ToDictionary()) },
                new() { Value = now },
            },
        };
        var changes = new List<AlertChange>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) changes.Add(new AlertChange(reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2)));
        return changes;
    }

    /// <summary>
    /// Reads a target's health and evaluates its rules on it, with <paramref name="more"/> figures observed elsewhere
    /// (the deploy regressions). A target that cannot be read is observed as
    /// <see cref="AlertMetrics.Reachable"/> = 0 and nothing else, so its other alerts stay as they are.
    /// </summary>
    public async Task<IReadOnlyList<AlertChange>> EvaluateAsync(MonitoringTarget target, HealthChecks checks, DateTimeOffset now, CancellationToken ct = default,
        IReadOnlyDictionary<string, double>? more = null)
    {
        Dictionary<string, double> values;
        try
        {
            values = AlertMetrics.ValuesOf(await checks.RunAsync(target, ct));
            values[AlertMetrics.Reachable] = 1;
            foreach (var (key, value) in more ?? new Dictionary<string, double>()) values[key] = value;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            values = new() { [AlertMetrics.Reachable] = 0 };
        }
        return await EvaluateAsync(target.Name, values, now, ct);
    }
}
