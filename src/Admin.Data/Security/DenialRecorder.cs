using System.Text.Json.Nodes;
using Admin.Data.Session;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Security;

/// <summary>
/// Records a refusal in rls_denials through denial_write, on a connection and in a transaction of its own: the refused
/// statement's transaction is aborted and rolls back, and must not take the record with it. Never throws: failing to
/// record must not hide the refusal from the person refused.
/// </summary>
public static class DenialRecorder
{
    public static async Task<long?> RecordAsync(NpgsqlDataSource dataSource, SessionContext who, RlsRefusal refusal, string hint,
        RlsSubject? subject, CancellationToken ct = default)
    {
        try
        {
            await using var connection = await SessionConnection.OpenAsync(dataSource, who, ct).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT denial_write($1, $2, $3, $4, $5, $6, $7::jsonb)", connection);
            var detail = subject is null ? null : new JsonObject
            {
                ["recordId"] = subject.RecordId, ["brand"] = subject.Brand, ["locale"] = subject.Locale, ["description"] = subject.Description,
            };
            foreach (var value in new object?[] { refusal.Table, refusal.Operation, refusal.SqlState, refusal.Message, refusal.Policy, hint, detail?.ToJsonString() })
                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            return (long?)await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The friendly exception for a refusal: recorded already by <see cref="DenialInterceptor"/>, or worded now.</summary>
    public static AccessDeniedException? Translate(Exception exception, SessionContext who)
    {
        var pg = RlsRefusal.FindPostgres(exception);
        if (pg?.SqlState != PostgresErrorCodes.InsufficientPrivilege) return null;
        if (pg.Data[AccessDeniedException.DataKey] is AccessDeniedException recorded) return recorded;
        var refusal = RlsRefusal.From(pg, pg.BatchCommand?.CommandText)!;
        return new AccessDeniedException(RlsHints.For(refusal, who, RlsSubject.Current), refusal, who.RequestId, null, exception);
    }
}
