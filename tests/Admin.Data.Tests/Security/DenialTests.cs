using Admin.Data.Content;
using Admin.Data.Releases;
using Admin.Data.Security;
using Admin.Data.Session;
using Admin.TestSupport;

namespace Admin.Data.Tests.Security;

/// <summary>
/// Refusals by PostgreSQL (42501) reach the person as a hint in plain words and are recorded in rls_denials in a
/// transaction of their own, with who, what, the policy and the request id, while the refused change leaves nothing.
/// </summary>
public sealed class DenialTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private static readonly SessionContext GlobexEditor =
        new(Guid.Parse("00000000-0000-0000-0000-00000000c0e1"), "globex.editor@test.local", ["Editor"], ["globex"], ["fr-FR"], "req-denial-1");

    private TestDatabase Db => fixture.Database;

    [Fact]
    public async Task An_editor_adding_a_page_of_a_brand_they_do_not_hold_gets_the_hint_and_the_denial_is_recorded()
    {
        await Db.SeedReferenceAsync();
        var editor = Db.ReleaseService(GlobexEditor);
        var release = await editor.CreateAsync("Globex refresh", "");

        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() =>
            editor.SaveEntityAsync(release, ReleaseFixtures.Page("about-acme", "About Acme", brand: "acme", locale: "fr-FR")));

        Assert.Equal("You edit brands [globex]; this page (about-acme) belongs to acme. Ask an admin for access to acme.", denied.Hint);
        Assert.EndsWith("Reference: req-denial-1.", denied.Message);
        Assert.Equal("req-denial-1", denied.RequestId);
        Assert.NotNull(denied.DenialId);
        Assert.Equal("entity_versions_insert_scope", denied.Refusal.Policy);

        await using var admin = await Db.OpenAppAsAdminAsync();
        Assert.Equal(0L, await admin.ScalarAsync<long>($"SELECT count(*) FROM entity_versions WHERE release_id = {release}"));
        var row = await admin.ScalarAsync<string>($"""
            SELECT concat_ws(' | ', user_email, array_to_string(roles, ','), array_to_string(brands, ','), array_to_string(locales, ','),
                             table_name, operation, sqlstate, policy, request_id, detail->>'brand', hint)
            FROM rls_denials WHERE id = {denied.DenialId}
            """);
        Assert.Equal("globex.editor@test.local | Editor | globex | fr-FR | entity_versions | INSERT | 42501 | entity_versions_insert_scope | " +
                     "req-denial-1 | acme | " + denied.Hint, row);
    }

    [Fact]
    public async Task An_editor_saving_a_section_outside_their_locales_is_told_which_locale_and_nothing_is_saved()
    {
        await Db.SeedReferenceAsync();
        var section = await Db.ContentService(ContentFixtures.Editor)
            .CreateAsync(new NewSection("nl-NL", "denied-" + Guid.NewGuid().ToString("N")[..6], SectionTypes.Hero, ContentFixtures.Hero()));
        var outsider = GlobexEditor with { RequestId = "req-denial-2" };

        var denied = await Assert.ThrowsAsync<AccessDeniedException>(() =>
            Db.ContentService(outsider).SaveDraftAsync(section, 1, ContentFixtures.Hero("Not mine"), "try"));

        Assert.StartsWith("You edit locales [fr-FR]; section 'denied-", denied.Hint);
        Assert.EndsWith("' is in nl-NL. Ask an admin for access to nl-NL.", denied.Hint);
        await using var admin = await Db.OpenAppAsAdminAsync();
        Assert.Equal(1L, await admin.ScalarAsync<long>($"SELECT count(*) FROM section_versions WHERE section_id = '{section}'"));
        Assert.Equal("homepage_sections UPDATE homepage_sections_update_scope", await admin.ScalarAsync<string>(
            "SELECT concat_ws(' ', table_name, operation, policy) FROM rls_denials WHERE request_id = 'req-denial-2'"));
    }

    [Fact]
    public async Task An_editor_approving_their_release_is_refused_in_the_databases_own_words()
    {
        await Db.SeedReferenceAsync();
        var editor = Db.ReleaseService(ContentFixtures.Editor);
        var release = await editor.CreateAsync("Self approval", "");
        await editor.SaveEntityAsync(release, ReleaseFixtures.Translation("self.approve", "Hi"));
        await editor.SubmitAsync(release);

        // The service refuses first; plain EF through the app's interceptors shows what the database itself says.
        await using var db = Db.CreateAppContext(ContentFixtures.Editor with { RequestId = "req-denial-3" });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions
            .ExecuteSqlAsync(db.Database, $"UPDATE releases SET status = 'APPROVED' WHERE id = {release}"));
        var translated = DenialRecorder.Translate(error, ContentFixtures.Editor);

        Assert.NotNull(translated);
        Assert.Equal("Only a ReleaseManager or an Admin can mark a release approved. Ask an admin for access if you need it.", translated.Hint);
        await using var admin = await Db.OpenAppAsAdminAsync();
        Assert.Equal("releases UPDATE", await admin.ScalarAsync<string>(
            "SELECT concat_ws(' ', table_name, operation) FROM rls_denials WHERE request_id = 'req-denial-3'"));
        Assert.Equal(ReleaseStatuses.InReview, await admin.ScalarAsync<string>($"SELECT status FROM releases WHERE id = {release}"));
    }

    [Fact]
    public async Task A_denial_without_a_session_says_to_sign_in_again()
    {
        await using var db = Db.CreateAppContext(SessionContext.Anonymous);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions
            .ExecuteSqlRawAsync(db.Database, "INSERT INTO releases (name) VALUES ('anonymous')"));

        Assert.StartsWith("This request carried no signed-in user", DenialRecorder.Translate(error, SessionContext.Anonymous)!.Message);
    }
}
