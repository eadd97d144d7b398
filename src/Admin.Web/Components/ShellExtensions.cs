using Admin.Web.Infrastructure;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Radzen;

namespace Admin.Web.Components;

/// <summary>The Blazor app shell: Razor components in interactive server mode, Radzen, theme cookie, static assets.</summary>
public static class ShellExtensions
{
    public const string ThemeCookie = "admin.theme";

    /// <summary>The themes the header's appearance toggle switches between; a cookie naming anything else is ignored.</summary>
    public static readonly IReadOnlySet<string> Themes = new HashSet<string> { "material", "material-dark" };

    public static IServiceCollection AddShell(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddOptions<ReconnectOptions>().BindConfiguration(ReconnectOptions.Section)
            .Validate(o => o.RetryIntervalSeconds is >= 1 and <= 600, "Reconnect:RetryIntervalSeconds must be between 1 and 600.")
            .Validate(o => o.MaxRetries is >= 1 and <= 10_000, "Reconnect:MaxRetries must be between 1 and 10000.")
            .ValidateOnStart();
        services.AddScoped<CircuitHandler, UserCircuitHandler>();
        services.AddRadzenComponents();
        services.AddRadzenCookieThemeService(o =>
        {
            o.Name = ThemeCookie;
            o.Duration = TimeSpan.FromDays(365);
        });
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
