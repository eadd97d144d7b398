using System.Text.Json;
using System.Text.Json.Nodes;
using Admin.Data.Content;

namespace Admin.Web.Features.Content;

/// <summary>
/// The editor's working copy of a section's content: the version it was loaded from (<see cref="Loaded"/>) and what
/// the form and the JSON view change (<see cref="Content"/>). The form reads and writes fields through it, so both
/// views always show the same content.
/// </summary>
public sealed class SectionDraft
{
    // For people to read and edit in a text box (rendered escaped by Blazor): <, > and quotes stay as they are.
    private static readonly JsonSerializerOptions Readable = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public SectionDraft(string type, JsonObject loaded)
    {
        Type = type;
        Loaded = loaded.DeepClone().AsObject();
        Content = loaded.DeepClone().AsObject();
    }

    public string Type { get; }

    public IReadOnlyList<FieldSpec> Fields => SectionSchemas.For(Type);

    /// <summary>The content of the version this draft builds on.</summary>
    public JsonObject Loaded { get; private set; }

    /// <summary>The content as the editor has it now.</summary>
    public JsonObject Content { get; private set; }

    /// <summary>Changed since loading; empty optional fields count as absent (the server drops them too).</summary>
    public bool IsDirty => !JsonNode.DeepEquals(Meaningful(Content), Meaningful(Loaded));

    /// <summary>Starts over from <paramref name="loaded"/> (after a save, or when loading someone else's version).</summary>
    public void Reset(JsonObject loaded)
    {
        Loaded = loaded.DeepClone().AsObject();
        Content = loaded.DeepClone().AsObject();
    }

    /// <summary>Replaces the working content (the JSON view, or a combined version) and keeps what it was loaded from.</summary>
    public void Replace(JsonObject content) => Content = content.DeepClone().AsObject();

    public string Text(string field) => TextOf(Content[field]);

    public void SetText(string field, string? value) => Content[field] = value ?? "";

    public int? Number(string field) =>
        Content[field] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;

    public void SetNumber(string field, int? value) => Content[field] = value;

    public IReadOnlyList<Guid> Ids(string field) => IdsOf(Content[field]);

    public void SetIds(string field, IEnumerable<Guid> ids) =>
        Content[field] = new JsonArray(ids.Select(id => (JsonNode)id.ToString()).ToArray());

    public IReadOnlyList<FieldError> Validate() => SectionSchemas.Validate(Type, Content).Errors;

    /// <summary>The content as indented JSON, fields in the form's order (the database keeps its own key order).</summary>
    public string ToJson()
    {
        var order = Fields.Select(f => f.Name).ToList();
        var ordered = new JsonObject();
        foreach (var (key, value) in Content.OrderBy(p => order.IndexOf(p.Key) is var i and >= 0 ? i : int.MaxValue))
            ordered[key] = value?.DeepClone();
        return ordered.ToJsonString(Readable);
    }

    /// <summary>
    /// "Theirs plus mine": their newer content, with every field this editor changed since loading taken from this
    /// draft. Where both changed the same field, this editor's value wins (the conflict dialog says so).
    /// </summary>
    public JsonObject CombineWith(JsonObject theirs)
    {
        var combined = theirs.DeepClone().AsObject();
        foreach (var field in ChangedFields())
        {
            if (Content[field] is { } mine) combined[field] = mine.DeepClone();
            else combined.Remove(field);
        }
        return combined;
    }

    /// <summary>The fields whose value differs from the loaded version (every key of either side).</summary>
    public IReadOnlyList<string> ChangedFields() =>
        Content.Select(p => p.Key).Union(Loaded.Select(p => p.Key))
            .Where(k => !SameValue(Content[k], Loaded[k]))
            .ToList();

    /// <summary>Equal as content: an empty text and a missing field are the same.</summary>
    public static bool SameValue(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(Meaningful(a), Meaningful(b));

    public static string TextOf(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    public static IReadOnlyList<Guid> IdsOf(JsonNode? node) =>
        node is JsonArray array
            ? array.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? g : Guid.Empty)
                .Where(g => g != Guid.Empty).ToList()
            : [];

    private static JsonObject Meaningful(JsonObject content)
    {
        var result = new JsonObject();
        foreach (var (key, value) in content)
            if (Meaningful(value) is { } kept) result[key] = kept;
        return result;
    }

    private static JsonNode? Meaningful(JsonNode? value) =>
        value is null || (value is JsonValue v && v.TryGetValue<string>(out var s) && string.IsNullOrWhiteSpace(s))
            ? null
            : value.DeepClone();
}
