using Admin.Web.Components.Shared;
using System.Security.Claims;
using AngleSharp.Dom;
using Admin.Data.Session;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Audit;
using Admin.Web.Features.Content;
using Admin.Web.Features.Database;
using Admin.Web.Features.Releases;
using Admin.Web.Infrastructure;
using Admin.Web.Live;
using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Admin.Web.Components.Layout;
using MudBlazor;
using MudBlazor.Services;

namespace Admin.Web.Tests.Components;

/// <summary>Who a component test signs in as: the claims the app's sign-in puts on the cookie principal.</summary>
public sealed record TestUser(Guid Id, string Email, string DisplayName, IReadOnlyList<string> Roles,
    IReadOnlyList<string> Brands, IReadOnlyList<string> Locales)
{
    public static TestUser WithRole(string role, string? displayName = null) => new(Guid.NewGuid(),
        $"{role.ToLowerInvariant()}-{Guid.NewGuid():N}"[..(role.Length + 9)] + "@test.local", displayName ?? $"Test {AppRoles.Label(role)}",
        [role], ContentFixtures.TestBrands, ContentFixtures.TestLocales);

    public IEnumerable<Claim> Claims() =>
        new[]
        {
            new Claim(ClaimTypes.NameIdentifier, Id.ToString()), new Claim(ClaimTypes.Name, Email), new Claim(ClaimTypes.Email, Email),
            new Claim(AppClaimsPrincipalFactory.DisplayNameClaim, DisplayName),
        }
        .Concat(Brands.Select(b => new Claim(ScopeClaims.Brand, b)))
        .Concat(Locales.Select(l => new Claim(ScopeClaims.Locale, l)));

    public ClaimsPrincipal Principal() =>
        new(new ClaimsIdentity(Claims().Concat(Roles.Select(r => new Claim(ClaimTypes.Role, r))), "test"));

    /// <summary>The same person as the database sees them (app.user_id, app.roles, …).</summary>
    public SessionContext Session => CurrentUserSessionContext.FromPrincipal(Principal(), "bunit");
}

/// <summary>
/// A bUnit context with what the app's components expect around them: MudBlazor's services (dialogs, snackbars, popovers),
/// the live bus, bUnit's authorization with the claims the app's sign-in gives, and JS interop in loose mode (a
/// component's browser calls return defaults; the browser tests cover what needs one). <see cref="UseDatabase"/> adds
/// the app's own data services on a real test database, acting as the signed-in user through the app's
/// <see cref="CurrentUserSessionContext"/>, so row-level security applies as in the app.
/// </summary>
public abstract class ComponentTestContext : BunitContext, IAsyncLifetime
{
    // A busy machine (two cores, other builds) renders slower than bUnit's default second.
    static ComponentTestContext() => DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The dialog role of the app's dialogs and confirmations (alertdialog for the latter where a kit uses it).</summary>
    protected const string DialogRole = "[role=dialog], [role=alertdialog]";

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    /// <summary>xUnit 2 disposes test classes synchronously; the app's services (monitoring targets) dispose only asynchronously.</summary>
    async Task IAsyncLifetime.DisposeAsync() => await DisposeAsync();

    private readonly Bunit.TestDoubles.BunitAuthorizationContext _auth;
    private readonly CircuitUserState _circuit = new() { CircuitId = "bunit" };

    protected ComponentTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        // The browser's time zone, as the content editor's module reports it (BrowserClock).
        JSInterop.SetupModule("./js/content.js").Setup<string>("timeZone").SetResult("Europe/Berlin");
        Services.AddLogging();
        Services.AddMudServices();
        Services.AddScoped<ThemePreference>();
        Services.AddScoped<BrowserClock>();
        Services.AddScoped<Notify>();
        Services.AddScoped<Confirm>();
        Services.AddSingleton<PrerenderHandoff>();
        Services.AddSingleton<LiveBus>();
        Services.AddSingleton(TimeProvider.System);
        _auth = AddAuthorization();
    }

    protected TestUser? User { get; private set; }

    /// <summary>
    /// Signs in as <paramref name="user"/>: the cascading authentication state and the database session context. Call
    /// it after <see cref="UseDatabase"/>: it completes the services (no registration after it).
    /// </summary>
    protected TestUser SignIn(TestUser user)
    {
        // The app's components run interactively on the server (the editor's NavigationLock asks).
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        _auth.SetAuthorized(user.Email);
        _auth.SetRoles([.. user.Roles]);
        _auth.SetClaims([.. user.Claims()]);
        _circuit.User = user.Principal();
        return User = user;
    }

    protected TestUser SignIn(string role, string? displayName = null) => SignIn(TestUser.WithRole(role, displayName));

    /// <summary>The app's data and feature services over <paramref name="db"/>, registered as Program registers them.</summary>
    protected void UseDatabase(TestDatabase db)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{DatabaseExtensions.AppConnectionName}"] = db.AppConnectionString,
            [$"ConnectionStrings:{DatabaseExtensions.OwnerConnectionName}"] = db.OwnerConnectionString,
            [$"ConnectionStrings:{DatabaseExtensions.ExplainConnectionName}"] = db.ExplainConnectionString,
        }).Build();
        Services.AddSingleton<IConfiguration>(configuration);
        Services.AddDatabase(configuration);
        Services.AddAuditFeature();
        Services.AddDatabaseFeature();
        Services.AddContentFeature();
        Services.AddScoped<Admin.Data.Deployments.DeploymentService>();
        Services.AddScoped<Admin.Data.Deployments.ApiTokenService>();
        Services.AddScoped<Admin.Data.Deployments.EnvironmentRulesService>();
        Services.AddScoped<Admin.Data.Deployments.IncidentService>();
        // The circuit's user, as UserCircuitHandler keeps it in the app.
        Services.AddSingleton(_circuit);
    }

    /// <summary>
    /// MudBlazor's providers (popovers, dialogs, snackbars) as the layout renders them, beside the component under test:
    /// menus and selects open into it, dialogs shown through <see cref="IDialogService"/> and snackbars appear in it.
    /// Render it before the component; one per test.
    /// </summary>
    protected IRenderedComponent<MudProviders> RenderMudProviders() => _mudProviders ??= Render<MudProviders>();

    private IRenderedComponent<MudProviders>? _mudProviders;

    /// <summary>Shows <typeparamref name="TDialog"/> the way the app's pages do (through IDialogService), in the providers.</summary>
    protected async Task<ShownDialog> ShowDialogAsync<TDialog>(string title, DialogParameters<TDialog>? parameters = null) where TDialog : IComponent
    {
        var host = RenderMudProviders();
        IDialogReference? reference = null;
        await host.InvokeAsync(async () => reference = await Services.GetRequiredService<IDialogService>().ShowAsync<TDialog>(title, parameters ?? []));
        return new ShownDialog(host, reference!);
    }

    /// <summary>A MudBlazor dialog shown through the dialog service: its markup (in the providers) and how it closed.</summary>
    protected sealed class ShownDialog(IRenderedComponent<MudProviders> host, IDialogReference reference)
    {
        public IRenderedComponent<MudProviders> Host { get; } = host;

        public bool IsOpen => !reference.Result.IsCompleted;

        /// <summary>How the dialog closed (Canceled, Data), once something it awaits (the database) has answered.</summary>
        public async Task<DialogResult?> ClosedAsync() => await reference.Result.WaitAsync(TimeSpan.FromSeconds(10));

        public string Text => TextOf(Host.Find(DialogRole));
    }

    /// <summary>The three providers MainLayout renders.</summary>
    protected sealed class MudProviders : ComponentBase
    {
        protected override void BuildRenderTree(Microsoft.AspNetCore.Components.Rendering.RenderTreeBuilder builder)
        {
            builder.OpenComponent<MudPopoverProvider>(0);
            builder.CloseComponent();
            builder.OpenComponent<MudDialogProvider>(1);
            builder.CloseComponent();
            builder.OpenComponent<MudSnackbarProvider>(2);
            builder.CloseComponent();
        }
    }

    /// <summary>A button by its accessible name (its aria-label, else its text), as a person or a screen reader finds it.</summary>
    protected static IElement Button<T>(IRenderedComponent<T> cut, string name) where T : IComponent
    {
        var matches = cut.FindAll("button").Where(b => AccessibleName(b) == name).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new ElementNotFoundException($"button named '{name}' (buttons: {string.Join(", ", cut.FindAll("button").Select(b => $"'{AccessibleName(b)}'"))})"),
            _ => throw new InvalidOperationException($"{matches.Count} buttons named '{name}'"),
        };
    }

    protected static bool HasButton<T>(IRenderedComponent<T> cut, string name) where T : IComponent =>
        cut.FindAll("button").Any(b => AccessibleName(b) == name);

    /// <summary>
    /// aria-label, else the text without icons: an icon font's ligature (an &lt;i&gt; element, "save") or an SVG is
    /// not part of the name, nor is anything aria-hidden.
    /// </summary>
    private static string AccessibleName(IElement e) => e.GetAttribute("aria-label") ?? TextOf(e);

    /// <summary>The text a person reads, icons left out.</summary>
    protected static string TextOf(IElement e) => Normalise(VisibleText(e));

    private static string VisibleText(INode node) => node switch
    {
        IElement el when el.LocalName is "i" or "svg" || el.GetAttribute("aria-hidden") == "true" => " ",
        IElement el => string.Concat(el.ChildNodes.Select(VisibleText)),
        _ => node.NodeType == NodeType.Text ? node.TextContent : "",
    };

    /// <summary>The form control a visible label names (label[for] → id), the way a person finds a field.</summary>
    protected static IElement Field<T>(IRenderedComponent<T> cut, string label) where T : IComponent
    {
        var labels = cut.FindAll("label").Where(l => Normalise(l.TextContent) == label).ToList();
        var target = labels.Select(l => l.GetAttribute("for")).SingleOrDefault(f => f is not null)
            ?? throw new ElementNotFoundException($"label '{label}' (labels: {string.Join(", ", cut.FindAll("label").Select(l => $"'{Normalise(l.TextContent)}'"))})");
        return cut.Find($"[id='{target}']");
    }

    /// <summary>A checkbox by the text of the label around it (MudCheckBox: a label holding the input and its text).</summary>
    protected static IElement CheckBox<T>(IRenderedComponent<T> cut, string label) where T : IComponent
    {
        var matches = cut.FindAll("label").Where(l => Normalise(TextOf(l)) == label && l.QuerySelector("input[type=checkbox]") is not null).ToList();
        return matches.Count == 1
            ? matches[0].QuerySelector("input[type=checkbox]")!
            : throw new ElementNotFoundException($"checkbox labelled '{label}' ({matches.Count} found)");
    }

    protected static string Normalise(string? text) =>
        string.Join(' ', (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    protected static string TestIds<T>(IRenderedComponent<T> cut, string selector, string attribute) where T : IComponent =>
        string.Join(",", cut.FindAll(selector).Select(e => e.GetAttribute(attribute)));
}
