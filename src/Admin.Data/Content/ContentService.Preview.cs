using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Content;

/// <summary>A product card as the storefront shows it.</summary>
public sealed record PreviewProduct(Guid Id, string Sku, string Name, string? Description, decimal Price, string? ImageUrl, bool InStock, bool Featured);

/// <summary>A category tile as the storefront shows it.</summary>
public sealed record PreviewCategory(Guid Id, string Slug, string Name, string? Description, string? ImageUrl);

/// <summary>
/// One section of a locale's homepage as the storefront would render it: the shown version's content (without the id
/// lists) and the products and categories it links to, in order.
/// </summary>
public sealed record PreviewSection(
    Guid Id, string Key, string Type, int Order, int Version, int? PublishedVersion, JsonElement Content,
    IReadOnlyList<PreviewProduct> Products, IReadOnlyList<PreviewCategory> Categories)
{
    /// <summary>The shown version is not the one live on the storefront (a newer draft, or never published).</summary>
    public bool IsDraft => Version != PublishedVersion;

    public string? Text(string field) =>
        Content.ValueKind == JsonValueKind.Object && Content.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString() : null;

    public int? Number(string field) =>
        Content.ValueKind == JsonValueKind.Object && Content.TryGetProperty(field, out var v) && v.TryGetInt32(out var n) ? n : null;

    /// <summary>
    /// An unsaved draft as the storefront would render it once saved and published: its HTML fields sanitised as a save
    /// would sanitise them (so the preview never runs markup a save would drop), empty fields dropped, the id lists
    /// replaced by the items.
    /// </summary>
    public static PreviewSection FromDraft(Guid id, string key, string type, int version, int? publishedVersion, JsonObject draft,
        IReadOnlyList<PreviewProduct> products, IReadOnlyList<PreviewCategory> categories)
    {
        var content = new JsonObject();
        var fields = SectionSchemas.IsKnownType(type) ? SectionSchemas.For(type).ToDictionary(f => f.Name) : [];
        foreach (var (name, value) in draft)
        {
            var kind = fields.TryGetValue(name, out var spec) ? spec.Kind : (FieldKind?)null;
            // Links become the items; empty optional fields are dropped, as a save drops them.
            if (kind is FieldKind.Products or FieldKind.Categories || value is JsonValue e && e.TryGetValue<string>(out var text) && string.IsNullOrWhiteSpace(text)) continue;
            content[name] = kind == FieldKind.Html && value is JsonValue v && v.TryGetValue<string>(out var html)
                ? HtmlSanitizer.Sanitize(html)
                : value?.DeepClone();
        }
        return new PreviewSection(id, key, type, 0, version, publishedVersion, JsonSerializer.SerializeToElement(content), products, categories);
    }
}

public sealed partial class ContentService
{
    /// <summary>
    /// The homepage of a locale: as published (exactly what <c>content_published_homepage</c> serves the storefront),
    /// or with every active, non-archived section at its newest version. One query either way: products and
    /// categories are resolved inside it, not per section.
    /// </summary>
    public async Task<IReadOnlyList<PreviewSection>> PreviewAsync(string locale, bool includeDrafts, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = includeDrafts
            ? await db.Database.SqlQuery<string>($"""
                SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'id', hs.id, 'key', hs.section_key, 'type', hs.section_type, 'order', hs.display_order,
                           'version', sv.version_number, 'publishedVersion', pv.version_number,
                           'content', sv.content - 'productIds' - 'categoryIds',
                           'products', coalesce(p.items, '[]'::jsonb), 'categories', coalesce(c.items, '[]'::jsonb))
                           ORDER BY hs.display_order), '[]'::jsonb)::text AS "Value"
                FROM homepage_sections hs
                JOIN section_versions sv ON sv.section_id = hs.id AND sv.version_number = hs.latest_version_number
                LEFT JOIN section_versions pv ON pv.id = hs.published_version_id
                LEFT JOIN LATERAL (
                    SELECT jsonb_agg(jsonb_build_object(
                               'id', pr.id, 'sku', pr.sku, 'name', pr.name, 'description', pr.description, 'price', pr.price,
                               'imageUrl', pr.image_url, 'inStock', pr.inventory_count > 0, 'featured', pr.is_featured)
                           ORDER BY ids.ord) AS items
                    FROM jsonb_array_elements_text(sv.content -> 'productIds') WITH ORDINALITY ids (id, ord)
                    JOIN products pr ON pr.id = ids.id::uuid AND pr.is_active) p ON true
                LEFT JOIN LATERAL (
                    SELECT jsonb_agg(jsonb_build_object(
                               'id', ca.id, 'slug', ca.slug, 'name', ca.name, 'description', ca.description, 'imageUrl', ca.image_url)
                           ORDER BY ids.ord) AS items
                    FROM jsonb_array_elements_text(sv.content -> 'categoryIds') WITH ORDINALITY ids (id, ord)
                    JOIN categories ca ON ca.id = ids.id::uuid AND ca.is_active) c ON true
                WHERE hs.locale = {locale} AND hs.status <> 'archived' AND hs.is_active
                """).SingleAsync(ct)
            : await db.Database.SqlQuery<string>($"""SELECT content_published_homepage({locale})::text AS "Value" """).SingleAsync(ct);

        var rows = JsonSerializer.Deserialize<List<PreviewRow>>(json, JsonSerializerOptions.Web) ?? [];
        return rows.Select(r => new PreviewSection(r.Id, r.Key, r.Type, r.Order, r.Version,
            includeDrafts ? r.PublishedVersion : r.Version, r.Content, r.Products, r.Categories)).ToList();
    }

    /// <summary>
    /// The products and categories a draft links to, as the storefront shows them: active ones only, in the draft's order
    /// (one round trip for both lists).
    /// </summary>
    public async Task<(IReadOnlyList<PreviewProduct> Products, IReadOnlyList<PreviewCategory> Categories)> PreviewItemsAsync(
        IReadOnlyList<Guid> productIds, IReadOnlyList<Guid> categoryIds, CancellationToken ct = default)
    {
        if (productIds.Count == 0 && categoryIds.Count == 0) return ([], []);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var json = await db.Database.SqlQuery<string>($"""
            SELECT jsonb_build_object(
                'products', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                 'id', pr.id, 'sku', pr.sku, 'name', pr.name, 'description', pr.description, 'price', pr.price,
                                 'imageUrl', pr.image_url, 'inStock', pr.inventory_count > 0, 'featured', pr.is_featured) ORDER BY ids.ord), '[]'::jsonb)
                             FROM unnest({productIds.ToArray()}::uuid[]) WITH ORDINALITY ids (id, ord)
                             JOIN products pr ON pr.id = ids.id AND pr.is_active),
                'categories', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                   'id', ca.id, 'slug', ca.slug, 'name', ca.name, 'description', ca.description, 'imageUrl', ca.image_url) ORDER BY ids.ord), '[]'::jsonb)
                               FROM unnest({categoryIds.ToArray()}::uuid[]) WITH ORDINALITY ids (id, ord)
                               JOIN categories ca ON ca.id = ids.id AND ca.is_active))::text AS "Value"
            """).SingleAsync(ct);
        var items = JsonSerializer.Deserialize<PreviewItems>(json, JsonSerializerOptions.Web)!;
        return (items.Products, items.Categories);
    }

    private sealed record PreviewItems(List<PreviewProduct> Products, List<PreviewCategory> Categories);

    /// <summary>Names of products and categories by id, inactive ones included (old versions may link to them).</summary>
    public async Task<IReadOnlyDictionary<Guid, string>> LinkedNamesAsync(IEnumerable<Guid> ids, CancellationToken ct = default)
    {
        var wanted = ids.Distinct().ToArray();
        if (wanted.Length == 0) return new Dictionary<Guid, string>();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var products = await db.Products.AsNoTracking().Where(p => wanted.Contains(p.Id))
            .Select(p => new { p.Id, p.Name, p.IsActive }).ToListAsync(ct);
        var categories = await db.Categories.AsNoTracking().Where(c => wanted.Contains(c.Id))
            .Select(c => new { c.Id, c.Name, c.IsActive }).ToListAsync(ct);
        return products.Concat(categories).ToDictionary(x => x.Id, x => x.IsActive ? x.Name : x.Name + " (inactive)");
    }

    private sealed record PreviewRow(
        Guid Id, string Key, string Type, int Order, int Version, int? PublishedVersion, JsonElement Content,
        List<PreviewProduct> Products, List<PreviewCategory> Categories);
}
