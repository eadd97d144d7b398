using Admin.Data.Audit;
using Admin.Data.Live;
using Admin.Web.Features.Account;

namespace Admin.Web.Features.Audit;

/// <summary>
/// The audit viewer's state: the view of the address (<see cref="AuditView"/>), the filter form, one keyset page of
/// events or denials, the live tail (fresh rows, events counted while paused) and the expanded row. The page binds to it.
/// </summary>
public sealed class AuditViewerState(AuditSearch search, TimeProvider time)
{
    public const int PageSize = 50;

    public AuditView View { get; private set; } = new();
    public AuditFilterForm Form { get; private set; } = new();
    public IReadOnlyList<AuditRow> Events { get; private set; } = [];
    public IReadOnlyList<DenialRow> Denials { get; private set; } = [];
    public IReadOnlySet<long> Fresh { get; private set; } = new HashSet<long>();
    public Keyset? Next { get; private set; }
    public long? Expanded { get; private set; }
    public int Pending { get; private set; }
    public bool Loaded { get; private set; }
    public bool AllFields { get; set; }
    public string? Error { get; private set; }

    /// <summary>Shows the view an address describes (a new filter, page or tab is a navigation).</summary>
    public Task ShowAsync(AuditView view, CancellationToken ct = default)
    {
        SetView(view);
        return LoadAsync(markFresh: false, ct);
    }

    /// <summary>The view, the form filled from it, nothing pending or expanded (before its rows are read).</summary>
    public void SetView(AuditView view)
    {
        View = view;
        Form = AuditFilterForm.From(view);
        Pending = 0;
        Expanded = null;
    }

    private int _reads;

    /// <summary>
    /// Reads the page again; with <paramref name="markFresh"/>, rows not shown before are marked as new. A read overtaken
    /// by a later one (a live reload still running when a new filter is applied) is dropped, so older rows never replace
    /// the rows of the view in the address.
    /// </summary>
    public async Task LoadAsync(bool markFresh, CancellationToken ct = default)
    {
        var read = ++_reads;
        try
        {
            var filter = View.ToFilter(time.GetUtcNow());
            var after = Keyset.Parse(View.Before);
            var before = (View.IsDenials ? Denials.Select(d => d.Id) : Events.Select(e => e.Id)).ToHashSet();
            IEnumerable<long> ids;
            if (View.IsDenials)
            {
                var page = await search.DenialsAsync(filter, after, PageSize, ct);
                if (read != _reads) return;
                (Denials, Next) = (page.Rows, page.Next);
                ids = Denials.Select(d => d.Id);
            }
            else
            {
                var page = await search.AuditAsync(filter, after, PageSize, ct);
                if (read != _reads) return;
                (Events, Next) = (page.Rows, page.Next);
                ids = Events.Select(e => e.Id);
            }
            Fresh = markFresh ? ids.Where(id => !before.Contains(id)).ToHashSet() : new HashSet<long>();
            Error = null;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
        {
            if (read != _reads) return;
            Error = "The audit trail could not be read just now (the database did not answer); it will try again with the next event.";
        }
        Loaded = true;
    }

    /// <summary>
    /// What a live event means here: nothing (another tab's kind, or an older page), one more pending event (paused),
    /// or a reload (the live tail). Denials and audit events share the topic; only the newest page tails.
    /// </summary>
    public TailAction OnEvent(LiveEvent e)
    {
        if (!e.IsResync && ((e.Kind == LiveReaders.DenialKind) != View.IsDenials || View.Before is not null)) return TailAction.Ignore;
        if (View.Paused)
        {
            Pending++;
            return TailAction.Count;
        }
        return TailAction.Reload;
    }

    public async Task ShowPendingAsync()
    {
        Pending = 0;
        await LoadAsync(markFresh: true);
    }

    public void Toggle(long id) => Expanded = Expanded == id ? null : id;

    /// <summary>The view the filter form describes (a preset range, or the dates picked), from the first page.</summary>
    public AuditView Applied() => View with
    {
        Range = Form.Dates is null ? Blank(Form.Range) : null,
        From = Form.Dates?.Start is { } start ? new DateTimeOffset(DateTime.SpecifyKind(start.Date, DateTimeKind.Utc)) : null,
        To = Form.Dates?.End is { } end ? new DateTimeOffset(DateTime.SpecifyKind(end.Date.AddDays(1), DateTimeKind.Utc)) : null,
        Actor = Blank(Form.Actor), Action = Blank(Form.Action), Table = Blank(Form.Table), Record = Blank(Form.Record),
        Request = Blank(Form.Request), Text = Blank(Form.Text), Before = null,
    };

    public AuditView Cleared() => new(View.Tab, Paused: View.Paused);

    public string ExportLink(string format) => $"{AuditExportEndpoint.Path}?format={format}&{(View with { Before = null, Paused = false }).ToQueryString()}";

    public static string Join(string[] items) => items.Length == 0 ? "—" : string.Join(", ", items);

    public static string Short(string request) => request.Length > 18 ? request[..18] + "…" : request;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

public enum TailAction { Ignore, Count, Reload }

/// <summary>The filter form's fields, copied from the view and applied as a navigation.</summary>
public sealed class AuditFilterForm
{
    public string? Range { get; set; }
    public MudBlazor.DateRange? Dates { get; set; }
    public string? Actor { get; set; }
    public string? Action { get; set; }
    public string? Table { get; set; }
    public string? Record { get; set; }
    public string? Request { get; set; }
    public string? Text { get; set; }

    public static AuditFilterForm From(AuditView v) => new()
    {
        Range = v.Range ?? "",
        Dates = v.From is null && v.To is null ? null
            : new MudBlazor.DateRange(v.From?.UtcDateTime.Date, v.To is { } to ? to.UtcDateTime.AddTicks(-1).Date : null),
        Actor = v.Actor, Action = v.Action, Table = v.Table, Record = v.Record, Request = v.Request, Text = v.Text,
    };
}
