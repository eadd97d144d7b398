using Admin.Data.Security;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Session;

/// <summary>
/// Contexts over the app's data source carrying the identity of <paramref name="session"/> rather than the current
/// request's or circuit's: for work that runs outside a request (jobs) or outlives the one that started it.
/// </summary>
public sealed class SessionDbContexts(NpgsqlDataSource dataSource, ISessionContextSource session) : IDbContextFactory<AdminDbContext>
{
    private readonly DbContextOptions<AdminDbContext> _options = new DbContextOptionsBuilder<AdminDbContext>()
        .UseNpgsql(dataSource)
        .AddInterceptors(new SessionContextInterceptor(session), new DenialInterceptor(dataSource, session))
        .Options;

    public AdminDbContext CreateDbContext() => new(_options);
}
