using Admin.Data.Content;

namespace Admin.Web.Features.Content;

/// <summary>The device widths the live preview renders the storefront at, in CSS pixels.</summary>
public enum PreviewWidth { Phone = 390, Tablet = 768, Desktop = 1280 }

/// <summary>
/// The editor's live preview: the draft as the storefront would render it, rebuilt when the draft's content changes
/// (each keystroke of an immediate field), without saving anything. Only a change to the linked products or categories
/// reads the database; text is rendered from memory, HTML sanitised as a save would sanitise it.
/// </summary>
public sealed class SectionPreviewState(ContentService content)
{
    public PreviewWidth Width { get; set; } = PreviewWidth.Desktop;

    public PreviewSection? Section { get; private set; }

    /// <summary>How many times the linked items were read (tests look at it: typing text reads nothing).</summary>
    public int ItemReads { get; private set; }

    private string? _shownContent;
    private string? _itemsKey;
    private IReadOnlyList<PreviewProduct> _products = [];
    private IReadOnlyList<PreviewCategory> _categories = [];

    /// <summary>Shows <paramref name="draft"/>; false when its content is what is shown already.</summary>
    public async Task<bool> ShowAsync(SectionDraft draft, Guid id, string key, int version, int? publishedVersion, CancellationToken ct = default)
    {
        var json = draft.Content.ToJsonString();
        if (json == _shownContent && Section?.Id == id) return false;
        var products = LinkedIds(draft, FieldKind.Products);
        var categories = LinkedIds(draft, FieldKind.Categories);
        var itemsKey = string.Join(',', products) + "|" + string.Join(',', categories);
        if (itemsKey != _itemsKey)
        {
            if (products.Count + categories.Count == 0) (_products, _categories) = ([], []);
            else
            {
                (_products, _categories) = await content.PreviewItemsAsync(products, categories, ct);
                ItemReads++;
            }
            _itemsKey = itemsKey;
        }
        Section = PreviewSection.FromDraft(id, key, draft.Type, version, publishedVersion, draft.Content, _products, _categories);
        _shownContent = json;
        return true;
    }

    private static IReadOnlyList<Guid> LinkedIds(SectionDraft draft, FieldKind kind) =>
        draft.Fields.FirstOrDefault(f => f.Kind == kind) is { } field ? draft.Ids(field.Name) : [];
}
