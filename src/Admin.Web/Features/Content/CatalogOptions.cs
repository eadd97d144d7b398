using System.Text.Json.Nodes;
using Admin.Data.Content;

namespace Admin.Web.Features.Content;

/// <summary>One product or category a section can link to, as the pickers show it.</summary>
public sealed record LinkOption(Guid Id, string Name, string Detail);

/// <summary>The active products and categories the editor's pickers offer, loaded only for types that link to them.</summary>
public sealed class CatalogOptions
{
    public static readonly CatalogOptions None = new([], []);

    private readonly Dictionary<Guid, LinkOption> _byId;

    private CatalogOptions(IReadOnlyList<LinkOption> products, IReadOnlyList<LinkOption> categories)
    {
        Products = products;
        Categories = categories;
        _byId = products.Concat(categories).ToDictionary(o => o.Id);
    }

    public IReadOnlyList<LinkOption> Products { get; }
    public IReadOnlyList<LinkOption> Categories { get; }

    public static async Task<CatalogOptions> LoadAsync(ContentService content, string sectionType, CancellationToken ct = default)
    {
        if (!SectionSchemas.IsKnownType(sectionType)) return None;
        var kinds = SectionSchemas.For(sectionType).Select(f => f.Kind).ToHashSet();
        var products = kinds.Contains(FieldKind.Products)
            ? (await content.ProductsAsync(ct)).Select(p => new LinkOption(p.Id, p.Name, $"{p.Sku} · {p.Price:0.00}")).ToList()
            : [];
        var categories = kinds.Contains(FieldKind.Categories)
            ? (await content.CategoriesAsync(ct)).Select(c => new LinkOption(c.Id, c.Name, c.Slug)).ToList()
            : [];
        return new CatalogOptions(products, categories);
    }

    public IReadOnlyList<LinkOption> For(FieldKind kind) => kind == FieldKind.Products ? Products : Categories;

    /// <summary>The name of a linked item; one that is no longer offered (deleted or inactive) says so.</summary>
    public string NameOf(Guid id) => _byId.TryGetValue(id, out var o) ? o.Name : $"Unavailable item ({id.ToString()[..8]}…)";

    public bool IsAvailable(Guid id) => _byId.ContainsKey(id);

    /// <summary>A field's value in plain words, for side-by-side comparisons: names for links, text for HTML.</summary>
    public string Describe(FieldSpec field, JsonNode? value)
    {
        switch (field.Kind)
        {
            case FieldKind.Products or FieldKind.Categories:
                var ids = SectionDraft.IdsOf(value);
                return ids.Count == 0 ? "" : string.Join(", ", ids.Select(NameOf));
            case FieldKind.Html:
                var html = SectionDraft.TextOf(value);
                return html.Length == 0 ? "" : new AngleSharp.Html.Parser.HtmlParser().ParseDocument($"<body>{html}</body>").Body!.TextContent.Trim();
            default:
                return SectionDraft.TextOf(value).Trim();
        }
    }
}
