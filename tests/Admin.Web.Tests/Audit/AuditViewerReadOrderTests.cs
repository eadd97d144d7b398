using Admin.Data;
using Admin.Data.Audit;
using Admin.TestSupport;
using Admin.Web.Features.Audit;
using Microsoft.EntityFrameworkCore;

namespace Admin.Web.Tests.Audit;

/// <summary>
/// A live reload still reading when a new filter is applied must not replace the filtered rows when it finishes last
/// (seen in a browser test: an unfiltered row under "action=release.").
/// </summary>
public sealed class AuditViewerReadOrderTests : IAsyncLifetime
{
    private TestDatabase _db = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync("INSERT INTO audit_events (action) VALUES ('release.created'), ('auth.login'), ('release.approved'), ('auth.login')");
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_read_overtaken_by_a_later_one_is_dropped()
    {
        var factory = new HeldFirstFactory(_db);
        var state = new AuditViewerState(new AuditSearch(factory), TimeProvider.System);

        state.SetView(new AuditView());
        var tail = state.LoadAsync(markFresh: true);            // the live reload, held before it reads
        await factory.FirstAsked.Task;
        await state.ShowAsync(new AuditView(Action: "release.")); // the filter applied meanwhile
        Assert.Equal(["release.approved", "release.created"], state.Events.Select(e => e.Action));

        factory.Release.SetResult();
        await tail;
        Assert.Equal(["release.approved", "release.created"], state.Events.Select(e => e.Action));
        Assert.Empty(state.Fresh);
    }

    /// <summary>Holds the first context it is asked for until released; later ones come at once.</summary>
    private sealed class HeldFirstFactory(TestDatabase db) : IDbContextFactory<AdminDbContext>
    {
        private int _asked;
        public TaskCompletionSource FirstAsked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AdminDbContext CreateDbContext() => db.CreateAppContext(TestContexts.Admin);

        public async Task<AdminDbContext> CreateDbContextAsync(CancellationToken ct = default)
        {
            if (Interlocked.Increment(ref _asked) == 1)
            {
                FirstAsked.SetResult();
                await Release.Task.WaitAsync(ct);
            }
            return CreateDbContext();
        }
    }
}
