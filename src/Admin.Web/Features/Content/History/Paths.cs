namespace Admin.Web.Features.Content.History;

/// <summary>The addresses of the section pages, in one place (deep links: history, compare, a version, preview).</summary>
public static class Paths
{
    public static string Editor(Guid section) => $"/content/sections/{section}";
    /// <param name="added">A version just made elsewhere (a restore on the version page), marked as new in the list.</param>
    public static string History(Guid section, int? added = null) =>
        $"/content/sections/{section}/history" + (added is { } n ? $"?added={n}" : "");
    public static string Compare(Guid section, int left, int right) => $"/content/sections/{section}/compare?left={left}&right={right}";
    public static string Version(Guid section, int number) => $"/content/sections/{section}/versions/{number}";
    public static string Preview(string locale, bool drafts) => $"/content/preview/{locale}" + (drafts ? "?drafts=true" : "");
}
