using Admin.Data.Content;
using Admin.TestSupport;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>A migrated test database with the reference data and a small catalog, shared by one component test class.</summary>
public sealed class ComponentDatabase : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = default!;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await Database.SeedCatalogAsync();
    }

    public async Task DisposeAsync() => await Database.DisposeAsync();
}

/// <summary>Component tests with the app's data services on the class's own database (sections are written in <see cref="Locale"/>).</summary>
public abstract class DatabaseComponentTest : ComponentTestContext, IClassFixture<ComponentDatabase>
{
    protected const string Locale = "en-GB";

    protected DatabaseComponentTest(ComponentDatabase fixture)
    {
        Db = fixture.Database;
        UseDatabase(Db);
    }

    protected TestDatabase Db { get; }

    /// <summary>Audit rows of <paramref name="action"/> by the signed-in test user.</summary>
    protected async Task<long> AuditCountAsync(string action)
    {
        await using var connection = await Db.OpenAppAsAdminAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT count(*) FROM audit_events WHERE action = @a AND actor_email = @e", connection);
        command.Parameters.AddWithValue("a", action);
        command.Parameters.AddWithValue("e", User!.Email);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    protected static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>The section editor on section <paramref name="id"/>, once its form is shown.</summary>
    protected IRenderedComponent<Admin.Web.Features.Content.SectionEditorPage> OpenEditor(Guid id)
    {
        RenderMudProviders();
        var editor = Render<Admin.Web.Features.Content.SectionEditorPage>(p => p.Add(c => c.Id, id));
        editor.WaitForElement("[data-testid=section-editor]");
        return editor;
    }

    /// <summary>A hero section (v1, a draft) created by the test editor of <see cref="ContentFixtures"/>.</summary>
    protected Task<Guid> HeroAsync(string key) =>
        Db.ContentService().CreateAsync(new NewSection(Locale, key, SectionTypes.Hero, ContentFixtures.Hero()));
}
