using Admin.TestSupport;

namespace Admin.Data.Tests;

/// <summary>One fresh migrated database per test class (IClassFixture); tests of a class share it, so they key their rows.</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    public TestDatabase Database { get; private set; } = null!;

    public async Task InitializeAsync() => Database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await Database.DisposeAsync();
}
