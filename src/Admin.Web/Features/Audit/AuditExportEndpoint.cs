using System.Text.Json;
using Admin.Data.Audit;
using Admin.Data.Infrastructure;
using Admin.Web.Features.Account;

namespace Admin.Web.Features.Audit;

/// <summary>
/// GET /audit/export?format=csv|json plus the viewer's own query string: the filtered audit events (or denials, with
/// tab=denials) streamed newest first in constant memory, as the signed-in user sees them (row-level security: a DBA
/// exports database actions only). Every export is itself audited with its filter.
/// </summary>
public static class AuditExportEndpoint
{
    public const string Path = "/audit/export";

    private static readonly string[] AuditHeader =
        ["id", "occurred_at", "actor_id", "actor_email", "actor_roles", "action", "table_name", "record_id", "old_data", "new_data", "request_id", "client_address", "chain_seq", "trace_id"];

    private static readonly string[] DenialHeader =
        ["id", "occurred_at", "user_email", "roles", "brands", "locales", "table_name", "operation", "sqlstate", "message", "policy", "request_id", "hint", "detail"];

    public static WebApplication MapAuditExport(this WebApplication app)
    {
        app.MapGet(Path, ExportAsync).RequireAuthorization(Areas.AuditPolicy).ExcludeFromDescription();
        return app;
    }

    private static async Task ExportAsync(HttpContext http, AuditSearch search, TimeProvider time)
    {
        var format = http.Request.Query["format"].ToString() is { Length: > 0 } f ? f.ToLowerInvariant() : "csv";
        if (format is not ("csv" or "json"))
        {
            await Results.Problem(title: "Invalid field", detail: "format: must be csv or json", statusCode: 400,
                extensions: new Dictionary<string, object?> { ["field"] = "format" }).ExecuteAsync(http);
            return;
        }
        var view = AuditView.Parse(name => http.Request.Query[name].ToString());
        var filter = view.ToFilter(time.GetUtcNow());
        await search.RecordExportAsync(view.IsDenials, format,
            view.ToQuery().Where(p => p.Value is not null && p.Key is not ("before" or "tail")).ToDictionary(), http.RequestAborted);

        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmmss");
        http.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{(view.IsDenials ? "rls-denials" : "audit")}-{stamp}.{format}\"";
        http.Response.Headers.CacheControl = "no-store";
        var body = http.Response.Body;
        var ct = http.RequestAborted;
        if (view.IsDenials)
        {
            var rows = search.StreamDenialsAsync(filter, ct);
            if (format == "csv")
                await ExportWriter.CsvAsync(body, DenialHeader, rows, r => [r.Id.ToString(), ExportWriter.Time(r.OccurredAt), r.UserEmail, string.Join(' ', r.Roles),
                    string.Join(' ', r.Brands), string.Join(' ', r.Locales), r.TableName, r.Operation, r.SqlState, r.Message, r.Policy, r.RequestId, r.Hint, r.Detail], ct);
            else
                await ExportWriter.JsonAsync(body, rows, WriteDenial, ct);
        }
        else
        {
            var rows = search.StreamAuditAsync(filter, ct);
            if (format == "csv")
                await ExportWriter.CsvAsync(body, AuditHeader, rows, r => [r.Id.ToString(), ExportWriter.Time(r.OccurredAt), r.ActorId?.ToString(), r.ActorEmail,
                    string.Join(' ', r.ActorRoles), r.Action, r.TableName, r.RecordId, r.OldData, r.NewData, r.RequestId, r.ClientAddress, r.ChainSeq?.ToString(), r.TraceId], ct);
            else
                await ExportWriter.JsonAsync(body, rows, WriteAudit, ct);
        }
    }

    private static void WriteAudit(Utf8JsonWriter json, AuditRow r)
    {
        json.WriteStartObject();
        json.WriteNumber("id", r.Id);
        json.WriteString("occurredAt", ExportWriter.Time(r.OccurredAt));
        json.WriteString("actorId", r.ActorId?.ToString());
        json.WriteString("actorEmail", r.ActorEmail);
        json.WriteStartArray("actorRoles");
        foreach (var role in r.ActorRoles) json.WriteStringValue(role);
        json.WriteEndArray();
        json.WriteString("action", r.Action);
        json.WriteString("tableName", r.TableName);
        json.WriteString("recordId", r.RecordId);
        WriteJson(json, "oldData", r.OldData);
        WriteJson(json, "newData", r.NewData);
        json.WriteString("requestId", r.RequestId);
        json.WriteString("clientAddress", r.ClientAddress);
        if (r.ChainSeq is { } seq) json.WriteNumber("chainSeq", seq); else json.WriteNull("chainSeq");
        json.WriteString("traceId", r.TraceId);
        json.WriteEndObject();
    }

    private static void WriteDenial(Utf8JsonWriter json, DenialRow r)
    {
        json.WriteStartObject();
        json.WriteNumber("id", r.Id);
        json.WriteString("occurredAt", ExportWriter.Time(r.OccurredAt));
        json.WriteString("userEmail", r.UserEmail);
        foreach (var (name, items) in new[] { ("roles", r.Roles), ("brands", r.Brands), ("locales", r.Locales) })
        {
            json.WriteStartArray(name);
            foreach (var item in items) json.WriteStringValue(item);
            json.WriteEndArray();
        }
        json.WriteString("tableName", r.TableName);
        json.WriteString("operation", r.Operation);
        json.WriteString("sqlState", r.SqlState);
        json.WriteString("message", r.Message);
        json.WriteString("policy", r.Policy);
        json.WriteString("requestId", r.RequestId);
        json.WriteString("hint", r.Hint);
        WriteJson(json, "detail", r.Detail);
        json.WriteEndObject();
    }

    private static void WriteJson(Utf8JsonWriter json, string name, string? raw)
    {
        json.WritePropertyName(name);
        if (raw is null) json.WriteNullValue(); else json.WriteRawValue(raw, skipInputValidation: true);
    }
}
