using System.Net;
using System.Text.Json;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Audit;

/// <summary>
/// An application event for the audit trail. When someone is signed in, the actor is who the session context says
/// (audit_write ignores the actor fields); the fields name the actor only where nobody is signed in (sign-in attempts),
/// and those left null are taken from the session context (background jobs, CI tokens).
/// </summary>
public sealed record AuditEntry(
    string Action,
    string? TableName = null,
    string? RecordId = null,
    object? OldData = null,
    object? NewData = null,
    Guid? ActorId = null,
    string? ActorEmail = null,
    IReadOnlyList<string>? ActorRoles = null,
    string? RequestId = null,
    IPAddress? ClientAddress = null);

/// <summary>
/// Writes application events (logins, role changes, …) through the database function audit_write, which also
/// announces them on the live channel. Callers pass their own DbContext so the event commits with their change.
/// </summary>
public static class AuditWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<long> WriteAsync(AdminDbContext db, AuditEntry entry, CancellationToken ct = default)
    {
        var parameters = new object[]
        {
            new NpgsqlParameter("action", NpgsqlDbType.Text) { Value = entry.Action },
            new NpgsqlParameter("table_name", NpgsqlDbType.Text) { Value = (object?)entry.TableName ?? DBNull.Value },
            new NpgsqlParameter("record_id", NpgsqlDbType.Text) { Value = (object?)entry.RecordId ?? DBNull.Value },
            new NpgsqlParameter("old_data", NpgsqlDbType.Jsonb) { Value = ToJson(entry.OldData) },
            new NpgsqlParameter("new_data", NpgsqlDbType.Jsonb) { Value = ToJson(entry.NewData) },
            new NpgsqlParameter("actor_id", NpgsqlDbType.Uuid) { Value = (object?)entry.ActorId ?? DBNull.Value },
            new NpgsqlParameter("actor_email", NpgsqlDbType.Text) { Value = (object?)entry.ActorEmail ?? DBNull.Value },
            new NpgsqlParameter("actor_roles", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = (object?)entry.ActorRoles?.ToArray() ?? DBNull.Value },
            new NpgsqlParameter("request_id", NpgsqlDbType.Text) { Value = (object?)entry.RequestId ?? DBNull.Value },
            new NpgsqlParameter("client_address", NpgsqlDbType.Inet) { Value = (object?)entry.ClientAddress ?? DBNull.Value },
        };
        return await db.Database
            .SqlQueryRaw<long>(
                "SELECT audit_write(@action, @table_name, @record_id, @old_data, @new_data, @actor_id, @actor_email, @actor_roles, @request_id, @client_address) AS \"Value\"",
                parameters)
            .SingleAsync(ct);
    }

    private static object ToJson(object? value) => value switch
    {
        null => DBNull.Value,
        string s => s,
        JsonDocument d => d.RootElement.GetRawText(),
        _ => JsonSerializer.Serialize(value, Json),
    };
}
