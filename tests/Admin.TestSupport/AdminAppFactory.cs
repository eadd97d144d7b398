using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.TestSupport;

/// <summary>
/// The real web app (Program) against a test database. In-memory TestServer by default; <see cref="StartKestrel"/>
/// serves it on a free loopback port for browsers and SignalR clients.
/// </summary>
/// <param name="settings">Extra configuration, e.g. ["Content:Delivery:PermitLimit"] = "3".</param>
public sealed class AdminAppFactory(TestDatabase database, bool demoSeed = true, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Program>
{
    public TestDatabase Database { get; } = database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Admin", Database.AppConnectionString);
        builder.UseSetting("ConnectionStrings:AdminOwner", Database.OwnerConnectionString);
        builder.UseSetting("ConnectionStrings:AdminExplain", Database.ExplainConnectionString);
        builder.UseSetting("Admin:DemoSeed", demoSeed ? "true" : "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.UseSetting("Logging:LogLevel:Admin", "Information");
        // Tests sign in hundreds of times from one address; the sign-in throttle's own tests set their limits.
        builder.UseSetting("Account:SignIn:PerAddress:PermitLimit", "0");
        builder.UseSetting("Account:SignIn:PerAccount:PermitLimit", "0");
        // Tests read the release page's prerendered HTML: it waits for its read (the app hands a slow one to the circuit).
        builder.UseSetting("Releases:PrerenderWait", "00:00:30");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }

    /// <summary>Starts Kestrel on a free port and returns the base address (e.g. http://127.0.0.1:41234).</summary>
    public Uri StartKestrel()
    {
        UseKestrel(0);
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }
}
