using Admin.Data.Content;
using Admin.TestSupport;

namespace Admin.Data.Tests.Content;

public sealed class DueSchedulesTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task A_schedule_that_can_no_longer_publish_is_cancelled_with_its_reason_and_does_not_hold_up_the_others()
    {
        var products = (await Db.SeedCatalogAsync()).Products;
        var service = Db.ContentService();
        var carousel = await service.CreateAsync(new NewSection("en-GB", "poison-" + Guid.NewGuid().ToString("N")[..8], SectionTypes.ProductCarousel,
            ContentFixtures.Carousel([products[0], products[1]])));
        var hero = await service.CreateAsync(new NewSection("en-GB", "behind-" + Guid.NewGuid().ToString("N")[..8], SectionTypes.Hero, ContentFixtures.Hero()));
        await service.ScheduleAsync(carousel, 1, DateTimeOffset.UtcNow.AddMinutes(5), null);
        await service.ScheduleAsync(hero, 1, DateTimeOffset.UtcNow.AddMinutes(6), null);
        await using (var owner = await Db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"""
                UPDATE products SET is_active = false WHERE id = '{products[1]}';
                UPDATE section_schedules SET publish_at = publish_at - interval '10 minutes' WHERE section_id IN ('{carousel}', '{hero}');
                """);
        try
        {
            // One schedule per batch: the unpublishable one comes first.
            Assert.Equal(1, await service.RunDueSchedulesAsync(batchSize: 1));
            Assert.Equal(1, await service.RunDueSchedulesAsync(batchSize: 1));
            Assert.Equal(0, await service.RunDueSchedulesAsync(batchSize: 1));

            Assert.Equal(SectionStatuses.Draft, (await service.GetAsync(carousel))!.Section.Status);
            Assert.Equal(SectionStatuses.Published, (await service.GetAsync(hero))!.Section.Status);
            await using var app = await Db.OpenAppAsAdminAsync();
            Assert.Equal("cancelled", await app.ScalarAsync<string>($"SELECT status FROM section_schedules WHERE section_id = '{carousel}'"));
            Assert.Contains("no longer exist or are inactive", await app.ScalarAsync<string>($"""
                SELECT new_data->>'reason' FROM audit_events WHERE action = '{ContentAuditActions.ScheduleCancelled}' AND record_id = '{carousel}'
                """));
        }
        finally
        {
            await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
            await owner.ExecuteAsync($"UPDATE products SET is_active = true WHERE id = '{products[1]}'");
        }
    }
}
