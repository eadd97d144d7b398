using System.Data.Common;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Admin.Data.Security;

/// <summary>
/// Every statement the app's EF Core contexts run: when PostgreSQL refuses one for lack of rights (42501, row-level
/// security included), the refusal is recorded with its hint (<see cref="DenialRecorder"/>) and the friendly exception
/// is attached to the error, for the service layer to throw in its place (<see cref="DenialRecorder.Translate"/>).
/// </summary>
public sealed class DenialInterceptor(NpgsqlDataSource dataSource, ISessionContextSource source) : DbCommandInterceptor
{
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        RecordAsync(command, eventData.Exception, CancellationToken.None).GetAwaiter().GetResult();

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default) =>
        RecordAsync(command, eventData.Exception, cancellationToken);

    private async Task RecordAsync(DbCommand command, Exception exception, CancellationToken ct)
    {
        if (RlsRefusal.FindPostgres(exception) is not { SqlState: PostgresErrorCodes.InsufficientPrivilege } pg) return;
        if (pg.Data.Contains(AccessDeniedException.DataKey)) return;
        var who = source.Current;
        var refusal = RlsRefusal.From(pg, command.CommandText)!;
        var subject = RlsSubject.Current;
        var hint = RlsHints.For(refusal, who, subject);
        var id = await DenialRecorder.RecordAsync(dataSource, who, refusal, hint, subject, ct).ConfigureAwait(false);
        pg.Data[AccessDeniedException.DataKey] = new AccessDeniedException(hint, refusal, who.RequestId, id, pg);
    }
}
