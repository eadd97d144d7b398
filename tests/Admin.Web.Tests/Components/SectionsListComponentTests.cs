using Admin.Data.Content;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Admin.Web.Features.Content;
using Bunit;

namespace Admin.Web.Tests.Components;

/// <summary>
/// The sections list of a locale with more sections than a page holds: 50 rows drawn with a pager (the whole list is
/// read at once, the HTML carries one page), the count of all of them, and each type with a drawn icon.
/// </summary>
public sealed class SectionsListComponentTests(ComponentDatabase fixture) : DatabaseComponentTest(fixture)
{
    [Fact]
    public async Task A_locale_of_sixty_sections_shows_fifty_with_a_pager_and_every_type_has_its_icon()
    {
        var content = Db.ContentService();
        // The types whose content needs no catalog references.
        (string Type, System.Text.Json.Nodes.JsonObject Content)[] kinds =
        [
            (SectionTypes.Hero, ContentFixtures.Hero()),
            (SectionTypes.Banner, new() { ["text"] = "Free delivery", ["tone"] = "promo" }),
            (SectionTypes.RichText, new() { ["title"] = "Our story", ["html"] = "<p>Since 1901.</p>" }),
        ];
        for (var i = 0; i < 60; i++)
        {
            var (type, body) = kinds[i % kinds.Length];
            await content.CreateAsync(new NewSection(Locale, $"list-{i:00}", type, (System.Text.Json.Nodes.JsonObject)body.DeepClone()));
        }
        SignIn(AppRoles.Editor);
        RenderMudProviders();

        var list = Render<SectionsPage>();

        list.WaitForAssertion(() => Assert.Equal(50, list.FindAll("[data-testid=section-link]").Count));
        Assert.Single(list.FindAll("[data-testid=sections-pager]"));
        Assert.StartsWith("60 sections in en-GB", TextOf(list.Find("[data-testid=list-caption]")));
        // MudBlazor draws icons as SVG: a type icon given as an icon font's name would leave an empty span.
        var icons = list.FindAll(".type-cell").Select(cell => cell.QuerySelector("svg path")).ToList();
        Assert.Equal(50, icons.Count);
        Assert.All(icons, Assert.NotNull);
        Assert.Equal(kinds.Length, list.FindAll(".type-cell").Select(c => c.QuerySelector("svg")!.InnerHtml).Distinct().Count());
    }
}
