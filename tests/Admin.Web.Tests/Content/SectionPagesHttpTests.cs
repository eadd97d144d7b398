using System.Net;
using System.Text.RegularExpressions;
using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;

namespace Admin.Web.Tests.Content;

/// <summary>The section list and editor as the server first renders them (prerendered HTML), for a signed-in editor.</summary>
public sealed partial class SectionPagesHttpTests(EmptyContentWebAppFixture app) : IClassFixture<EmptyContentWebAppFixture>
{
    private async Task<string> PageAsync(string path, string role = AppRoles.Editor)
    {
        var demo = DemoLogins.For(role);
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    private async Task<(Guid Published, Guid Draft)> SeedAsync(string locale, string prefix)
    {
        var content = app.Database.ContentService();
        var published = await content.CreateAsync(new NewSection(locale, $"{prefix}-hero", SectionTypes.Hero, ContentFixtures.Hero("Big spring sale")));
        await content.SaveDraftAsync(published, 1, ContentFixtures.Hero("Bigger spring sale"), "Bigger");
        await content.PublishAsync(published, 2);
        await content.SaveDraftAsync(published, 2, ContentFixtures.Hero("Biggest spring sale"), "Biggest");
        var draft = await content.CreateAsync(new NewSection(locale, $"{prefix}-banner", SectionTypes.Banner,
            new() { ["text"] = "Free delivery this week", ["tone"] = "promo" }));
        return (published, draft);
    }

    private static IReadOnlyList<string> Keys(string html) =>
        SectionLink().Matches(html).Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task The_list_shows_each_section_of_the_locale_with_its_status_and_version_numbers()
    {
        await SeedAsync("de-DE", "list");

        var html = await PageAsync("/content?locale=de-DE");

        Assert.Equal(["list-hero", "list-banner"], Keys(html));
        var heroRow = Row(html, "list-hero");
        Assert.Contains("data-status=\"published\"", heroRow);
        Assert.Contains("data-col=\"published\">v2<", heroRow);
        Assert.Contains("data-col=\"draft\"", heroRow);
        Assert.Matches("data-col=\"draft\"[^>]*>v3<", heroRow);
        Assert.Contains("data-col=\"versions\">3<", heroRow);
        Assert.Contains("editor@test.local", heroRow);
        Assert.Contains("Biggest spring sale", heroRow);
        var bannerRow = Row(html, "list-banner");
        Assert.Contains("data-status=\"draft\"", bannerRow);
        Assert.Contains("data-col=\"published\">—<", bannerRow);
        Assert.Contains("2 sections in de-DE", html);
    }

    [Fact]
    public async Task Filters_in_the_address_narrow_the_list_and_stay_in_the_form()
    {
        await SeedAsync("en-US", "filter");

        Assert.Equal(["filter-hero"], Keys(await PageAsync("/content?locale=en-US&status=published")));
        Assert.Equal(["filter-banner"], Keys(await PageAsync("/content?locale=en-US&type=banner")));
        var byText = await PageAsync("/content?locale=en-US&q=delivery");
        Assert.Equal(["filter-banner"], Keys(byText));
        Assert.Contains("value=\"delivery\"", byText);
        Assert.Contains("1 section in en-US matching the filters", byText);
        var none = await PageAsync("/content?locale=en-US&q=nothing-like-this");
        Assert.Empty(Keys(none));
        Assert.Contains("No sections in en-US match these filters.", none);
    }

    [Fact]
    public async Task A_locale_without_sections_says_so_and_offers_to_create_the_first()
    {
        var html = await PageAsync("/content?locale=nl-NL");

        Assert.Contains("nl-NL has no homepage sections yet.", html);
        Assert.Contains("Create the first section", html);
    }

    [Fact]
    public async Task Without_a_locale_in_the_address_the_first_locale_of_the_users_scope_is_shown()
    {
        // The Globex editor's only locale is fr-FR; the first locale by code would be de-DE.
        var demo = DemoSeeder.Users.Single(u => u.Email == "editor.globex@admin.local");
        using var client = await app.SignedInAsync(demo.Email, demo.Password);
        var html = WebUtility.HtmlDecode(await client.GetStringAsync("/content"));

        Assert.Contains("fr-FR has no homepage sections yet.", html);
    }

    [Fact]
    public async Task The_editor_opens_on_the_newest_version_with_a_field_per_schema_field()
    {
        var (published, _) = await SeedAsync("es-ES", "editor");

        var html = await PageAsync($"/content/sections/{published}");

        Assert.Contains("data-testid=\"editor-key\"", html);
        Assert.Contains(">editor-hero<", html);
        Assert.Contains("data-base=\"3\"", html);
        Assert.Matches("data-testid=\"published-number\">v2<", html);
        Assert.Matches("data-testid=\"draft-number\">v3<", html);
        foreach (var field in SectionSchemas.For(SectionTypes.Hero))
            Assert.Contains($"data-testid=\"field-{field.Name}\"", html);
        Assert.Contains("value=\"Biggest spring sale\"", html);
        Assert.Contains("Save draft as v4", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Version 2 is live on the es-ES homepage.", html);
    }

    [Fact]
    public async Task An_unknown_section_gets_a_plain_message_not_an_error_page()
    {
        var html = await PageAsync($"/content/sections/{Guid.NewGuid()}");

        Assert.Contains("This section does not exist", html);
        Assert.DoesNotContain("Exception", html);
    }

    [Fact]
    public async Task Sections_are_for_content_roles_only()
    {
        var dba = DemoLogins.For(AppRoles.Dba);
        using var client = await app.SignedInAsync(dba.Email, dba.Password);

        var response = await client.GetAsync($"/content/sections/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/Account/AccessDenied", response.Headers.Location!.PathAndQuery);
    }

    private static string Row(string html, string key)
    {
        var start = html.LastIndexOf("<tr", html.IndexOf($">{key}</a>", StringComparison.Ordinal), StringComparison.Ordinal);
        var end = html.IndexOf("</tr>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    [GeneratedRegex("data-testid=\"section-link\">([^<]+)</a>")]
    private static partial Regex SectionLink();
}
