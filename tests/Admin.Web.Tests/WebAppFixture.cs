using System.Net;
using System.Text.RegularExpressions;
using Admin.TestSupport;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;

namespace Admin.Web.Tests;

/// <summary>One running app (in-memory server) on its own migrated, demo-seeded database, shared by a test class.</summary>
public class WebAppFixture : IAsyncLifetime
{
    /// <summary>Configuration the app starts with (demo users are always seeded).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    public TestDatabase Database { get; private set; } = default!;
    public AdminAppFactory Factory { get; private set; } = default!;

    public virtual async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        Factory = new AdminAppFactory(Database, settings: Settings);
        _ = Factory.Server; // start now, so migrations and the demo seed are not timed in the first test
    }

    public virtual async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Database.DisposeAsync();
    }

    public HttpClient Anonymous() =>
        Factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    /// <summary>A client carrying a new deploy API token (named <paramref name="prefix"/>-…, limited to <paramref name="scope"/>).</summary>
    public async Task<HttpClient> TokenClientAsync(string prefix, Admin.Data.Deployments.TokenScope? scope = null)
    {
        var created = await Database.NewTokenAsync(prefix + "-" + Guid.NewGuid().ToString("N")[..6], scope);
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", created.Secret);
        return client;
    }

    /// <summary>A client of the app whose requests come from the given address (the sign-in throttle counts per address), with cookies.</summary>
    public static HttpClient ClientFrom(WebApplicationFactory<Program> factory, string address)
    {
        var ip = IPAddress.Parse(address);
        var handler = new CookieContainerHandler { InnerHandler = factory.Server.CreateHandler(c => c.Connection.RemoteIpAddress = ip) };
        return new HttpClient(handler) { BaseAddress = factory.Server.BaseAddress };
    }

    /// <summary>A client signed in through the real login form (antiforgery token and all).</summary>
    public async Task<HttpClient> SignedInAsync(string email, string password)
    {
        var client = Anonymous();
        var response = await PostLoginAsync(client, email, password);
        if (response.StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException($"Login as {email} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    /// <summary>The page as the demo user of the role gets it (asserted 200), HTML entities decoded.</summary>
    public async Task<string> PageAsync(string path, string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Asserts that the demo user of the role is sent to the access-denied page instead of the page.</summary>
    public async Task AssertRefusedAsync(string path, string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }

    public static async Task<HttpResponseMessage> PostLoginAsync(HttpClient client, string email, string password, string? returnUrl = null)
    {
        var path = "/Account/Login" + (returnUrl is null ? "" : "?returnUrl=" + Uri.EscapeDataString(returnUrl));
        var form = await client.GetStringAsync(path);
        return await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    public static string AntiforgeryToken(string html) =>
        Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
}

/// <summary>The same app with demo users but no demo content: for tests that need locales to start empty.</summary>
public sealed class EmptyContentWebAppFixture : WebAppFixture
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Admin:DemoContent"] = "false" };
}
