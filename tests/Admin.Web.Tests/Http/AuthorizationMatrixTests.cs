using System.Net;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Http;

/// <summary>Each role against each page and the live hub: allowed, sent to access-denied, or sent to login.</summary>
public sealed class AuthorizationMatrixTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    public static IEnumerable<object[]> RoleByArea =>
        from role in AppRoles.All
        from area in Areas.All
        select new object[] { role, area.Key };

    [Theory]
    [MemberData(nameof(RoleByArea))]
    public async Task Area_page_is_served_only_to_the_roles_it_names(string role, string areaKey)
    {
        var area = Areas.ByKey(areaKey)!;
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);

        var response = await client.GetAsync(area.Path);

        if (area.Roles.Contains(role))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(area.Title, await response.Content.ReadAsStringAsync());
        }
        else
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
        }
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/content")]
    [InlineData("/releases")]
    [InlineData("/deployments")]
    [InlineData("/database")]
    [InlineData("/audit")]
    [InlineData("/admin/users")]
    [InlineData("/Account/AccessDenied")]
    public async Task Anonymous_visitors_are_sent_to_the_login_page(string path)
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/Account/Login", response.Headers.Location!.AbsolutePath);
        Assert.Contains("ReturnUrl=" + Uri.EscapeDataString(path), response.Headers.Location.Query);
    }

    [Theory]
    [MemberData(nameof(DemoLogins.Roles), MemberType = typeof(DemoLogins))]
    public async Task Home_page_is_served_to_every_role(string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Live_hub_refuses_anonymous_connections_with_401_not_a_redirect()
    {
        using var client = app.Anonymous();
        var response = await client.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(DemoLogins.Roles), MemberType = typeof(DemoLogins))]
    public async Task Live_hub_accepts_every_signed_in_role(string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("connectionToken", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_endpoints_need_no_login()
    {
        using var client = app.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        await Readyz.WaitReadyAsync(client);
    }
}
