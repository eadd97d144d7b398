using System.Text.Json.Nodes;

namespace Admin.Web.Components.Shared;

/// <summary>
/// Flattens a JSON payload to (path, value) rows ($.rules.percentage → 50), so two versions can be shown side by side
/// row by row with the changed paths marked. Arrays are compared as one value.
/// </summary>
public static class PayloadFlattener
{
    public sealed record Row(string Path, string? Old, string? New)
    {
        public bool Changed => Old != New;
    }

    public static IReadOnlyList<Row> SideBySide(string? oldJson, string? newJson)
    {
        var left = Flatten(oldJson);
        var right = Flatten(newJson);
        return left.Keys.Union(right.Keys).Order(StringComparer.Ordinal)
            .Select(path => new Row(path, left.GetValueOrDefault(path), right.GetValueOrDefault(path)))
            .ToList();
    }

    public static Dictionary<string, string> Flatten(string? json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json)) return result;
        Walk(JsonNode.Parse(json), "$", result);
        return result;
    }

    private static void Walk(JsonNode? node, string path, Dictionary<string, string> result)
    {
        if (node is JsonObject obj && obj.Count > 0)
        {
            foreach (var (key, value) in obj) Walk(value, path + "." + key, result);
            return;
        }
        result[path] = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "null";
    }
}
