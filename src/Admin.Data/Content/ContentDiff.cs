using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using DiffPlex;

namespace Admin.Data.Content;

public enum ChangeKind { Unchanged, Added, Removed, Changed }

public enum SegmentKind { Unchanged, Inserted, Deleted }

/// <summary>A run of text that both sides share, or that only the right side (inserted) or the left side (deleted) has.</summary>
public sealed record DiffSegment(SegmentKind Kind, string Text);

public enum ItemChange { Unchanged, Added, Removed, Moved }

/// <summary>One linked product or category: where it stands on each side (1-based; null when absent there).</summary>
public sealed record ItemComparison(Guid Id, string Name, ItemChange Change, int? LeftPosition, int? RightPosition);

/// <summary>
/// One field of two versions side by side. <see cref="LeftText"/> and <see cref="RightText"/> are what a person reads
/// (the visible text of HTML, product names of id lists); null when the field is absent on that side.
/// <see cref="Segments"/> is the word-level diff of the two texts (left = unchanged + deleted, right = unchanged +
/// inserted). For HTML, <see cref="MarkupChanged"/> says whether the markup differs and <see cref="MarkupSegments"/> is
/// the diff of the markup itself; for id lists, <see cref="Items"/> says which items were added, removed or moved.
/// </summary>
public sealed record FieldComparison(
    string Field, string Label, FieldKind? Kind, ChangeKind Change, string? LeftText, string? RightText,
    IReadOnlyList<DiffSegment> Segments, bool MarkupChanged = false, IReadOnlyList<DiffSegment>? MarkupSegments = null,
    IReadOnlyList<ItemComparison>? Items = null)
{
    /// <summary>A field the section type does not define (left in an old version by an earlier schema).</summary>
    public bool IsExtra => Kind is null;

    /// <summary>The HTML differs only in formatting: the visible text is identical.</summary>
    public bool FormattingOnly => MarkupChanged && LeftText == RightText;
}

/// <summary>
/// Compares two versions of a section field by field, with word-level highlighting of text (DiffPlex on tokens that
/// split at whitespace and punctuation). Pure: names of linked products and categories come from the caller.
/// </summary>
public static partial class ContentDiff
{
    private static readonly Differ Differ = new();
    private static readonly HtmlParser HtmlParser = new();

    /// <param name="names">Display names of linked products/categories; ids it does not know are shown shortened.</param>
    public static IReadOnlyList<FieldComparison> Compare(string sectionType, JsonDocument left, JsonDocument right,
        IReadOnlyDictionary<Guid, string>? names = null)
    {
        var l = left.RootElement;
        var r = right.RootElement;
        var specs = SectionSchemas.IsKnownType(sectionType) ? SectionSchemas.For(sectionType) : [];
        var result = new List<FieldComparison>();
        foreach (var spec in specs)
            result.Add(CompareField(spec.Name, spec.Label, spec.Kind, Property(l, spec.Name), Property(r, spec.Name), names));

        // Fields the schema no longer (or never) had still show, in the order the versions list them.
        var extras = Names(l).Concat(Names(r)).Distinct().Where(n => specs.All(s => s.Name != n));
        foreach (var name in extras)
            result.Add(CompareField(name, name, null, Property(l, name), Property(r, name), names));
        return result;
    }

    /// <summary>The visible text of sanitised HTML: block elements and line breaks become line breaks, other whitespace collapses.</summary>
    public static string VisibleText(string html)
    {
        var body = HtmlParser.ParseDocument($"<body>{html}</body>").Body!;
        var text = new StringBuilder();
        AppendText(body, text);
        var lines = text.ToString().Split('\n').Select(line => Whitespace().Replace(line, " ").Trim()).Where(line => line.Length > 0);
        return string.Join("\n", lines);
    }

    /// <summary>Word-level diff: words, whitespace runs and single punctuation marks are the units that change.</summary>
    public static IReadOnlyList<DiffSegment> Words(string left, string right)
    {
        if (left == right) return left.Length == 0 ? [] : [new DiffSegment(SegmentKind.Unchanged, left)];
        var diff = Differ.CreateCustomDiffs(left, right, false, Tokens);
        var segments = new List<DiffSegment>();
        var a = 0;
        foreach (var block in diff.DiffBlocks)
        {
            Add(segments, SegmentKind.Unchanged, diff.PiecesOld, a, block.DeleteStartA - a);
            Add(segments, SegmentKind.Deleted, diff.PiecesOld, block.DeleteStartA, block.DeleteCountA);
            Add(segments, SegmentKind.Inserted, diff.PiecesNew, block.InsertStartB, block.InsertCountB);
            a = block.DeleteStartA + block.DeleteCountA;
        }
        Add(segments, SegmentKind.Unchanged, diff.PiecesOld, a, diff.PiecesOld.Length - a);
        return Absorb(segments);
    }

    private static FieldComparison CompareField(string name, string label, FieldKind? kind, JsonElement? left, JsonElement? right,
        IReadOnlyDictionary<Guid, string>? names)
    {
        if (kind is FieldKind.Products or FieldKind.Categories)
            return CompareItems(name, label, kind.Value, left, right, names);

        var leftText = left is { } lv ? Display(kind, lv) : null;
        var rightText = right is { } rv ? Display(kind, rv) : null;
        var change = Kind(left, right, JsonEquals(left, right));
        var segments = Words(leftText ?? "", rightText ?? "");
        if (kind != FieldKind.Html || left?.ValueKind != JsonValueKind.String || right?.ValueKind != JsonValueKind.String)
            return new FieldComparison(name, label, kind, change, leftText, rightText, segments);

        var leftMarkup = NormalisedMarkup(left.Value.GetString()!);
        var rightMarkup = NormalisedMarkup(right.Value.GetString()!);
        var markupChanged = leftMarkup != rightMarkup;
        return new FieldComparison(name, label, kind, markupChanged || leftText != rightText ? ChangeKind.Changed : ChangeKind.Unchanged,
            leftText, rightText, segments, markupChanged, markupChanged ? Words(leftMarkup, rightMarkup) : null);
    }

    private static FieldComparison CompareItems(string name, string label, FieldKind kind, JsonElement? left, JsonElement? right,
        IReadOnlyDictionary<Guid, string>? names)
    {
        var leftIds = Ids(left);
        var rightIds = Ids(right);
        string Name(Guid id) => names is not null && names.TryGetValue(id, out var n) ? n : $"unknown {id.ToString()[..8]}";

        // Items on both sides keep their place if they belong to the longest run in the same relative order; the rest moved.
        var common = leftIds.Where(rightIds.Contains).ToList();
        var rightCommon = rightIds.Where(leftIds.Contains).ToList();
        var moved = new HashSet<Guid>();
        var order = Differ.CreateCustomDiffs(string.Join("\n", common), string.Join("\n", rightCommon), false, s => s.Split('\n'));
        foreach (var block in order.DiffBlocks)
            for (var i = 0; i < block.DeleteCountA; i++)
                moved.Add(common[block.DeleteStartA + i]);

        var items = new List<ItemComparison>();
        for (var i = 0; i < rightIds.Count; i++)
        {
            var id = rightIds[i];
            var at = leftIds.IndexOf(id);
            var change = at < 0 ? ItemChange.Added : moved.Contains(id) ? ItemChange.Moved : ItemChange.Unchanged;
            items.Add(new ItemComparison(id, Name(id), change, at < 0 ? null : at + 1, i + 1));
        }
        for (var i = 0; i < leftIds.Count; i++)
            if (!rightIds.Contains(leftIds[i]))
                items.Add(new ItemComparison(leftIds[i], Name(leftIds[i]), ItemChange.Removed, i + 1, null));

        var leftText = left is null ? null : string.Join("\n", leftIds.Select(Name));
        var rightText = right is null ? null : string.Join("\n", rightIds.Select(Name));
        var same = leftIds.SequenceEqual(rightIds);
        return new FieldComparison(name, label, kind, Kind(left, right, same), leftText, rightText,
            Words(leftText ?? "", rightText ?? ""), Items: items);
    }

    private static ChangeKind Kind(JsonElement? left, JsonElement? right, bool equal) => (left, right) switch
    {
        (null, null) => ChangeKind.Unchanged,
        (null, _) => ChangeKind.Added,
        (_, null) => ChangeKind.Removed,
        _ => equal ? ChangeKind.Unchanged : ChangeKind.Changed,
    };

    private static string Display(FieldKind? kind, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String when kind == FieldKind.Html => VisibleText(value.GetString()!),
        JsonValueKind.String => value.GetString()!,
        // Unknown fields and odd values show as the JSON they are.
        _ => JsonSerializer.Serialize(value, IndentedJson),
    };

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private static bool JsonEquals(JsonElement? left, JsonElement? right) =>
        left is { } l && right is { } r && JsonElement.DeepEquals(l, r);

    private static List<Guid> Ids(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Select(i => i.ValueKind == JsonValueKind.String && Guid.TryParse(i.GetString(), out var g) ? g : Guid.Empty)
                .Where(g => g != Guid.Empty).ToList()
            : [];

    private static JsonElement? Property(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    private static IEnumerable<string> Names(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object ? root.EnumerateObject().Select(p => p.Name) : [];

    /// <summary>The markup as the parser sees it, one block per line, so that a diff of it is readable.</summary>
    private static string NormalisedMarkup(string html)
    {
        var body = HtmlParser.ParseDocument($"<body>{html}</body>").Body!;
        return BlockStart().Replace(body.InnerHtml.Trim(), "\n$0").TrimStart('\n');
    }

    private static void AppendText(INode node, StringBuilder text)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText t) { text.Append(t.Data); continue; }
            if (child is not IElement e) continue;
            var block = BlockElements.Contains(e.LocalName);
            if (block) text.Append('\n');
            if (e.LocalName == "li") text.Append("• ");
            AppendText(e, text);
            if (block) text.Append('\n');
        }
    }

    private static readonly HashSet<string> BlockElements =
    [
        "p", "div", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre", "table", "tr",
        "section", "article", "header", "footer", "figure", "figcaption",
    ];

    private static string[] Tokens(string text) => Token().Matches(text).Select(m => m.Value).ToArray();

    private static void Add(List<DiffSegment> segments, SegmentKind kind, string[] pieces, int start, int count)
    {
        if (count <= 0) return;
        var text = string.Concat(pieces.Skip(start).Take(count));
        if (segments.Count > 0 && segments[^1].Kind == kind) segments[^1] = segments[^1] with { Text = segments[^1].Text + text };
        else segments.Add(new DiffSegment(kind, text));
    }

    /// <summary>
    /// Whitespace that the diff kept between two changes ("<del>quick</del><ins>slow</ins> <del>fox</del><ins>cat</ins>")
    /// reads better as part of one change ("<del>quick fox</del><ins>slow cat</ins>"). Only done when both sides change
    /// on both sides of the gap, so each side's text stays exactly what it was.
    /// </summary>
    private static List<DiffSegment> Absorb(List<DiffSegment> segments)
    {
        for (var i = 1; i < segments.Count - 1; i++)
        {
            if (segments[i].Kind != SegmentKind.Unchanged || !string.IsNullOrWhiteSpace(segments[i].Text)) continue;
            var start = i;
            while (start > 0 && segments[start - 1].Kind != SegmentKind.Unchanged) start--;
            var end = i;
            while (end < segments.Count - 1 && segments[end + 1].Kind != SegmentKind.Unchanged) end++;
            var before = segments[start..i];
            var after = segments[(i + 1)..(end + 1)];
            var parts = new[] { SegmentKind.Deleted, SegmentKind.Inserted }
                .Select(kind => (Kind: kind, Before: Text(before, kind), After: Text(after, kind))).ToList();
            if (parts.Any(p => p.Before.Length == 0 || p.After.Length == 0)) continue;
            var gap = segments[i].Text;
            segments.RemoveRange(start, end - start + 1);
            segments.InsertRange(start, parts.Select(p => new DiffSegment(p.Kind, p.Before + gap + p.After)));
            i = start;
        }
        return segments;
    }

    private static string Text(IEnumerable<DiffSegment> segments, SegmentKind kind) =>
        string.Concat(segments.Where(s => s.Kind == kind).Select(s => s.Text));

    // A word (letters, digits, apostrophes inside words), a run of whitespace, or any other single character.
    [GeneratedRegex(@"[\p{L}\p{N}_]+(?:['’][\p{L}\p{N}_]+)*|\s+|.", RegexOptions.Singleline)]
    private static partial Regex Token();

    [GeneratedRegex(@"[ \t\r\f\v\u00a0]+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"<(p|div|h[1-6]|ul|ol|li|blockquote|pre|table|tr|hr|figure)\b")]
    private static partial Regex BlockStart();
}
