using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Admin.Data.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Deployments;

public enum ExportFormat { Csv, Json }

/// <summary>The snapshot an export reads: deployments and history rows up to these ids.</summary>
public sealed record ExportBound(long MaxDeploymentId, long MaxHistoryId, bool Replayed);

/// <summary>One exported deployment; its status and times are as of the bound, taken from its history (JSON array).</summary>
public sealed record ExportRow(
    long Id, string ExternalId, string Service, string Environment, string Version, string CommitSha, DateTimeOffset? CommitAt,
    long? ReleaseId, string RequestedBy, string Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt, DateTimeOffset? RolledBackAt, string History);

/// <summary>An open export: the bound, how many deployments it will write, and the rows (streamed once). Dispose it after.</summary>
public sealed class ExportRun(ExportBound bound, long count, IAsyncEnumerable<ExportRow> rows, AdminDbContext db) : IAsyncDisposable
{
    public ExportBound Bound { get; } = bound;
    public long Count { get; } = count;
    public IAsyncEnumerable<ExportRow> Rows { get; } = rows;

    public ValueTask DisposeAsync() => db.DisposeAsync();
}

/// <summary>
/// Exports the filtered deployments with their histories in three queries whatever the count: the bound (which also
/// writes the audit row and, with an Idempotency-Key, stores or finds the bound so a repeat returns the same content),
/// the count (for progress), and one streamed query of rows with their history aggregated per deployment. Rows are
/// written as they arrive, so memory stays flat however many there are.
/// </summary>
public sealed class DeploymentExporter(IDbContextFactory<AdminDbContext> dbFactory)
{
    /// <summary>Starts an export. Null when the key was used for another export (the caller answers 422).</summary>
    public async Task<ExportRun?> BeginAsync(string owner, string? key, DeploymentFilter filter, ExportFormat format, CancellationToken ct = default)
    {
        var db = await dbFactory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            var description = JsonSerializer.Serialize(new
            {
                format = format.ToString().ToLowerInvariant(), filter.Environment, filter.Service, filter.Status, filter.Text, filter.From, filter.To,
            }, JsonSerializerOptions.Web);
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes(description));
            var begin = (await db.Database.SqlQuery<BeginRow>($"""
                SELECT max_deployment_id AS "max_deployment_id", max_history_id AS "max_history_id", mismatch AS "mismatch", replayed AS "replayed"
                FROM deploy_export_begin({owner}, {key}, {hash}, {description}::jsonb)
                """).ToListAsync(ct)).Single();
            if (begin.Mismatch)
            {
                await db.DisposeAsync();
                return null;
            }
            var bound = new ExportBound(begin.MaxDeploymentId!.Value, begin.MaxHistoryId!.Value, begin.Replayed);
            var text = LikePattern.Contains(filter.Text);
            var count = (await db.Database.SqlQuery<long>($"""
                SELECT count(*) AS "Value"
                FROM deployments d
                WHERE d.id <= {bound.MaxDeploymentId}
                  AND ({filter.From}::timestamptz IS NULL OR d.created_at >= {filter.From})
                  AND ({filter.To}::timestamptz IS NULL OR d.created_at < {filter.To})
                  AND ({filter.Environment}::text IS NULL OR d.environment = {filter.Environment})
                  AND ({filter.Service}::text IS NULL OR d.service = {filter.Service})
                  AND ({text}::text IS NULL OR d.external_id ILIKE {text} OR d.version ILIKE {text} OR d.commit_sha ILIKE {text} OR d.requested_by_email ILIKE {text})
                  AND ({filter.Status}::text IS NULL OR {filter.Status} = (
                        SELECT h.status FROM deployment_status_history h
                        WHERE h.deployment_id = d.id AND h.id <= {bound.MaxHistoryId} ORDER BY h.id DESC LIMIT 1))
                """).ToListAsync(ct)).Single();
            var rows = db.Database.SqlQuery<ExportRow>($"""
                SELECT d.id AS "id", d.external_id AS "external_id", d.service AS "service", d.environment AS "environment",
                       d.version AS "version", d.commit_sha AS "commit_sha", d.commit_at AS "commit_at", d.release_id AS "release_id",
                       d.requested_by_email AS "requested_by", h.last_status AS "status", d.created_at AS "created_at",
                       h.started_at AS "started_at", h.finished_at AS "finished_at", h.rolled_back_at AS "rolled_back_at", h.history AS "history"
                FROM deployments d
                CROSS JOIN LATERAL (
                    SELECT coalesce(json_agg(json_build_object('status', x.status, 'message', x.message, 'actor', x.actor,
                                    'at', to_char(x.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) ORDER BY x.id), '[]')::text AS history,
                           (array_agg(x.status ORDER BY x.id DESC))[1] AS last_status,
                           min(x.occurred_at) FILTER (WHERE x.status = 'in_progress') AS started_at,
                           max(x.occurred_at) FILTER (WHERE x.status IN ('succeeded', 'failed', 'cancelled')) AS finished_at,
                           max(x.occurred_at) FILTER (WHERE x.status = 'rolled_back') AS rolled_back_at
                    FROM deployment_status_history x
                    WHERE x.deployment_id = d.id AND x.id <= {bound.MaxHistoryId}) h
                WHERE d.id <= {bound.MaxDeploymentId}
                  AND ({filter.From}::timestamptz IS NULL OR d.created_at >= {filter.From})
                  AND ({filter.To}::timestamptz IS NULL OR d.created_at < {filter.To})
                  AND ({filter.Environment}::text IS NULL OR d.environment = {filter.Environment})
                  AND ({filter.Service}::text IS NULL OR d.service = {filter.Service})
                  AND ({text}::text IS NULL OR d.external_id ILIKE {text} OR d.version ILIKE {text} OR d.commit_sha ILIKE {text} OR d.requested_by_email ILIKE {text})
                  AND ({filter.Status}::text IS NULL OR h.last_status = {filter.Status})
                ORDER BY d.id
                """).AsAsyncEnumerable();
            return new ExportRun(bound, count, rows, db);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    private sealed record BeginRow(long? MaxDeploymentId, long? MaxHistoryId, bool Mismatch, bool Replayed);

    public static string ContentType(ExportFormat format) => format == ExportFormat.Csv ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";

    public static string FileName(ExportFormat format, ExportBound bound) =>
        $"deployments-{bound.MaxDeploymentId}-{bound.MaxHistoryId}.{(format == ExportFormat.Csv ? "csv" : "json")}";

    private static readonly string[] CsvHeader =
    [
        "id", "external_id", "service", "environment", "version", "commit_sha", "commit_at", "release_id", "requested_by", "status",
        "created_at", "started_at", "finished_at", "rolled_back_at", "history",
    ];

    /// <summary>Writes the rows as they arrive: CSV (one line per deployment, history as a JSON column) or a JSON array.</summary>
    public static Task<long> WriteAsync(Stream output, ExportFormat format, IAsyncEnumerable<ExportRow> rows, CancellationToken ct = default) =>
        format == ExportFormat.Csv
            ? ExportWriter.CsvAsync(output, CsvHeader, rows, CsvFields, ct)
            : ExportWriter.JsonAsync(output, rows, WriteJson, ct);

    private static IEnumerable<string?> CsvFields(ExportRow r) =>
    [
        r.Id.ToString(CultureInfo.InvariantCulture), r.ExternalId, r.Service, r.Environment, r.Version, r.CommitSha, Time(r.CommitAt),
        r.ReleaseId?.ToString(CultureInfo.InvariantCulture), r.RequestedBy, r.Status, Time(r.CreatedAt), Time(r.StartedAt),
        Time(r.FinishedAt), Time(r.RolledBackAt), r.History,
    ];

    private static void WriteJson(Utf8JsonWriter json, ExportRow r)
    {
        json.WriteStartObject();
        json.WriteNumber("id", r.Id);
        json.WriteString("externalId", r.ExternalId);
        json.WriteString("service", r.Service);
        json.WriteString("environment", r.Environment);
        json.WriteString("version", r.Version);
        json.WriteString("commitSha", r.CommitSha);
        WriteTime(json, "commitAt", r.CommitAt);
        if (r.ReleaseId is { } release) json.WriteNumber("releaseId", release); else json.WriteNull("releaseId");
        json.WriteString("requestedBy", r.RequestedBy);
        json.WriteString("status", r.Status);
        WriteTime(json, "createdAt", r.CreatedAt);
        WriteTime(json, "startedAt", r.StartedAt);
        WriteTime(json, "finishedAt", r.FinishedAt);
        WriteTime(json, "rolledBackAt", r.RolledBackAt);
        json.WritePropertyName("history");
        json.WriteRawValue(r.History);
        json.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? at)
    {
        if (at is null) json.WriteNull(name); else json.WriteString(name, Time(at));
    }

    private static string Time(DateTimeOffset? at) => ExportWriter.Time(at);
}
