using Admin.Data.Content;
using Admin.Data.Reference;

namespace Admin.Web.Features.Content;

/// <summary>
/// The sections list's state and reads: the locales, the filters of the address, the sections of the shown locale
/// (one query, filters in SQL), and the reorder mode (the whole locale's order, moved by buttons or drops, saved in one
/// call). The page binds to it and keeps the dialogs, navigation and focus.
/// </summary>
public sealed class SectionsListState(ContentService content)
{
    public IReadOnlyList<CodeName> Locales { get; private set; } = [];
    public string? Locale { get; private set; }
    public string? Status { get; private set; }
    public string? Type { get; private set; }
    /// <summary>The search the list shows (the box may hold newer text while the editor types).</summary>
    public string? AppliedSearch { get; private set; }
    public IReadOnlyList<SectionListItem> Rows { get; private set; } = [];
    public bool Loaded { get; private set; }

    /// <summary>Sections the list draws at a time (all of them are read; the pager shows the rest).</summary>
    public const int PageSize = 50;

    public bool Reordering { get; private set; }
    /// <summary>Someone changed a section of the locale while the editor was reordering.</summary>
    public bool ChangedWhileReordering { get; private set; }
    public IReadOnlyList<SectionListItem> Order => _order;
    private List<SectionListItem> _order = [];

    private string? _defaultLocale;

    public bool HasFilters => Status is not null || Type is not null || !string.IsNullOrWhiteSpace(AppliedSearch);
    public IReadOnlyList<SectionListItem> Visible => Reordering ? Order : Rows;

    /// <summary>The locales, and the one to show without ?locale: the user's first locale scope that is active, else the first.</summary>
    public async Task StartAsync(IEnumerable<string> localeScopes, CancellationToken ct = default)
    {
        Locales = await content.ActiveLocalesAsync(ct);
        _defaultLocale = localeScopes.FirstOrDefault(code => Locales.Any(l => l.Code == code)) ?? Locales.FirstOrDefault()?.Code;
    }

    /// <summary>The filters of the address (unknown values are ignored), then the list.</summary>
    public async Task ApplyAddressAsync(string? locale, string? status, string? type, string? search, CancellationToken ct = default)
    {
        Locale = Locales.Any(l => l.Code == locale) ? locale : _defaultLocale;
        Status = SectionStatuses.All.Contains(status ?? "") ? status : null;
        Type = SectionTypes.All.Contains(type ?? "") ? type : null;
        AppliedSearch = string.IsNullOrWhiteSpace(search) ? null : search.Trim();
        await LoadAsync(ct);
    }

    /// <summary>One query for the whole list of the locale, filters applied in SQL.</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        Rows = Locale is null ? [] : await content.ListAsync(Locale, new SectionFilter(Status, Type, AppliedSearch), ct);
        Loaded = true;
    }

    /// <summary>A live change of the shown locale: the list again, or, while reordering, a note that something changed.</summary>
    public Task OnChangedAsync(CancellationToken ct)
    {
        if (!Reordering) return LoadAsync(ct);
        ChangedWhileReordering = true;
        return Task.CompletedTask;
    }

    /// <summary>True for a live event about a section of the shown locale (kinds end in ":&lt;locale&gt;").</summary>
    public bool Concerns(string? kind) => Locale is not null && kind?.EndsWith(":" + Locale, StringComparison.Ordinal) == true;

    public void StartReorder()
    {
        _order = Rows.ToList();
        ChangedWhileReordering = false;
        Reordering = true;
    }

    public async Task CancelReorderAsync()
    {
        Reordering = false;
        await LoadAsync();
    }

    public int Position(SectionListItem s) => _order.IndexOf(s) + 1;

    /// <summary>Moves a section up (-1) or down (+1); false at either end.</summary>
    public bool Move(SectionListItem s, int delta)
    {
        var from = Position(s) - 1;
        var to = from + delta;
        if (from < 0 || to < 0 || to >= Order.Count) return false;
        _order = SectionOrder.Moved(_order, s, to);
        return true;
    }

    /// <summary>A section dropped at <paramref name="index"/> takes that place.</summary>
    public void Drop(SectionListItem s, int index) => _order = SectionOrder.Moved(_order, s, Math.Clamp(index, 0, _order.Count - 1));

    /// <summary>True when the order differs from the list's.</summary>
    public bool OrderChanged => !Order.Select(o => o.Id).SequenceEqual(Rows.Select(r => r.Id));

    /// <summary>Saves the whole order in one call (all or nothing), leaves reorder mode and reads the list again.</summary>
    public async Task SaveOrderAsync()
    {
        if (Locale is null) return;
        await content.ReorderAsync(Locale, Order.Select(o => o.Id).ToList());
        Reordering = false;
        await LoadAsync();
    }

    /// <summary>Leaves reorder mode without saving (nothing to save).</summary>
    public void EndReorder() => Reordering = false;
}
