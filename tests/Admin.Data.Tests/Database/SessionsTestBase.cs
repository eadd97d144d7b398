using Admin.Data.Database;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Database;

/// <summary>
/// A test class watching real sessions of its own database through the console's monitoring target (admin_app):
/// sessions opened with <see cref="SessionAsync"/> are ended and closed after each test.
/// </summary>
public abstract class SessionsTestBase(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly List<TestSession> _sessions = [];

    protected DatabaseFixture Fixture => fixture;
    protected MonitoringTargets Targets { get; private set; } = null!;
    protected NpgsqlDataSource Monitoring => Targets.Default.DataSource;

    public Task InitializeAsync()
    {
        Targets = new MonitoringTargets(fixture.Database.AppConnectionString, new Dictionary<string, string>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var session in _sessions) await session.DisposeAsync();
        await Targets.DisposeAsync();
    }

    /// <summary>A session of the owner role tagged with <paramref name="application"/>, closed after the test.</summary>
    protected async Task<TestSession> SessionAsync(string application)
    {
        var session = await TestSession.OpenAsync(fixture.Database.Name, application);
        _sessions.Add(session);
        return session;
    }
}
