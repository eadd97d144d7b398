using System.Data;
using Admin.Data.Security;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Infrastructure;

/// <summary>
/// Runs a unit of work in a transaction of its own. Deadlocks and serialization failures are retried a few times
/// (they mean "try again", not "wrong"); other database errors go through <c>translate</c>, so a service can word
/// its constraints' refusals for people. A refusal for lack of rights (42501, row-level security) becomes an
/// <see cref="AccessDeniedException"/> whose message says why, in words for the person refused.
/// </summary>
public static class TransactionRunner
{
    public static async Task<T> RunAsync<T>(IDbContextFactory<AdminDbContext> dbFactory, Func<AdminDbContext, Task<T>> work,
        Func<Exception, Exception?> translate, CancellationToken ct, ISessionContextSource? who = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var subject = RlsSubject.Scope();
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
            try
            {
                var result = await work(db);
                await transaction.CommitAsync(ct);
                return result;
            }
            catch (Exception ex) when (attempt < 3 && IsTransient(ex))
            {
                await transaction.RollbackAsync(CancellationToken.None);
            }
            catch (Exception ex) when (DenialRecorder.Translate(ex, who?.Current ?? SessionContext.Anonymous) is { } denied)
            {
                throw denied;
            }
            catch (Exception ex) when (translate(ex) is { } friendly)
            {
                throw friendly;
            }
        }
    }

    public static bool IsTransient(Exception ex) =>
        (ex as PostgresException ?? ex.InnerException as PostgresException)?.SqlState
            is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure;
}
