using Admin.Data.Releases;
using Admin.TestSupport;

namespace Admin.Data.Tests.Releases;

public sealed class ReleaseSeederTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    [Fact]
    public async Task Demo_seed_adds_releases_in_every_state_once_through_the_triggers()
    {
        var db = fixture.Database;
        await db.SeedReferenceAsync();
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
        {
            Assert.Equal(7, await ReleaseSeeder.SeedAsync(owner, ReleaseSeedShape.Small));
            Assert.Equal(0, await ReleaseSeeder.SeedAsync(owner, ReleaseSeedShape.Small));
            Assert.Equal(6, await owner.ScalarAsync<long>("SELECT count(DISTINCT status) FROM releases"));
            // Written through the triggers: audited, with authors and approvers.
            Assert.True(await owner.ScalarAsync<long>("SELECT count(*) FROM audit_events WHERE action = 'release.deployed'") >= 3);
        }

        var service = db.ReleaseService(ReleaseFixtures.Manager);
        var page = await service.ListAsync();
        Assert.Equal(7, page.Items.Count);
        var wording = page.Items.Single(r => r.Name == "Payment button wording");
        Assert.True(wording.Warnings > 0);
        var live = await service.LiveAsync(new LiveQuery(Type: EntityTypes.Translation, Key: "checkout.title", Locale: "en-GB"));
        Assert.Contains("Your basket", Assert.Single(live.Items).Payload);
    }
}
