using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Admin.Data.Content;

/// <summary>
/// Cleans rich text from the editor down to an allow-list of tags, attributes and URL schemes, parsing it with a real
/// HTML5 parser (AngleSharp) so malformed markup cannot sneak past. The HtmlSanitizer package is not served here.
/// Anything not allowed is removed; the text inside a removed formatting tag is kept, the content of script-like
/// elements is dropped.
/// </summary>
public static class HtmlSanitizer
{
    private static readonly HashSet<string> AllowedTags = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "a", "blockquote",
        "code", "pre", "span", "sub", "sup", "hr",
    };

    private static readonly HashSet<string> DroppedWithContent = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "input",
        "button", "select", "textarea", "link", "meta", "base",
    };

    private static readonly Dictionary<string, HashSet<string>> AllowedAttributes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["a"] = new(StringComparer.OrdinalIgnoreCase) { "href", "title", "target", "rel" },
    };

    public static string Sanitize(string html)
    {
        var document = new HtmlParser().ParseDocument($"<body>{html}</body>");
        var body = document.Body!;
        Clean(body);
        return body.InnerHtml.Trim();
    }

    private static void Clean(IElement parent)
    {
        foreach (var child in parent.Children.ToList())
        {
            if (DroppedWithContent.Contains(child.LocalName))
            {
                child.Remove();
                continue;
            }
            Clean(child);
            if (!AllowedTags.Contains(child.LocalName))
            {
                // Keep the text, lose the tag.
                foreach (var node in child.ChildNodes.ToList()) parent.InsertBefore(node, child);
                child.Remove();
                continue;
            }
            foreach (var attribute in child.Attributes.ToList())
            {
                var allowed = AllowedAttributes.TryGetValue(child.LocalName, out var names) && names.Contains(attribute.Name);
                if (!allowed || (attribute.Name == "href" && !IsSafeUrl(attribute.Value)))
                    child.RemoveAttribute(attribute.Name);
            }
            if (child.LocalName == "a" && child.GetAttribute("target") is { } target)
            {
                if (target != "_blank") child.RemoveAttribute("target");
                else child.SetAttribute("rel", "noopener noreferrer");
            }
        }
        foreach (var comment in parent.ChildNodes.OfType<IComment>().ToList()) comment.Remove();
    }

    /// <summary>http(s), mailto, site-relative paths and in-page anchors; never javascript:, data: or protocol-relative.</summary>
    public static bool IsSafeUrl(string url)
    {
        var trimmed = url.Trim();
        if (trimmed.StartsWith('#')) return true;
        if (trimmed.StartsWith('/')) return !trimmed.StartsWith("//") && !trimmed.StartsWith("/\\");
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "mailto";
    }
}
