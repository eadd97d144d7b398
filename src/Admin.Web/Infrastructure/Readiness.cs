using System.Diagnostics;
using System.Text.Json;
using Admin.Data;
using Admin.Data.Migrations;
using Admin.Web.Live;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Admin.Web.Infrastructure;

/// <summary>
/// What /readyz checks, one entry per dependency: the database (a connection as the app role answers), the live
/// listener (its LISTEN connection is up) and the migrations (none known to this build is missing). The answer is JSON
/// (<see cref="WriteAsync"/>), 200 when all are healthy and 503 otherwise. Nothing in it comes from an exception
/// message or a connection string, so it names no host, role or password: the log has the details.
/// </summary>
public static class Readiness
{
    public const string Tag = "ready";

    /// <summary>How long a check may wait for the database before it counts as unreachable.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public static IHealthChecksBuilder AddReadinessChecks(this IHealthChecksBuilder checks) => checks
        .AddCheck<DatabaseReadyCheck>("database", tags: [Tag], timeout: Timeout)
        .AddCheck<ListenerReadyCheck>("listener", tags: [Tag])
        .AddCheck<MigrationsReadyCheck>("migrations", tags: [Tag], timeout: Timeout);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString(),
            durationMs = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(e => e.Key, e => new Dictionary<string, object>
            {
                ["status"] = e.Value.Status.ToString(),
                ["description"] = e.Value.Description ?? "",
                ["durationMs"] = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }.Concat(e.Value.Data).ToDictionary()),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    /// <summary>A failure's kind without its message (which may name the host or the role): the exception type and SQLSTATE.</summary>
    internal static string Kind(Exception ex) => ex switch
    {
        OperationCanceledException or TimeoutException => $"no answer within {Timeout.TotalSeconds:0} s",
        PostgresException pg => $"PostgreSQL error {pg.SqlState}",
        NpgsqlException { InnerException: System.Net.Sockets.SocketException socket } => $"connection failed ({socket.SocketErrorCode})",
        NpgsqlException { InnerException: TimeoutException } => $"no answer within {Timeout.TotalSeconds:0} s",
        _ => ex.GetType().Name,
    };
}

/// <summary>A connection from the app's pool answers <c>SELECT 1</c>; reports how long open and query took.</summary>
public sealed class DatabaseReadyCheck(NpgsqlDataSource dataSource, ILogger<DatabaseReadyCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(ct);
            return HealthCheckResult.Healthy("a connection as the app role answers",
                new Dictionary<string, object> { ["latencyMs"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1) });
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            logger.LogWarning(ex, "Readiness: the database does not answer");
            // Pooled connections to a server that went away are all broken: drop them, so readiness (and the app) get
            // fresh ones as soon as the server is back.
            dataSource.Clear();
            return HealthCheckResult.Unhealthy("the database does not answer: " + Readiness.Kind(ex),
                data: new Dictionary<string, object> { ["latencyMs"] = Math.Round(clock.Elapsed.TotalMilliseconds, 1) });
        }
    }
}

/// <summary>The live listener's LISTEN connection is up; reports its state and when it last (re)connected.</summary>
public sealed class ListenerReadyCheck(LiveBus bus) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var data = new Dictionary<string, object>
        {
            ["state"] = bus.State.ToString(),
            ["stateSince"] = (object?)bus.StateSince ?? "never",
            ["connectedAt"] = (object?)bus.ConnectedAt ?? "never",
        };
        return Task.FromResult(bus.State == Admin.Data.Live.ListenerState.Connected
            ? HealthCheckResult.Healthy("listening for live events", data)
            : HealthCheckResult.Unhealthy(bus.State == Admin.Data.Live.ListenerState.Connecting
                ? "the live listener has not connected yet"
                : "the live listener lost its connection and is reconnecting: pages on this instance miss live updates", data: data));
    }
}

/// <summary>The database is at this build's latest migration; lists the ones it lacks.</summary>
public sealed class MigrationsReadyCheck(IServiceScopeFactory scopes, ILogger<MigrationsReadyCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var factory = scope.ServiceProvider.GetRequiredService<IDbContextFactory<AdminDbContext>>();
        await using var db = await factory.CreateDbContextAsync(ct);
        var latest = db.Database.GetMigrations().LastOrDefault() ?? "none";
        try
        {
            var pending = await DatabaseMigrator.PendingAsync(db, ct);
            var data = new Dictionary<string, object> { ["latest"] = latest, ["pending"] = pending };
            return pending.Count == 0
                ? HealthCheckResult.Healthy("every migration of this build is applied", data)
                : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) of this build are not applied", data: data);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(ex, "Readiness: could not read the applied migrations");
            return HealthCheckResult.Unhealthy("unknown: the applied migrations could not be read: " + Readiness.Kind(ex),
                data: new Dictionary<string, object> { ["latest"] = latest });
        }
    }
}
