using Admin.Data.Account;
using Admin.Data.Audit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Admin.Web.Features.Account;

public static class AccountFeature
{
    public static IServiceCollection AddAccountFeature(this IServiceCollection services)
    {
        services.AddAccountData();
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section)
            .Validate(o => o.RevalidationSeconds is >= 1 and <= 3600, "Account:RevalidationSeconds must be between 1 and 3600.")
            .ValidateOnStart();

        services.AddAuthentication(o =>
        {
            o.DefaultScheme = IdentityConstants.ApplicationScheme;
            o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
        }).AddIdentityCookies();
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/Account/Login";
            o.LogoutPath = "/Account/Logout";
            o.AccessDeniedPath = "/Account/AccessDenied";
            o.Cookie.Name = "admin.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            // Programs (API clients, SignalR) get 401/403; only browsers are redirected to the login page.
            o.Events.OnRedirectToLogin = c => RedirectOrStatus(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => RedirectOrStatus(c, StatusCodes.Status403Forbidden);
        });

        services.AddIdentityCore<AppUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Password.RequiredLength = 12;
                o.Password.RequireDigit = true;
                o.Password.RequireLowercase = true;
                o.Password.RequireUppercase = true;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<AppRole>()
            .AddAccountStores()
            .AddClaimsPrincipalFactory<AppClaimsPrincipalFactory>()
            .AddSignInManager<AppSignInManager>()
            .AddDefaultTokenProviders();
        // The cookie's security stamp is checked against the database as often as circuits and hub connections are.
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<AccountOptions>>((stamp, account) =>
            stamp.ValidationInterval = account.Value.RevalidationInterval);
        services.AddSingleton<SignInThrottle>();
        services.AddHostedService<SignInThrottleSummaryWriter>();

        services.AddAuthorization(Areas.AddPolicies);
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingIdentityStateProvider>();
        services.AddScoped<SignInService>();
        services.AddScoped<UserAdministration>();
        return services;
    }

    private static Task RedirectOrStatus(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (Infrastructure.OperationsExtensions.IsMachineRequest(context.Request))
            context.Response.StatusCode = status;
        else
            context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    public static WebApplication MapAccountFeature(this WebApplication app)
    {
        // Before the sign-in form's endpoint runs: a throttled attempt costs no database work and no password hash.
        app.Use(SignInThrottle.InvokeAsync);
        app.MapPost("/Account/Logout", async (HttpContext context, SignInService signIn, [FromForm] string? returnUrl) =>
        {
            await signIn.SignOutAsync(context.User);
            return TypedResults.LocalRedirect("/Account/Login?signedOut=true");
        }).RequireAuthorization();
        return app;
    }
}
