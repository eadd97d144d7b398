using Admin.Data;
using Admin.TestSupport;
using Admin.Data.Audit;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Tests.Audit;

public sealed class AuditQueriesTests : IAsyncLifetime
{
    private TestDatabase _db = default!;
    private AuditQueries _queries = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _queries = new AuditQueries(new Factory(_db));
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        // Two sign-ins and a failure in the current hour, one change two hours ago, and one event outside the window.
        await owner.ExecuteAsync("""
            INSERT INTO audit_events (occurred_at, action) VALUES
              (date_trunc('hour', now()) + interval '1 minute', 'auth.login'),
              (date_trunc('hour', now()) + interval '2 minutes', 'auth.login'),
              (date_trunc('hour', now()) + interval '3 minutes', 'auth.login_failed'),
              (date_trunc('hour', now()) - interval '2 hours' + interval '5 minutes', 'user.roles_changed'),
              (now() - interval '30 hours', 'auth.login');
            """);
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task Per_hour_counts_fill_every_hour_of_the_window_and_split_by_kind()
    {
        var rows = await _queries.PerHourAsync(24);

        Assert.Equal(24, rows.Count);
        Assert.Equal(rows.OrderBy(r => r.Hour), rows);
        var current = rows[^1];
        Assert.Equal((2L, 1L, 0L), (current.Succeeded, current.Failed, current.Other));
        Assert.Equal((0L, 0L, 1L), (rows[^3].Succeeded, rows[^3].Failed, rows[^3].Other));
        Assert.Equal(4L, rows.Sum(r => r.Succeeded + r.Failed + r.Other));
    }

    private sealed class Factory(TestDatabase db) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => db.CreateAppContext(TestContexts.Admin);
    }
}
