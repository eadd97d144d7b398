using System.Diagnostics;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Content;

namespace Admin.Web.Tests.Content;

/// <summary>The schedule worker inside real app instances: exactly once across instances, and it outlives database errors.</summary>
public sealed class ScheduleWorkerTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> FastWorker = new()
    {
        ["Content:Schedules:IntervalSeconds"] = "1",
        ["Content:Schedules:BatchSize"] = "3",
    };

    private TestDatabase _db = default!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        await _db.SeedCatalogAsync();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    /// <summary>Sections with a schedule an hour ahead (the worker leaves them alone until <see cref="MakeDueAsync"/>).</summary>
    private async Task<List<Guid>> ScheduledSectionsAsync(int count)
    {
        var service = _db.ContentService();
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var id = await service.CreateAsync(new NewSection("en-GB", $"sched-{Guid.NewGuid():N}"[..20], SectionTypes.Hero, ContentFixtures.Hero($"Scheduled {i}")));
            await service.ScheduleAsync(id, 1, DateTimeOffset.UtcNow.AddHours(1), null);
            ids.Add(id);
        }
        return ids;
    }

    private async Task MakeDueAsync(IEnumerable<Guid> sections)
    {
        await using var owner = await _db.OpenAsync(TestPostgres.OwnerRole);
        await owner.ExecuteAsync($"UPDATE section_schedules SET publish_at = now() - interval '1 second' WHERE section_id IN ({Quoted(sections)})");
    }

    private async Task WaitAllPublishedAsync(IReadOnlyCollection<Guid> sections, TimeSpan within)
    {
        await using var app = await _db.OpenAppAsAdminAsync();
        var clock = Stopwatch.StartNew();
        long published;
        while ((published = await app.ScalarAsync<long>($"SELECT count(*) FROM homepage_sections WHERE status = 'published' AND id IN ({Quoted(sections)})")) < sections.Count)
        {
            if (clock.Elapsed > within) throw new TimeoutException($"{published} of {sections.Count} published after {within}");
            await Task.Delay(100);
        }
    }

    private static string Quoted(IEnumerable<Guid> ids) => string.Join(",", ids.Select(i => $"'{i}'"));

    [Fact]
    public async Task Two_app_instances_fire_each_due_schedule_exactly_once()
    {
        var sections = await ScheduledSectionsAsync(20);
        await using var first = new AdminAppFactory(_db, demoSeed: false, FastWorker);
        await using var second = new AdminAppFactory(_db, demoSeed: false, FastWorker);
        _ = first.Server;
        _ = second.Server;

        await MakeDueAsync(sections);
        await WaitAllPublishedAsync(sections, TimeSpan.FromSeconds(15));
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // two more ticks of each worker: nothing may fire again

        await using var app = await _db.OpenAppAsAdminAsync();
        var perSection = await app.ScalarAsync<string>($"""
            SELECT string_agg(DISTINCT n::text, ',') FROM (
                SELECT s.id, count(a.id) AS n FROM unnest(ARRAY[{Quoted(sections)}]::uuid[]) AS s(id)
                LEFT JOIN audit_events a ON a.action = '{ContentAuditActions.SchedulePublished}' AND a.record_id = s.id::text
                GROUP BY s.id) x
            """);
        Assert.Equal("1", perSection);
        Assert.Equal(20L, await app.ScalarAsync<long>($"""
            SELECT count(*) FROM section_schedules WHERE section_id IN ({Quoted(sections)}) AND status = 'active' AND executed_at IS NOT NULL
            """));
        Assert.Equal(ScheduleWorker.Actor, await app.ScalarAsync<string>($"""
            SELECT string_agg(DISTINCT actor_email, ',') FROM audit_events WHERE action = '{ContentAuditActions.SchedulePublished}'
            """));
    }

    [Fact]
    public async Task The_worker_survives_database_errors_and_fires_once_they_clear()
    {
        var sections = await ScheduledSectionsAsync(2);
        await using var factory = new AdminAppFactory(_db, demoSeed: false, FastWorker);
        _ = factory.Server;
        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("REVOKE UPDATE ON section_schedules FROM admin_app"); // FOR UPDATE now fails: permission denied

        await MakeDueAsync(sections);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await using (var app = await _db.OpenAppAsAdminAsync())
            Assert.Equal(0L, await app.ScalarAsync<long>($"SELECT count(*) FROM homepage_sections WHERE status = 'published' AND id IN ({Quoted(sections)})"));

        await using (var owner = await _db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("GRANT UPDATE ON section_schedules TO admin_app");
        await WaitAllPublishedAsync(sections, TimeSpan.FromSeconds(10));
    }
}
