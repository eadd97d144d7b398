using Admin.Data.Content;

namespace Admin.Web.Features.Content;

/// <summary>Whether a key is free in a locale, asked before a create or duplicate so the dialog can say so at once.</summary>
public static class SectionKeys
{
    public static async Task<string?> TakenMessageAsync(ContentService content, string locale, string key)
    {
        var matches = await content.ListAsync(locale, new SectionFilter(Text: key));
        return matches.Any(s => s.Key == key) ? $"{locale} already has a section with the key {key}." : null;
    }
}
