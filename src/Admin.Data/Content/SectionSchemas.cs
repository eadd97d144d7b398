using System.Text.Json;
using System.Text.Json.Nodes;

namespace Admin.Data.Content;

public enum FieldKind { Text, LongText, Url, Html, Choice, Number, Products, Categories }

/// <summary>One field of a section type's content: what the editor form shows and what validation enforces.</summary>
public sealed record FieldSpec(
    string Name, string Label, FieldKind Kind, bool Required = false, int MaxLength = 0,
    IReadOnlyList<string>? Options = null, int Min = 0, int Max = 0, string? Help = null);

public sealed record FieldError(string Field, string Message);

/// <summary>
/// The content shape of each section type. The editor renders its form from these specs and <see cref="Validate"/>
/// enforces them on every save, so the JSON view cannot store what the form could not.
/// </summary>
public static class SectionSchemas
{
    public const int MaxContentBytes = 256 * 1024;
    public const int MaxLinkedItems = 24;

    private static readonly IReadOnlyDictionary<string, IReadOnlyList<FieldSpec>> Specs = new Dictionary<string, IReadOnlyList<FieldSpec>>
    {
        [SectionTypes.Hero] =
        [
            new("title", "Title", FieldKind.Text, Required: true, MaxLength: 120),
            new("subtitle", "Subtitle", FieldKind.LongText, MaxLength: 300),
            new("imageUrl", "Image URL", FieldKind.Url, Required: true, Help: "https:// address of the background image"),
            new("ctaText", "Button text", FieldKind.Text, MaxLength: 40),
            new("ctaUrl", "Button link", FieldKind.Url, Help: "https:// address or a site path such as /sale"),
        ],
        [SectionTypes.Banner] =
        [
            new("text", "Text", FieldKind.Text, Required: true, MaxLength: 200),
            new("tone", "Tone", FieldKind.Choice, Required: true, Options: ["info", "promo", "warning"]),
            new("linkUrl", "Link", FieldKind.Url, Help: "https:// address or a site path"),
            new("imageUrl", "Image URL", FieldKind.Url),
        ],
        [SectionTypes.RichText] =
        [
            new("title", "Title", FieldKind.Text, MaxLength: 120),
            new("html", "Text", FieldKind.Html, Required: true, MaxLength: 100_000, Help: "Formatting is kept; scripts, styles and unsafe links are removed on save"),
        ],
        [SectionTypes.ProductCarousel] =
        [
            new("title", "Title", FieldKind.Text, Required: true, MaxLength: 120),
            new("productIds", "Products", FieldKind.Products, Required: true, Min: 1, Max: MaxLinkedItems),
        ],
        [SectionTypes.CategoryGrid] =
        [
            new("title", "Title", FieldKind.Text, Required: true, MaxLength: 120),
            new("columns", "Columns", FieldKind.Number, Required: true, Min: 2, Max: 6),
            new("categoryIds", "Categories", FieldKind.Categories, Required: true, Min: 1, Max: MaxLinkedItems),
        ],
    };

    public static IReadOnlyList<FieldSpec> For(string sectionType) =>
        Specs.TryGetValue(sectionType, out var spec) ? spec : throw new ArgumentException($"Unknown section type '{sectionType}'.");

    public static bool IsKnownType(string sectionType) => Specs.ContainsKey(sectionType);

    /// <summary>A valid starting content for a new section of the type (what the form shows first).</summary>
    public static JsonObject Empty(string sectionType)
    {
        var content = new JsonObject();
        foreach (var field in For(sectionType))
        {
            content[field.Name] = field.Kind switch
            {
                FieldKind.Products or FieldKind.Categories => new JsonArray(),
                FieldKind.Number => field.Min,
                FieldKind.Choice => field.Options![0],
                _ => "",
            };
        }
        return content;
    }

    /// <summary>
    /// Checks content against the type's fields and returns it normalised (trimmed text, sanitised HTML, no empty
    /// optional fields). Unknown fields, wrong types, bad URLs and oversize payloads are errors naming the field.
    /// </summary>
    public static (JsonObject Content, IReadOnlyList<FieldError> Errors) Validate(string sectionType, JsonObject content)
    {
        var errors = new List<FieldError>();
        if (!IsKnownType(sectionType))
            return (content, [new FieldError("type", $"Unknown section type '{sectionType}'. Use one of: {string.Join(", ", SectionTypes.All)}.")]);
        var size = JsonSerializer.SerializeToUtf8Bytes(content).Length;
        if (size > MaxContentBytes)
            return (content, [new FieldError("content", $"Content is {size / 1024} kB; the limit is {MaxContentBytes / 1024} kB.")]);

        var specs = For(sectionType);
        foreach (var name in content.Select(p => p.Key))
            if (specs.All(s => s.Name != name))
                errors.Add(new FieldError(name, $"'{name}' is not a field of a {SectionTypes.Label(sectionType)} section."));

        var normalised = new JsonObject();
        foreach (var spec in specs)
        {
            var value = content[spec.Name];
            var result = spec.Kind switch
            {
                FieldKind.Products or FieldKind.Categories => ValidateIds(spec, value, errors),
                FieldKind.Number => ValidateNumber(spec, value, errors),
                _ => ValidateText(spec, value, errors),
            };
            if (result is not null) normalised[spec.Name] = result;
        }
        return (normalised, errors);
    }

    private static JsonNode? ValidateText(FieldSpec spec, JsonNode? value, List<FieldError> errors)
    {
        if (value is not null && value.GetValueKind() != JsonValueKind.String)
        {
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be text."));
            return null;
        }
        var text = value?.GetValue<string>().Trim() ?? "";
        if (spec.Kind == FieldKind.Html) text = HtmlSanitizer.Sanitize(text);
        if (text.Length == 0 || (spec.Kind == FieldKind.Html && IsBlankHtml(text)))
        {
            if (spec.Required) errors.Add(new FieldError(spec.Name, $"{spec.Label} is required."));
            return null;
        }
        if (spec.MaxLength > 0 && text.Length > spec.MaxLength)
            errors.Add(new FieldError(spec.Name, $"{spec.Label} is {text.Length} characters; at most {spec.MaxLength} are allowed."));
        if (spec.Kind == FieldKind.Url && !IsValidLink(text))
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be an https:// or http:// address, or a site path starting with /."));
        if (spec.Kind == FieldKind.Choice && !spec.Options!.Contains(text))
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be one of: {string.Join(", ", spec.Options!)}."));
        return text;
    }

    private static JsonNode? ValidateNumber(FieldSpec spec, JsonNode? value, List<FieldError> errors)
    {
        if (value is null || value.GetValueKind() != JsonValueKind.Number || !int.TryParse(value.ToJsonString(), out var number))
        {
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be a whole number from {spec.Min} to {spec.Max}."));
            return null;
        }
        if (number < spec.Min || number > spec.Max)
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be from {spec.Min} to {spec.Max}."));
        return number;
    }

    private static JsonNode? ValidateIds(FieldSpec spec, JsonNode? value, List<FieldError> errors)
    {
        if (value is not JsonArray array || array.Any(i => i is null || i.GetValueKind() != JsonValueKind.String || !Guid.TryParse(i.GetValue<string>(), out _)))
        {
            errors.Add(new FieldError(spec.Name, $"{spec.Label} must be a list of ids."));
            return null;
        }
        var ids = array.Select(i => Guid.Parse(i!.GetValue<string>())).ToList();
        if (ids.Count < spec.Min) errors.Add(new FieldError(spec.Name, $"{spec.Label}: choose at least {spec.Min}."));
        if (ids.Count > spec.Max) errors.Add(new FieldError(spec.Name, $"{spec.Label}: choose at most {spec.Max}."));
        if (ids.Distinct().Count() != ids.Count) errors.Add(new FieldError(spec.Name, $"{spec.Label} lists the same item twice."));
        return new JsonArray(ids.Select(id => (JsonNode)id.ToString()).ToArray());
    }

    public static IReadOnlyList<Guid> LinkedIds(JsonDocument content, string field) =>
        content.RootElement.TryGetProperty(field, out var ids) && ids.ValueKind == JsonValueKind.Array
            ? ids.EnumerateArray().Select(i => Guid.TryParse(i.GetString(), out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).ToList()
            : [];

    private static bool IsValidLink(string url) =>
        (url.StartsWith('/') && !url.StartsWith("//") && !url.Contains('\\') && !url.Any(char.IsWhiteSpace))
        || (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" && !string.IsNullOrEmpty(uri.Host));

    private static bool IsBlankHtml(string html) =>
        string.IsNullOrWhiteSpace(new AngleSharp.Html.Parser.HtmlParser().ParseDocument($"<body>{html}</body>").Body!.TextContent)
        && !html.Contains("<hr", StringComparison.OrdinalIgnoreCase);
}
