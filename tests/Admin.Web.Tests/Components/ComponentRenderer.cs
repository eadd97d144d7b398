using System.Security.Claims;
using Admin.Web.Features.Account;
using Admin.Web.Live;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Radzen;

namespace Admin.Web.Tests.Components;

/// <summary>
/// Renders components to HTML with the framework's HtmlRenderer (bUnit is not served here), inside a cascading
/// authentication state for the given user, with the services the shell components use.
/// </summary>
public sealed class ComponentRenderer : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly HtmlRenderer _renderer;

    public LiveBus Bus { get; }

    public ComponentRenderer(ClaimsPrincipal? user = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<LiveBus>();
        services.AddRadzenComponents();
        services.AddAuthorizationCore(Areas.AddPolicies);
        services.AddSingleton<NavigationManager>(new FixedNavigationManager());
        services.AddSingleton<Microsoft.JSInterop.IJSRuntime>(new NoBrowserJsRuntime());
        services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationStateProvider(user ?? new ClaimsPrincipal(new ClaimsIdentity())));
        services.AddCascadingAuthenticationState();
        _services = services.BuildServiceProvider();
        _renderer = new HtmlRenderer(_services, _services.GetRequiredService<ILoggerFactory>());
        Bus = _services.GetRequiredService<LiveBus>();
    }

    public static ClaimsPrincipal User(string role, string name = "Test User", string[]? brands = null, string[]? locales = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()),
            new(ClaimTypes.Name, "test@test.local"),
            new(ClaimTypes.Email, "test@test.local"),
            new(ClaimTypes.Role, role),
            new(AppClaimsPrincipalFactory.DisplayNameClaim, name),
        };
        claims.AddRange((brands ?? []).Select(b => new Claim(ScopeClaims.Brand, b)));
        claims.AddRange((locales ?? []).Select(l => new Claim(ScopeClaims.Locale, l)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
    }

    public Task<string> RenderAsync<T>(Dictionary<string, object?>? parameters = null) where T : IComponent =>
        _renderer.Dispatcher.InvokeAsync(async () =>
        {
            // CascadingAuthenticationState as the root, as in the app, so AuthorizeView and [CascadingParameter] work.
            RenderFragment content = b =>
            {
                b.OpenComponent<T>(0);
                if (parameters is not null)
                    foreach (var (key, value) in parameters) b.AddComponentParameter(1, key, value);
                b.CloseComponent();
            };
            var root = await _renderer.RenderComponentAsync<CascadingAuthenticationState>(
                ParameterView.FromDictionary(new Dictionary<string, object?> { [nameof(CascadingAuthenticationState.ChildContent)] = content }));
            await root.QuiescenceTask;
            return System.Net.WebUtility.HtmlDecode(root.ToHtmlString());
        });

    public async ValueTask DisposeAsync()
    {
        await _renderer.DisposeAsync();
        await _services.DisposeAsync();
    }

    private sealed class FixedNavigationManager : NavigationManager
    {
        public FixedNavigationManager() => Initialize("http://localhost/", "http://localhost/");
        protected override void NavigateToCore(string uri, bool forceLoad) => Uri = ToAbsoluteUri(uri).ToString();
    }

    /// <summary>Static rendering runs no OnAfterRender, so components never call into a browser here.</summary>
    private sealed class NoBrowserJsRuntime : Microsoft.JSInterop.IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) =>
            throw new InvalidOperationException($"No browser in a render test (called {identifier}).");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) =>
            InvokeAsync<TValue>(identifier, args);
    }

    private sealed class FixedAuthenticationStateProvider(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
