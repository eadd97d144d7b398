using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Live;

/// <summary>
/// Announces a change from application code. It goes through PostgreSQL (not straight to the in-process bus) so that
/// every app instance hears it, and, inside a transaction, only once that transaction commits.
/// </summary>
public static class LiveNotifier
{
    public static Task NotifyAsync(DbContext db, string topic, string? id = null, string? kind = null, CancellationToken ct = default) =>
        db.Database.ExecuteSqlInterpolatedAsync($"SELECT live_notify({topic}, {id}, {kind})", ct);
}
