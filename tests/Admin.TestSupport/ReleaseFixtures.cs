using System.Text.Json.Nodes;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.Data.Session;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>Release-domain helpers shared by data tests, web tests and benchmarks.</summary>
public static class ReleaseFixtures
{
    public static readonly SessionContext Editor = ContentFixtures.Editor;

    public static readonly SessionContext Manager =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000b1"), "manager@test.local", ["ReleaseManager"], ContentFixtures.TestBrands, ContentFixtures.TestLocales, "test");

    public static readonly SessionContext OtherManager =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000b2"), "manager2@test.local", ["ReleaseManager"], ContentFixtures.TestBrands, ContentFixtures.TestLocales, "test");

    public static readonly SessionContext Dba =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000d1"), "dba@test.local", ["Dba"], [], [], "test");

    public static ReleaseService ReleaseService(this TestDatabase db, SessionContext? user = null) =>
        new(db.Factory(user ?? Editor), new FixedSessionContextSource(user ?? Editor), db.AppDataSource);

    public static async Task SeedReferenceAsync(this TestDatabase db)
    {
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await ReferenceData.SeedAsync(owner);
    }

    public static EntityDraft Translation(string key, string value, string locale = "en-GB", Guid? id = null) =>
        new(id, EntityTypes.Translation, key, locale, null, null, null, null, new JsonObject { ["value"] = value });

    public static EntityDraft Flag(string key, bool enabled, int percent = 100, Guid? id = null) =>
        new(id, EntityTypes.FeatureFlag, key, null, null, null, null, null,
            new JsonObject { ["enabled"] = enabled, ["rules"] = new JsonObject { ["percentage"] = percent } });

    public static EntityDraft Page(string slug, string title, string brand = "acme", string locale = "en-GB", Guid? id = null) =>
        new(id, EntityTypes.Page, null, locale, brand, null, slug, null, new JsonObject { ["title"] = title, ["body"] = "<p>Hello</p>" });

    /// <summary>Creates a release as the editor with the given changes, then submits and approves it (manager).</summary>
    public static async Task<long> ApprovedReleaseAsync(this TestDatabase db, string name, params EntityDraft[] changes)
    {
        var editor = db.ReleaseService(Editor);
        var id = await editor.CreateAsync(name, "");
        foreach (var change in changes) await editor.SaveEntityAsync(id, change);
        await editor.SubmitAsync(id);
        await db.ReleaseService(Manager).ApproveAsync(id);
        return id;
    }

    /// <summary>Sets the session context on a plain connection, with the app's own command.</summary>
    public static async Task SetSessionAsync(this NpgsqlConnection connection, SessionContext context)
    {
        await using var command = SessionContextInterceptor.BuildCommand(connection, context);
        await command.ExecuteNonQueryAsync();
    }
}
