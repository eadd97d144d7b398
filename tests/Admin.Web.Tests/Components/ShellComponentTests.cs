using System.Text.RegularExpressions;
using Admin.Data.Live;
using Admin.Web.Components.Layout;
using Admin.Web.Components.Shared;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Components;

public sealed class ShellComponentTests
{
    private static IReadOnlyList<string> AreasIn(string html) =>
        Regex.Matches(html, "data-area=\"([a-z]+)\"").Select(m => m.Groups[1].Value).Distinct().ToList();

    [Theory]
    [MemberData(nameof(DemoLogins.Roles), MemberType = typeof(DemoLogins))]
    public async Task Navigation_shows_exactly_the_areas_the_role_may_use(string role)
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.User(role));
        var html = await renderer.RenderAsync<NavMenu>();
        var expected = Areas.All.Where(a => a.Roles.Contains(role)).Select(a => a.Key).ToList();
        Assert.Equal(expected, AreasIn(html));
        Assert.Contains(">Home<", html);
    }

    [Fact]
    public async Task Navigation_is_empty_for_an_anonymous_visitor()
    {
        await using var renderer = new ComponentRenderer();
        var html = await renderer.RenderAsync<NavMenu>();
        Assert.Empty(AreasIn(html));
        Assert.DoesNotContain("Home", html);
    }

    [Theory]
    [InlineData(ListenerState.Connected, "live")]
    [InlineData(ListenerState.Reconnecting, "reconnecting…")]
    [InlineData(ListenerState.Connecting, "reconnecting…")]
    public async Task Live_indicator_shows_the_listener_state(ListenerState state, string label)
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.User(AppRoles.Editor));
        renderer.Bus.SetState(state);
        var html = await renderer.RenderAsync<LiveIndicator>();
        Assert.Contains($"data-state=\"{state}\"", html);
        Assert.Equal(label, Regex.Match(html, "class=\"live-label\">([^<]*)<").Groups[1].Value);
    }

    [Fact]
    public async Task Access_denied_panel_names_the_users_roles()
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.User(AppRoles.ReleaseManager));
        var html = await renderer.RenderAsync<AccessDeniedPanel>();
        Assert.Contains("You do not have access to this page", html);
        Assert.Contains("Release manager", html);
    }

    [Fact]
    public async Task Scope_chips_mark_only_the_codes_in_scope()
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.User(AppRoles.Editor));
        var html = await renderer.RenderAsync<ScopeChips>(new()
        {
            [nameof(ScopeChips.Items)] = new List<(string, string)> { ("acme", "Acme"), ("globex", "Globex") },
            [nameof(ScopeChips.InScope)] = (Func<string, bool>)(code => code == "acme"),
        });
        Assert.Matches("chip chip-in-scope\"[^>]*>\\s*<strong>acme", html);
        Assert.Matches("class=\"chip \"[^>]*>\\s*<strong>globex", html);
    }

    [Fact]
    public async Task User_menu_shows_the_display_name_and_roles()
    {
        await using var renderer = new ComponentRenderer(ComponentRenderer.User(AppRoles.Dba, name: "Dana Base"));
        var html = await renderer.RenderAsync<UserMenu>();
        Assert.Contains("Dana Base", html);
        Assert.Contains("DBA", html);
        Assert.Contains("/Account/Logout", html);
    }
}
