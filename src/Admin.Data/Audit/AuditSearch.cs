using Admin.Data.Infrastructure;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Audit;

/// <summary>
/// What the viewer filters on. Every field is optional. <see cref="Action"/> ending in '.' or '*' is a prefix
/// ("release." = every release action); <see cref="Text"/> looks inside the old and new JSON.
/// </summary>
public sealed record AuditFilter(
    DateTimeOffset? From = null, DateTimeOffset? To = null, string? Actor = null, string? Action = null, string? Table = null,
    string? RecordId = null, string? RequestId = null, string? Text = null);

/// <summary>Where a page ends: the next page starts strictly after this (time, id), newest first.</summary>
public sealed record Keyset(DateTimeOffset At, long Id)
{
    public override string ToString() => $"{At.UtcTicks}_{Id}";

    public static Keyset? Parse(string? text)
    {
        var parts = text?.Split('_');
        return parts is [var ticks, var id] && long.TryParse(ticks, out var t) && long.TryParse(id, out var i)
               && t >= DateTimeOffset.MinValue.UtcTicks && t <= DateTimeOffset.MaxValue.UtcTicks
            ? new Keyset(new DateTimeOffset(t, TimeSpan.Zero), i)
            : null;
    }
}

public sealed record AuditRow(
    long Id, DateTimeOffset OccurredAt, Guid? ActorId, string? ActorEmail, string[] ActorRoles, string Action, string? TableName,
    string? RecordId, string? OldData, string? NewData, string? RequestId, string? ClientAddress, long? ChainSeq, string? TraceId = null);

public sealed record DenialRow(
    long Id, DateTimeOffset OccurredAt, string? UserEmail, string[] Roles, string[] Brands, string[] Locales, string? TableName,
    string Operation, string SqlState, string Message, string? Policy, string? RequestId, string Hint, string? Detail);

public sealed record Page<T>(IReadOnlyList<T> Rows, Keyset? Next);

/// <summary>
/// The audit viewer's reads: keyset pages newest first, the same filters over the RLS denials, and streams for exports.
/// Runs as the signed-in user, so row-level security decides what each role sees (DBAs: database actions only). Every
/// filter has an index that ends in (occurred_at DESC, id DESC) (migration AuditViewer), so a page reads one page of
/// index entries whatever the table's size.
/// </summary>
public sealed class AuditSearch(IDbContextFactory<AdminDbContext> dbFactory)
{
    public const int MaxPageSize = 200;

    private const string AuditColumns = """
        id, occurred_at, actor_id, actor_email, actor_roles, action, table_name, record_id, old_data::text, new_data::text,
        request_id, host(client_address), chain_seq, trace_id
        """;

    private const string DenialColumns = """
        id, occurred_at, user_email, roles, brands, locales, table_name, operation, sqlstate, message, policy, request_id, hint, detail::text
        """;

    public async Task<Page<AuditRow>> AuditAsync(AuditFilter filter, Keyset? after = null, int pageSize = 50, CancellationToken ct = default)
    {
        var size = Math.Clamp(pageSize, 1, MaxPageSize);
        var rows = await ReadAsync(Query("audit_events", AuditColumns, AuditWhere(filter), after, limit: size + 1), ReadAudit, ct);
        return Paged(rows, size, r => new Keyset(r.OccurredAt, r.Id));
    }

    /// <summary>The same page found by OFFSET, for the benchmark's comparison only: the viewer pages by keyset.</summary>
    public async Task<IReadOnlyList<AuditRow>> AuditByOffsetAsync(AuditFilter filter, int offset, int pageSize = 50, CancellationToken ct = default)
    {
        var (sql, parameters) = Query("audit_events", AuditColumns, AuditWhere(filter), null, limit: pageSize);
        parameters.Add(new NpgsqlParameter("offset", offset));
        return await ReadAsync((sql + " OFFSET @offset", parameters), ReadAudit, ct);
    }

    public async Task<Page<DenialRow>> DenialsAsync(AuditFilter filter, Keyset? after = null, int pageSize = 50, CancellationToken ct = default)
    {
        var size = Math.Clamp(pageSize, 1, MaxPageSize);
        var rows = await ReadAsync(Query("rls_denials", DenialColumns, DenialWhere(filter), after, limit: size + 1), ReadDenial, ct);
        return Paged(rows, size, r => new Keyset(r.OccurredAt, r.Id));
    }

    /// <summary>Every matching audit row, newest first, read as the consumer reads: constant memory at any count.</summary>
    /// <summary>Records an export of the events (or the denials) with its filter, before the rows are streamed.</summary>
    public async Task RecordExportAsync(bool denials, string format, IReadOnlyDictionary<string, object?> filter, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await AuditWriter.WriteAsync(db, new AuditEntry(AuditActions.Exported, denials ? "rls_denials" : "audit_events",
            NewData: new { format, filter }), ct);
    }

    public IAsyncEnumerable<AuditRow> StreamAuditAsync(AuditFilter filter, CancellationToken ct = default) =>
        StreamAsync(Query("audit_events", AuditColumns, AuditWhere(filter), null, limit: null), ReadAudit, ct);

    public IAsyncEnumerable<DenialRow> StreamDenialsAsync(AuditFilter filter, CancellationToken ct = default) =>
        StreamAsync(Query("rls_denials", DenialColumns, DenialWhere(filter), null, limit: null), ReadDenial, ct);

    // ---------------------------------------------------------------------------------------------- SQL

    private static (StringBuilder Where, List<NpgsqlParameter> Parameters) AuditWhere(AuditFilter f)
    {
        var (where, parameters) = Common(f, "actor_key");
        if (Blank(f.Action) is { } action)
        {
            if (action.EndsWith('.') || action.EndsWith('*'))
                Add(where, parameters, "action LIKE @action", "action", LikePattern.Escape(action.TrimEnd('*')) + "%");
            else Add(where, parameters, "action = @action", "action", action);
        }
        if (Blank(f.RecordId) is { } record) Add(where, parameters, "record_id = @record", "record", record);
        if (Blank(f.Text) is { } text)
            Add(where, parameters, "(old_data::text ILIKE @text OR new_data::text ILIKE @text)", "text", LikePattern.Contains(text)!);
        return (where, parameters);
    }

    private static (StringBuilder Where, List<NpgsqlParameter> Parameters) DenialWhere(AuditFilter f)
    {
        var (where, parameters) = Common(f, "user_key");
        if (Blank(f.Action) is { } operation) Add(where, parameters, "operation = upper(@operation)", "operation", operation);
        if (Blank(f.Text) is { } text)
            Add(where, parameters, "(hint ILIKE @text OR message ILIKE @text OR detail::text ILIKE @text)", "text", LikePattern.Contains(text)!);
        return (where, parameters);
    }

    /// <summary>
    /// The filters both tables share. Row-level security evaluates its policy before any condition that is not leakproof,
    /// and such a condition cannot use an index: the indexed conditions here are all plain comparisons (=, &lt;, &gt;=) of
    /// columns with parameters, lower-casing the actor on this side against a generated lower-case column.
    /// </summary>
    private static (StringBuilder Where, List<NpgsqlParameter> Parameters) Common(AuditFilter f, string actorKeyColumn)
    {
        var where = new StringBuilder();
        var parameters = new List<NpgsqlParameter>();
        if (f.From is { } from) Add(where, parameters, "occurred_at >= @from", "from", from.ToUniversalTime());
        if (f.To is { } to) Add(where, parameters, "occurred_at < @to", "to", to.ToUniversalTime());
        if (Blank(f.Actor) is { } actor) Add(where, parameters, $"{actorKeyColumn} = @actor", "actor", actor.ToLowerInvariant());
        if (Blank(f.Table) is { } table) Add(where, parameters, "table_name = @table", "table", table);
        if (Blank(f.RequestId) is { } request) Add(where, parameters, "request_id = @request", "request", request);
        return (where, parameters);
    }

    private static (string Sql, List<NpgsqlParameter> Parameters) Query(string table, string columns,
        (StringBuilder Where, List<NpgsqlParameter> Parameters) filter, Keyset? after, int? limit)
    {
        var (where, parameters) = filter;
        if (after is not null)
        {
            where.Append(where.Length == 0 ? " WHERE " : " AND ").Append("(occurred_at, id) < (@after_at, @after_id)");
            parameters.Add(new NpgsqlParameter("after_at", NpgsqlDbType.TimestampTz) { Value = after.At.ToUniversalTime() });
            parameters.Add(new NpgsqlParameter("after_id", after.Id));
        }
        var sql = $"SELECT {columns} FROM {table}{where} ORDER BY occurred_at DESC, id DESC" + (limit is { } n ? $" LIMIT {n}" : "");
        return (sql, parameters);
    }

    private static void Add(StringBuilder where, List<NpgsqlParameter> parameters, string condition, string name, object value)
    {
        where.Append(where.Length == 0 ? " WHERE " : " AND ").Append(condition);
        parameters.Add(value is DateTimeOffset at
            ? new NpgsqlParameter(name, NpgsqlDbType.TimestampTz) { Value = at }
            : new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = value });
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // ---------------------------------------------------------------------------------------------- reading

    private static AuditRow ReadAudit(DbDataReader r) => new(
        r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), r.IsDBNull(2) ? null : r.GetGuid(2), Text(r, 3), r.GetFieldValue<string[]>(4),
        r.GetString(5), Text(r, 6), Text(r, 7), Text(r, 8), Text(r, 9), Text(r, 10), Text(r, 11), r.IsDBNull(12) ? null : r.GetInt64(12),
        Text(r, 13));

    private static DenialRow ReadDenial(DbDataReader r) => new(
        r.GetInt64(0), r.GetFieldValue<DateTimeOffset>(1), Text(r, 2), r.GetFieldValue<string[]>(3), r.GetFieldValue<string[]>(4),
        r.GetFieldValue<string[]>(5), Text(r, 6), r.GetString(7), r.GetString(8), r.GetString(9), Text(r, 10), Text(r, 11), r.GetString(12), Text(r, 13));

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static Page<T> Paged<T>(List<T> rows, int size, Func<T, Keyset> key) =>
        rows.Count > size ? new Page<T>(rows[..size], key(rows[size - 1])) : new Page<T>(rows, null);

    private async Task<List<T>> ReadAsync<T>((string Sql, List<NpgsqlParameter> Parameters) query, Func<DbDataReader, T> read, CancellationToken ct)
    {
        var rows = new List<T>();
        await foreach (var row in StreamAsync(query, read, ct)) rows.Add(row);
        return rows;
    }

    private async IAsyncEnumerable<T> StreamAsync<T>((string Sql, List<NpgsqlParameter> Parameters) query, Func<DbDataReader, T> read,
        [EnumeratorCancellation] CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = query.Sql;
        command.Parameters.AddRange(query.Parameters.ToArray());
        // An export of millions of rows is not a statement to cut short at the default 30 s.
        command.CommandTimeout = 0;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) yield return read(reader);
    }
}
