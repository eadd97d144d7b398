using Admin.Data.Reference;
using Admin.Data.Live;
using Admin.Web.Components.Layout;
using Admin.Web.Components.Shared;
using Admin.Web.Features.Account;
using Admin.Web.Features.Deployments;
using Admin.Web.Live;
using Bunit;
using Microsoft.Extensions.DependencyInjection;

namespace Admin.Web.Tests.Components;

/// <summary>The shell's role-dependent parts: navigation, user menu, access denied, live indicator, scope chips, area tabs.</summary>
public sealed class ShellComponentTests : ComponentTestContext
{
    private static List<string> AreaKeys<T>(IRenderedComponent<T> cut) where T : Microsoft.AspNetCore.Components.IComponent =>
        cut.FindAll("[data-area]").Select(e => e.GetAttribute("data-area")!).Distinct().ToList();

    [Theory]
    [MemberData(nameof(DemoLogins.Roles), MemberType = typeof(DemoLogins))]
    public void Navigation_shows_exactly_the_areas_the_role_may_use(string role)
    {
        SignIn(role);

        var nav = Render<NavMenu>();

        Assert.Equal(Areas.All.Where(a => a.Roles.Contains(role)).Select(a => a.Key).ToList(), AreaKeys(nav));
        Assert.Contains(nav.FindAll("a"), a => a.GetAttribute("href") == "/" && Normalise(a.TextContent).EndsWith("Home"));
    }

    [Fact]
    public void Navigation_is_empty_for_an_anonymous_visitor()
    {
        var nav = Render<NavMenu>();

        Assert.Empty(nav.FindAll("a"));
    }

    [Fact]
    public void The_live_indicator_follows_the_listener_state_without_a_reload()
    {
        SignIn(AppRoles.Editor);
        var bus = Services.GetRequiredService<LiveBus>();
        bus.SetState(ListenerState.Connected);
        var indicator = Render<LiveIndicator>();
        var element = indicator.Find("[data-testid=live-indicator]");
        Assert.Equal("Connected", element.GetAttribute("data-state"));
        Assert.StartsWith("live", Normalise(element.TextContent));

        bus.SetState(ListenerState.Reconnecting);

        indicator.WaitForAssertion(() => Assert.Equal("Reconnecting", indicator.Find("[data-testid=live-indicator]").GetAttribute("data-state")));
        Assert.StartsWith("reconnecting…", Normalise(indicator.Find("[data-testid=live-indicator]").TextContent));
        Assert.Contains("reconnecting", indicator.Find("[data-testid=live-indicator]").GetAttribute("title"));
    }

    [Fact]
    public void Access_denied_names_the_users_roles()
    {
        SignIn(AppRoles.ReleaseManager);

        var panel = Render<AccessDeniedPanel>();

        Assert.Equal("You do not have access to this page", Normalise(panel.Find("h1").TextContent));
        Assert.Contains("Your roles (Release manager) do not include one this page needs.", Normalise(panel.Markup));
    }

    [Fact]
    public void Scope_chips_mark_only_the_codes_in_scope()
    {
        var chips = Render<ScopeChips>(p => p
            .Add(c => c.Items, [new CodeName("acme", "Acme"), new CodeName("globex", "Globex")])
            .Add(c => c.InScope, code => code == "acme"));

        var titles = chips.FindAll("[title]").ToDictionary(e => Normalise(e.TextContent), e => e.GetAttribute("title"));
        Assert.Equal("In your scope", titles["acme · Acme"]);
        Assert.Equal("Not in your scope", titles["globex · Globex"]);
    }

    [Fact]
    public void The_user_menu_shows_the_display_name_the_roles_and_the_way_out()
    {
        SignIn(AppRoles.Dba, displayName: "Dana Base");

        var popovers = Render<MudBlazor.MudPopoverProvider>();
        var menu = Render<UserMenu>();

        Assert.Equal("Dana Base", menu.Find("[data-testid=user-name]").TextContent);
        // Signing out posts a form with an antiforgery token, present before the menu opens.
        var form = menu.Find("form#sign-out-form");
        Assert.Equal("/Account/Logout", form.GetAttribute("action"));
        Assert.Equal("post", form.GetAttribute("method"));
        // Opened by its own button (a button is reached and pressed by keyboard as by mouse).
        menu.Find("[data-testid=user-menu] button").Click();
        popovers.WaitForAssertion(() =>
        {
            Assert.Equal("DBA", Normalise(popovers.Find("[data-testid=user-roles]").TextContent));
            var signOut = popovers.Find("[data-testid=sign-out]");
            Assert.Equal("Sign out", Normalise(signOut.TextContent));
            Assert.Equal("sign-out-form", signOut.GetAttribute("form"));
            Assert.Equal("submit", signOut.GetAttribute("type"));
        });
    }

    [Theory]
    [InlineData(AppRoles.Admin, true)]
    [InlineData(AppRoles.ReleaseManager, false)]
    public void Only_an_admin_gets_the_api_tokens_tab(string role, bool tokens)
    {
        SignIn(role);

        var nav = Render<DeploymentsNav>();

        var tabs = nav.FindAll("nav[aria-label='Deployments pages'] a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("/deployments/metrics", tabs);
        Assert.Equal(tokens, tabs.Contains("/deployments/tokens"));
    }
}
