using Admin.Data.Content;
using MudBlazor;

namespace Admin.Web.Features.Content;

/// <summary>What each section type is for, in the words the "New section" dialog and the filters use.</summary>
public static class SectionTypeInfo
{
    public static string Describe(string type) => type switch
    {
        SectionTypes.Hero => "A large image with a title and a button, usually at the top of the page.",
        SectionTypes.Banner => "One line of text with a tone (info, promo or warning) and an optional link.",
        SectionTypes.RichText => "Formatted text with headings, lists and links.",
        SectionTypes.ProductCarousel => "A row of products you pick, in the order you choose.",
        SectionTypes.CategoryGrid => "Tiles linking to categories you pick, in 2 to 6 columns.",
        _ => "",
    };

    /// <summary>The type's icon, as MudBlazor's SVG markup (a bare name would be taken for an icon font's class and show nothing).</summary>
    public static string Icon(string type) => type switch
    {
        SectionTypes.Hero => Icons.Material.Filled.Panorama,
        SectionTypes.Banner => Icons.Material.Filled.Campaign,
        SectionTypes.RichText => Icons.Material.Filled.Notes,
        SectionTypes.ProductCarousel => Icons.Material.Filled.ViewCarousel,
        SectionTypes.CategoryGrid => Icons.Material.Filled.GridView,
        _ => Icons.Material.Filled.Article,
    };

    /// <summary>The rule section keys follow (the service and the table check the same).</summary>
    public const string KeyPattern = "^[a-z0-9][a-z0-9-]{0,62}$";

    public const string KeyHelp = "Lower-case letters, digits and dashes, e.g. spring-sale. Unique within the locale; the storefront uses it.";
}
