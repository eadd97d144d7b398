using Admin.Data.Content;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;
using static Admin.TestSupport.ContentFixtures;

namespace Admin.Data.Tests.Content;

/// <summary>
/// Review before publish: an admin turns it on per locale; then a version goes live (now or by schedule, or by plain
/// SQL) only once someone other than its author approved it; a reviewer sends back with a comment; notes stay in order.
/// </summary>
public sealed class ContentReviewTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly SessionContext Admin = new(Guid.Parse("00000000-0000-0000-0000-0000000000a1"), "admin@test.local", ["Admin"], [], [], "test");
    private TestDatabase Db => fixture.Database;

    private ContentReviews Reviews(SessionContext user) => new(Db.Factory(user), new FixedSessionContextSource(user));

    private async Task<Guid> HeroAsync(string locale) =>
        await Db.ContentService().CreateAsync(new NewSection(locale, "review-" + Guid.NewGuid().ToString("N")[..8], SectionTypes.Hero, Hero()));

    [Fact]
    public async Task With_review_on_a_version_goes_live_only_after_another_editor_approves_it()
    {
        await Db.SeedCatalogAsync();
        const string locale = "fr-FR";
        var section = await HeroAsync(locale);
        var editor = Db.ContentService(Editor);
        await Reviews(Admin).SetRequiredAsync(locale, true);
        Assert.True((await Reviews(Editor).LocaleAsync(locale)).Required);

        var refused = await Assert.ThrowsAsync<ContentException>(() => editor.PublishAsync(section, 1));
        Assert.Contains("Review is on for fr-FR", refused.Message);
        await Assert.ThrowsAsync<ContentException>(() => editor.ScheduleAsync(section, 1, DateTimeOffset.UtcNow.AddHours(1), null));

        // The author asks; approving their own version is refused (four eyes); sending back needs a comment.
        await Reviews(Editor).RequestAsync(section, 1, "Ready for the spring campaign");
        Assert.Contains("already waiting for review", (await Assert.ThrowsAsync<ContentException>(() => Reviews(Editor).RequestAsync(section, 1, null))).Message);
        Assert.Contains("Four eyes", (await Assert.ThrowsAsync<ContentException>(() => Reviews(Editor).ApproveAsync(section, 1, null))).Message);
        Assert.Contains("needs a comment", (await Assert.ThrowsAsync<ContentException>(() => Reviews(OtherEditor).SendBackAsync(section, 1, " "))).Message);
        await Reviews(OtherEditor).SendBackAsync(section, 1, "The headline is too long");
        Assert.Contains("Nobody asked", (await Assert.ThrowsAsync<ContentException>(() => Reviews(OtherEditor).ApproveAsync(section, 1, null))).Message);

        await Reviews(Editor).RequestAsync(section, 1, "Shortened");
        await Reviews(OtherEditor).ApproveAsync(section, 1, "Good to go");
        await editor.PublishAsync(section, 1);
        Assert.Equal(SectionStatuses.Published, (await editor.GetAsync(section))!.Section.Status);

        var review = await Reviews(Editor).ForSectionAsync(section);
        Assert.True(review.Required);
        Assert.Equal([NoteKinds.ReviewRequested, NoteKinds.ChangesRequested, NoteKinds.ReviewRequested, NoteKinds.Approved], review.NotesOf(1).Select(n => n.Kind));
        Assert.Equal(("other@test.local", "The headline is too long"), (review.Notes[1].AuthorEmail, review.Notes[1].Body));
        Assert.True(review.AllowsPublish(1));
        await using var owner = await Db.OpenAsync(TestPostgres.OwnerRole);
        Assert.Equal(4L, await owner.ScalarAsync<long>($"SELECT count(*) FROM audit_events WHERE record_id = '{section}' AND action LIKE 'content.review%'"));
    }

    [Fact]
    public async Task The_database_refuses_an_unapproved_version_going_live_and_an_editor_switching_review()
    {
        await Db.SeedCatalogAsync();
        const string locale = "nl-NL";
        var section = await HeroAsync(locale);
        await Reviews(Admin).SetRequiredAsync(locale, true);
        await Db.ContentService().SaveDraftAsync(section, 1, Hero("Second"), "second");

        // Plain SQL as an editor: the trigger is the backstop.
        await using (var connection = await Db.OpenAsync(TestPostgres.AppRole))
        {
            await connection.SetSessionAsync(Editor);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync($"""
                UPDATE homepage_sections SET published_version_id = (SELECT id FROM section_versions WHERE section_id = '{section}' AND version_number = 2),
                                             status = 'published'
                WHERE id = '{section}'
                """));
            Assert.Equal("section_review_required", refused.ConstraintName);
        }

        Assert.Contains("Only an Admin", (await Assert.ThrowsAsync<ContentException>(() => Reviews(Editor).SetRequiredAsync(locale, false))).Message);
        await using (var connection = await Db.OpenAsync(TestPostgres.AppRole))
        {
            await connection.SetSessionAsync(Editor);
            // Row-level security hides the row from an editor's update: nothing changes.
            await using var update = new NpgsqlCommand($"UPDATE content_review_locales SET required = false WHERE locale = '{locale}'", connection);
            Assert.Equal(0, await update.ExecuteNonQueryAsync());
        }
        Assert.True((await Reviews(Admin).LocaleAsync(locale)).Required);

        // Only editors and admins write notes: the service says so, and row-level security refuses a DBA's insert.
        var manager = new SessionContext(Guid.NewGuid(), "rm@test.local", ["ReleaseManager"], [], [], "test");
        Assert.Contains("Only editors and admins", (await Assert.ThrowsAsync<ContentException>(() => Reviews(manager).CommentAsync(section, 2, "hi"))).Message);
        await using (var connection = await Db.OpenAsync(TestPostgres.AppRole))
        {
            await connection.SetSessionAsync(new SessionContext(Guid.NewGuid(), "dba@test.local", ["Dba"], [], [], "test"));
            var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.ExecuteAsync($"""
                INSERT INTO section_version_notes (section_id, version_id, kind, body)
                SELECT '{section}', id, 'comment', 'x' FROM section_versions WHERE section_id = '{section}' AND version_number = 2
                """));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        // Off again: any saved version publishes.
        await Reviews(Admin).SetRequiredAsync(locale, false);
        await Db.ContentService().PublishAsync(section, 2);
    }
}
