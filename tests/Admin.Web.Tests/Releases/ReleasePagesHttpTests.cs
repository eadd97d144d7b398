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
        // Scheduling too: the editor sees the schedule panel without the time picker.
        Assert.Contains("data-testid=\"schedule-deploy\"", await PageAsync($"/releases/{approved}", AppRoles.ReleaseManager));
        var editors = await PageAsync($"/releases/{approved}", AppRoles.Editor);
        Assert.Contains("data-testid=\"release-schedule\"", editors);
        Assert.DoesNotContain("data-testid=\"schedule-deploy\"", editors);
    }

    [Fact]
    public async Task Homepage_sections_in_a_release_are_grouped_with_their_content_and_the_section_editor_names_the_release()
    {
        var holiday = await IdAsync("Holiday campaign");
        var html = await PageAsync($"/releases/{holiday}?type=homepage_section", AppRoles.ReleaseManager);
        Assert.Contains("Homepage sections (2)", html);
        Assert.Contains("brand-story (version 2)", html);
        Assert.Contains("winter-sale (version 1)", html);
        Assert.Contains("data-testid=\"open-section\"", html);
        Assert.True(ButtonEnabled(await PageAsync($"/releases/{await IdAsync("Payment button wording")}", AppRoles.Editor), "add-section"));

        await using var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole);
        var story = await owner.ScalarAsync<Guid>("SELECT id FROM homepage_sections WHERE locale = 'en-GB' AND section_key = 'brand-story'");
        var editor = await PageAsync($"/content/sections/{story}", AppRoles.Editor);
        Assert.Matches($"#{holiday} Holiday campaign[\\s\\S]*?publishes v2", editor);
        Assert.Contains("data-testid=\"add-to-release\"", editor);
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
    public async Task A_large_release_shows_its_changes_fifty_at_a_time_with_filters_kept_in_the_address()
    {
        long id;
        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
        {
            await owner.ExecuteAsync("""
                SELECT set_config('app.user_id', '00000000-0000-0000-0000-00000000e001', false),
                       set_config('app.user_email', 'editor@admin.local', false), set_config('app.roles', 'Editor', false)
                """);
            id = await owner.ScalarAsync<long>("INSERT INTO releases (name) VALUES ('Paging: 120 changes') RETURNING id");
            await owner.ExecuteAsync($$"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, locale_id, entity_key, payload)
                SELECT gen_random_uuid(), 'translation', {{id}}, 'en-GB', 'paging.key.' || lpad(g::text, 3, '0'), jsonb_build_object('value', 'Text ' || g)
                FROM generate_series(1, 115) g;
                INSERT INTO entity_versions (entity_id, entity_type, release_id, entity_key, payload)
                SELECT gen_random_uuid(), 'feature_flag', {{id}}, 'paging.flag.' || g, '{"enabled": true}' FROM generate_series(1, 5) g;
                """);
            // Another open release changing 12 of the same entities: 12 parallel-work warnings.
            var overlap = await owner.ScalarAsync<long>("INSERT INTO releases (name) VALUES ('Paging: overlap') RETURNING id");
            await owner.ExecuteAsync($"""
                INSERT INTO entity_versions (entity_id, entity_type, release_id, locale_id, entity_key, payload)
                SELECT entity_id, entity_type, {overlap}, locale_id, entity_key, payload || '{"{"}"value": "other"{"}"}'
                FROM entity_versions WHERE release_id = {id} AND entity_type = 'translation' AND entity_key <= 'paging.key.012'
                """);
        }
        static int Cards(string html) => ChangeCard().Matches(html).Count;

        var first = await PageAsync($"/releases/{id}", AppRoles.ReleaseManager);
        Assert.Equal(50, Cards(first));
        Assert.Contains("120 changes: 120 added", first);
        Assert.Contains("Translations (115)", first);
        Assert.Contains("1–50 of 120", first);
        Assert.DoesNotContain("paging.flag.", first);
        // The conflicts: counted, the first ten listed, each linking to its change through the search.
        Assert.Contains("— 12 warnings", first);
        Assert.Equal(10, Regex.Matches(first, "data-testid=\"conflict\"").Count);
        Assert.Contains("Show all 12", first);
        Assert.Contains($"href=\"/releases/{id}?q=paging.key.001#entity-", first);

        var last = await PageAsync($"/releases/{id}?page=3", AppRoles.ReleaseManager);
        Assert.Equal(20, Cards(last));
        Assert.Contains("101–120 of 120", last);
        Assert.Contains("Feature flags (5)", last);
        Assert.Contains("101–120 of 120", await PageAsync($"/releases/{id}?page=99", AppRoles.ReleaseManager));
        Assert.Contains("1–50 of 120", await PageAsync($"/releases/{id}?page=abc", AppRoles.ReleaseManager));
        Assert.Contains("No change matches these filters.", await PageAsync($"/releases/{id}?type=bogus", AppRoles.ReleaseManager));

        var one = await PageAsync($"/releases/{id}?q=KEY.007", AppRoles.ReleaseManager);
        Assert.Equal(1, Cards(one));
        Assert.Contains("paging.key.007", one);
        Assert.DoesNotContain("data-testid=\"change-pager\"", one);
        Assert.Equal(5, Cards(await PageAsync($"/releases/{id}?type=feature_flag", AppRoles.ReleaseManager)));
        Assert.Contains("No change matches these filters.", await PageAsync($"/releases/{id}?change=removed", AppRoles.ReleaseManager));
    }

    [GeneratedRegex("data-testid=\"change\"")]
    private static partial Regex ChangeCard();

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
