using Admin.TestSupport;

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
