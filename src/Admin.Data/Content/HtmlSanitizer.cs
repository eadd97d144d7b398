using AngleSharp.Dom;
using Ganss.Xss;

namespace Admin.Data.Content;

/// <summary>
/// Cleans rich text from the editor down to the console's allow-list with the HtmlSanitizer library (Ganss.Xss, on
/// AngleSharp's HTML5 parser). One instance is configured once and shared: the library is thread-safe once configured.
/// Anything not allowed is removed; the text inside a removed formatting tag is kept, elements that hold code,
/// styling, embedded documents or form controls go with their content.
/// </summary>
public static class HtmlSanitizer
{
    /// <summary>The formatting the editor produces. Every other element is unwrapped or, see below, dropped.</summary>
    public static readonly IReadOnlySet<string> AllowedTags = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "p", "br", "strong", "b", "em", "i", "u", "s", "h2", "h3", "h4", "ul", "ol", "li", "a", "blockquote",
        "code", "pre", "span", "sub", "sup", "hr",
    };

    /// <summary>Removed with everything inside them rather than unwrapped: their content is not text for a reader.</summary>
    private static readonly HashSet<string> RemovedWithContent = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "input",
        "button", "select", "textarea", "link", "meta", "base",
    };

    /// <summary>The only attributes kept, and only on links (<c>a</c>); every other element loses all of its attributes.</summary>
    public static readonly IReadOnlySet<string> LinkAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "href", "title", "target", "rel",
    };

    /// <summary>Schemes of absolute link addresses; besides them only site paths (<c>/…</c>) and anchors (<c>#…</c>).</summary>
    public static readonly IReadOnlySet<string> AllowedSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "http", "https", "mailto",
    };

    private static readonly Ganss.Xss.HtmlSanitizer Library = Create();

    public static string Sanitize(string html) => Library.Sanitize(html).Trim();

    private static Ganss.Xss.HtmlSanitizer Create()
    {
        // Options start from the library's defaults: its list of URL attributes (href among them) stays, so every kept
        // href is screened against AllowedSchemes. No CSS: no style attribute is allowed and style elements are dropped.
        var sanitizer = new Ganss.Xss.HtmlSanitizer(new HtmlSanitizerOptions
        {
            AllowedTags = new HashSet<string>(AllowedTags, StringComparer.OrdinalIgnoreCase),
            AllowedAttributes = new HashSet<string>(LinkAttributes, StringComparer.OrdinalIgnoreCase),
            AllowedSchemes = new HashSet<string>(AllowedSchemes, StringComparer.OrdinalIgnoreCase),
            AllowedCssProperties = new HashSet<string>(StringComparer.OrdinalIgnoreCase),
        })
        {
            KeepChildNodes = true,
        };

        // KeepChildNodes unwraps every element that is not allowed; these go whole instead.
        sanitizer.RemovingTag += (_, e) =>
        {
            if (!RemovedWithContent.Contains(e.Tag.LocalName)) return;
            e.Tag.Remove();
            e.Cancel = true;
        };

        // The library lets every relative URL through; ours are site paths and anchors only, never protocol-relative
        // (//host, /\host) or relative to the page the text happens to be shown on.
        sanitizer.FilterUrl += (_, e) =>
        {
            if (e.SanitizedUrl is { } url && !IsSitePathAnchorOrAbsolute(url.Trim())) e.SanitizedUrl = null;
        };

        // The library's attribute list is global; ours is for links. A link that opens a new window gets
        // rel="noopener noreferrer"; any other target is dropped.
        sanitizer.PostProcessNode += (_, e) =>
        {
            if (e.Node is not IElement element) return;
            if (element.LocalName != "a")
            {
                foreach (var attribute in element.Attributes.ToList()) element.RemoveAttribute(attribute.Name);
                return;
            }
            if (element.GetAttribute("target") is not { } target) return;
            if (target == "_blank") element.SetAttribute("rel", "noopener noreferrer");
            else element.RemoveAttribute("target");
        };

        return sanitizer;
    }

    private static bool IsSitePathAnchorOrAbsolute(string url) =>
        url.StartsWith('#')
        || (url.StartsWith('/') ? !url.StartsWith("//") && !url.StartsWith("/\\")
            : Uri.TryCreate(url, UriKind.Absolute, out var uri) && AllowedSchemes.Contains(uri.Scheme));
}
