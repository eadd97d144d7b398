using Admin.Data.Content;

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

    public static string Icon(string type) => type switch
    {
        SectionTypes.Hero => "panorama",
        SectionTypes.Banner => "campaign",
        SectionTypes.RichText => "notes",
        SectionTypes.ProductCarousel => "view_carousel",
        SectionTypes.CategoryGrid => "grid_view",
        _ => "article",
    };

    /// <summary>The rule section keys follow (the service and the table check the same).</summary>
    public const string KeyPattern = "^[a-z0-9][a-z0-9-]{0,62}$";

    public const string KeyHelp = "Lower-case letters, digits and dashes, e.g. spring-sale. Unique within the locale; the storefront uses it.";
}
