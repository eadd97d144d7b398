using System.Net;
using System.Text.RegularExpressions;
using Admin.TestSupport;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Releases;

/// <summary>The release pages as the server first renders them, for each role, on the demo releases.</summary>
public sealed partial class ReleasePagesHttpTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    private async Task<HttpResponseMessage> GetAsync(string path, string role)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        return await client.GetAsync(path);
    }

    private async Task<string> PageAsync(string path, string role)
    {
        var response = await GetAsync(path, role);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private async Task<long> IdAsync(string name)
    {
        await using var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole);
        return await owner.ScalarAsync<long>($"SELECT id FROM releases WHERE name = '{name}'");
    }

    private static bool ButtonEnabled(string html, string testId)
    {
        var tag = Regex.Match(html, $"<button[^>]*data-testid=\"{testId}\"[^>]*>").Value;
        Assert.NotEqual("", tag);
        return !Regex.IsMatch(tag, @"\sdisabled[\s=>]");
    }

    [Theory]
    [InlineData("/releases/1")]
    [InlineData("/releases/live")]
    public async Task A_role_outside_the_area_is_sent_to_access_denied(string path)
    {
        var response = await GetAsync(path, AppRoles.Dba);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task The_list_shows_statuses_change_counts_and_conflict_badges()
    {
        var html = await PageAsync("/releases", AppRoles.Editor);
        Assert.Contains("Storefront launch", html);
        Assert.Contains("data-status=\"ROLLED_BACK\"", html);
        Assert.Matches("Payment button wording[\\s\\S]*?1 warning", html);
    }

    [Fact]
    public async Task Approve_and_deploy_are_disabled_for_an_editor_and_approve_for_the_author()
    {
        var inReview = await IdAsync("Holiday campaign");
        var approved = await IdAsync("New checkout rollout");

        Assert.False(ButtonEnabled(await PageAsync($"/releases/{inReview}", AppRoles.Editor), "approve"));
        Assert.False(ButtonEnabled(await PageAsync($"/releases/{approved}", AppRoles.Editor), "deploy"));
        Assert.True(ButtonEnabled(await PageAsync($"/releases/{inReview}", AppRoles.ReleaseManager), "approve"));
        Assert.True(ButtonEnabled(await PageAsync($"/releases/{approved}", AppRoles.ReleaseManager), "deploy"));
    }

    [Fact]
    public async Task The_release_page_shows_the_side_by_side_diff_and_the_conflict_in_plain_words()
    {
        var html = await PageAsync($"/releases/{await IdAsync("Payment button wording")}", AppRoles.ReleaseManager);
        Assert.Contains("data-testid=\"payload-diff\"", html);
        Assert.Contains("Pay now", html);
        Assert.Contains("is also changed in release", html);
        Assert.Contains($"href=\"/releases/{await IdAsync("New checkout rollout")}\"", html);
    }

    [Fact]
    public async Task The_live_browser_lists_live_entities_and_the_state_after_a_release()
    {
        var live = await PageAsync("/releases/live?type=translation", AppRoles.ReleaseManager);
        Assert.Contains("Your basket", live);
        Assert.DoesNotContain("Pay securely", live);
        var asIf = await PageAsync($"/releases/live?type=translation&asOf={await IdAsync("New checkout rollout")}", AppRoles.ReleaseManager);
        Assert.Contains("Pay securely", asIf);
    }
}
