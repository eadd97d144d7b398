using Admin.Data.Content;
using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Content;

/// <summary>
/// Autosaved working copies: one per editor and section, replaced on every save, read and written only by their
/// owner (row-level security), refused outside the editor's locales and for roles that do not edit.
/// </summary>
public sealed class WorkingCopyTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private TestDatabase Db => fixture.Database;

    public async Task InitializeAsync() => await Db.SeedCatalogAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private Task<Guid> HeroAsync(string locale = "en-GB") =>
        Db.ContentService().CreateAsync(new NewSection(locale, "wc-" + Guid.NewGuid().ToString("N")[..10], SectionTypes.Hero, ContentFixtures.Hero()));

    [Fact]
    public async Task Two_editors_keep_their_own_copies_of_one_section_and_neither_sees_or_removes_the_others()
    {
        var id = await HeroAsync();
        var mine = Db.ContentService(ContentFixtures.Editor);
        var theirs = Db.ContentService(ContentFixtures.OtherEditor);

        await mine.SaveWorkingCopyAsync(id, 1, ContentFixtures.Hero("Mine, first"));
        await mine.SaveWorkingCopyAsync(id, 1, ContentFixtures.Hero("Mine, second"));
        await theirs.SaveWorkingCopyAsync(id, 1, ContentFixtures.Hero("Theirs"));

        Assert.Equal("Mine, second", (await mine.WorkingCopyAsync(id))!.Content["title"]!.GetValue<string>());
        Assert.Equal("Theirs", (await theirs.WorkingCopyAsync(id))!.Content["title"]!.GetValue<string>());
        await theirs.DiscardWorkingCopyAsync(id);
        Assert.Null(await theirs.WorkingCopyAsync(id));
        Assert.Equal("Mine, second", (await mine.WorkingCopyAsync(id))!.Content["title"]!.GetValue<string>());

        // Even a direct statement as the other editor sees no row of mine and changes none.
        await using var other = await Db.OpenAsync(TestPostgres.AppRole);
        await SessionAsync(other, ContentFixtures.OtherEditor);
        await using var update = new NpgsqlCommand("UPDATE section_working_copies SET content = '{}' WHERE section_id = $1", other)
        {
            Parameters = { new() { Value = id } },
        };
        Assert.Equal(0, await update.ExecuteNonQueryAsync());
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO section_working_copies (section_id, user_id, base_version, content) VALUES ($1, '{ContentFixtures.Editor.UserId}', 1, '{{}}')", other)
        {
            Parameters = { new() { Value = id } },
        };
        var refused = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
    }

    [Fact]
    public async Task A_copy_is_refused_outside_the_editors_locales_and_for_a_release_manager()
    {
        var id = await HeroAsync("de-DE");
        var englishOnly = new SessionContext(Guid.NewGuid(), "en@test.local", ["Editor"], ContentFixtures.TestBrands, ["en-GB"], "test");
        var manager = new SessionContext(Guid.NewGuid(), "rm@test.local", ["ReleaseManager"], [], [], "test");

        foreach (var user in new[] { englishOnly, manager })
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => Db.ContentService(user).SaveWorkingCopyAsync(id, 1, ContentFixtures.Hero()));
            Assert.Contains("42501", refused.ToString());
        }
    }

    private static async Task SessionAsync(NpgsqlConnection connection, SessionContext user)
    {
        await using var set = new NpgsqlCommand(
            "SELECT set_config('app.user_id', $1, false), set_config('app.roles', $2, false), set_config('app.locales', $3, false), set_config('app.brands', $4, false)", connection)
        {
            Parameters =
            {
                new() { Value = user.UserId!.Value.ToString() }, new() { Value = string.Join(',', user.Roles) },
                new() { Value = string.Join(',', user.Locales) }, new() { Value = string.Join(',', user.Brands) },
            },
        };
        await set.ExecuteNonQueryAsync();
    }
}
