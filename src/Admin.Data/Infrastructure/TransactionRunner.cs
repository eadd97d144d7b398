using System.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Infrastructure;

/// <summary>
/// Runs a unit of work in a transaction of its own. Deadlocks and serialization failures are retried a few times
/// (they mean "try again", not "wrong"); other database errors go through <c>translate</c>, so a service can word
/// its constraints' refusals for people.
/// </summary>
public static class TransactionRunner
{
    public static async Task<T> RunAsync<T>(IDbContextFactory<AdminDbContext> dbFactory, Func<AdminDbContext, Task<T>> work,
        Func<Exception, Exception?> translate, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
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
