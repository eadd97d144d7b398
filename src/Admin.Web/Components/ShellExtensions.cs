using Admin.Web.Infrastructure;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Admin.Web.Components.Layout;
using Admin.Web.Components.Shared;
using MudBlazor;
using MudBlazor.Services;

namespace Admin.Web.Components;

/// <summary>The Blazor app shell: Razor components in interactive server mode, MudBlazor, the theme, static assets.</summary>
public static class ShellExtensions
{
    public const string ThemeCookie = ThemePreference.Cookie;

    public static IServiceCollection AddShell(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddOptions<ReconnectOptions>().BindConfiguration(ReconnectOptions.Section)
            .Validate(o => o.RetryIntervalSeconds is >= 1 and <= 600, "Reconnect:RetryIntervalSeconds must be between 1 and 600.")
            .Validate(o => o.MaxRetries is >= 1 and <= 10_000, "Reconnect:MaxRetries must be between 1 and 10000.")
            .ValidateOnStart();
        services.AddScoped<CircuitHandler, UserCircuitHandler>();
        services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            o.SnackbarConfiguration.PreventDuplicates = false;
            o.SnackbarConfiguration.VisibleStateDuration = 6000;
            o.SnackbarConfiguration.ShowCloseIcon = true;
        });
        services.AddScoped<ThemePreference>();
        services.AddScoped<BrowserClock>();
        services.AddScoped<Notify>();
        services.AddScoped<Confirm>();
        services.AddSingleton<PrerenderHandoff>();
        return services;
    }

    public static WebApplication UseShell(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        return app;
    }

    public static WebApplication MapShell(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
