using System.Web;

namespace Admin.E2E;

/// <summary>Who sees what: navigation and home tiles per role, refused pages, the sign-in detour of an anonymous visit.</summary>
public sealed class RoleAccessTests(AppFixture app) : BrowserTest(app)
{
    public static TheoryData<string> Roles => new(AppRoles.All);

    [Theory, MemberData(nameof(Roles))]
    public Task Each_role_sees_exactly_its_areas_in_the_navigation_and_on_the_home_tiles(string role) => RunAsync(async page =>
    {
        var user = DemoUserWithRole(role);
        await LoginAsync(page, user);

        var expected = AreasFor(role);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, await page.AreaKeysAsync(".nav-menu [data-area]"));
        Assert.Equal(expected, await page.AreaKeysAsync("[data-testid=home-tiles] a[data-area]"));
        await Expect(page.Locator("[data-testid=user-name]")).ToHaveTextAsync(user.DisplayName);

        await page.SaveReviewScreenshotAsync($"home-{role.ToLowerInvariant()}");
    }, role);

    [Theory]
    [InlineData(AppRoles.Editor, "database")]
    [InlineData(AppRoles.Dba, "users")]
    [InlineData(AppRoles.ReleaseManager, "audit")]
    public Task A_role_going_to_a_page_it_may_not_use_sees_access_denied_instead(string role, string areaKey) => RunAsync(async page =>
    {
        var area = Areas.ByKey(areaKey)!;
        Assert.DoesNotContain(role, area.Roles);
        await LoginAsync(page, DemoUserWithRole(role));

        await page.GotoAsync(area.Path);

        // Not the page itself, neither prerendered nor once the circuit renders: its header (the area's title) is nowhere.
        await page.ExpectAccessDeniedAsync();
        await Expect(page.Locator("h1", new() { HasText = area.Title })).ToHaveCountAsync(0);
        await Expect(page.Locator("body")).Not.ToContainTextAsync(area.Description);
    }, role);

    [Fact]
    public Task An_anonymous_visit_goes_to_the_login_page_and_returns_after_signing_in() => RunAsync(async page =>
    {
        await page.GotoAsync("/audit");

        Assert.Equal("/Account/Login", page.UrlPath());
        var query = HttpUtility.ParseQueryString(new Uri(page.Url).Query);
        var returnUrl = query.AllKeys.Where(k => string.Equals(k, "returnUrl", StringComparison.OrdinalIgnoreCase)).Select(k => query[k]).SingleOrDefault();
        Assert.Equal("/audit", returnUrl);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Sign in");
        await page.SaveReviewScreenshotAsync("login");

        var dba = DemoUserWithRole(AppRoles.Dba);
        await AppFixture.SubmitLoginAsync(page, dba.Email, dba.Password);
        await page.WaitForInteractiveShellAsync();

        Assert.Equal("/audit", page.UrlPath());
        await Expect(page.Locator("h1")).ToContainTextAsync(Areas.Audit.Title);
        await Expect(page.Locator("[data-testid=audit-filters]")).ToBeVisibleAsync(); // the audit viewer (#7) replaced the recent-events grid
    });

    [Fact]
    public Task An_unknown_address_shows_the_friendly_not_found_page() => RunAsync(async page =>
    {
        await LoginAsync(page, DemoUserWithRole(AppRoles.Editor));

        var response = await page.GotoAsync("/no-such-page");

        Assert.Equal(404, response!.Status);
        await Expect(page.Locator("[data-testid=not-found]")).ToContainTextAsync("There is nothing at this address");
        await page.SaveReviewScreenshotAsync("not-found");
    });
}
