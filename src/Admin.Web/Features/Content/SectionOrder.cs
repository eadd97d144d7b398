namespace Admin.Web.Features.Content;

/// <summary>The sections list's reordering: a new list (the list components notice only a new one) with one item moved.</summary>
public static class SectionOrder
{
    public static List<T> Moved<T>(IReadOnlyList<T> list, T item, int to) where T : class
    {
        var result = list.Where(i => !ReferenceEquals(i, item)).ToList();
        result.Insert(Math.Clamp(to, 0, result.Count), item);
        return result;
    }
}
