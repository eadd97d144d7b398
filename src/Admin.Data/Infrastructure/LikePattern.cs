namespace Admin.Data.Infrastructure;

/// <summary>
/// LIKE / ILIKE patterns from what a user typed: %, _ and the escape character (PostgreSQL's default, the backslash) in
/// the text match themselves. Blank text gives null, which the queries read as "no filter".
/// </summary>
public static class LikePattern
{
    public static string Escape(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    public static string? Contains(string? text) => string.IsNullOrWhiteSpace(text) ? null : "%" + Escape(text.Trim()) + "%";

    public static string? StartsWith(string? text) => string.IsNullOrWhiteSpace(text) ? null : Escape(text.Trim()) + "%";
}
