namespace Admin.Web.Features.Content.Delivery;

/// <summary>The "Content:Delivery" configuration section (appsettings.json, or Content__Delivery__PermitLimit, …).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Content:Delivery";

    /// <summary>Requests per client IP address per window; 0 turns rate limiting off (e.g. behind a CDN that limits).</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary>Length of the fixed rate-limit window.</summary>
    public int WindowSeconds { get; set; } = 60;

    /// <summary>Cache-Control max-age: how long a storefront or CDN may reuse a response without asking again.</summary>
    public int MaxAgeSeconds { get; set; } = 5;

    /// <summary>Cache-Control stale-while-revalidate: how long a stale copy may be served while it is revalidated.</summary>
    public int StaleWhileRevalidateSeconds { get; set; } = 30;

    /// <summary>How long the list of known locales is trusted before it is read again.</summary>
    public int LocalesRefreshSeconds { get; set; } = 60;

    /// <summary>
    /// Where a locale that does not exist is served from: "en" → "en-GB", "en-IE" → "en-GB". A code without an entry
    /// falls back to its language ("en-AU" → "en"), whose entry then applies. Only for codes that are not locales: a
    /// locale that exists is always served itself, even with no sections.
    /// </summary>
    public Dictionary<string, string> Fallbacks { get; set; } = [];

    public string CacheControl => $"public, max-age={MaxAgeSeconds}, stale-while-revalidate={StaleWhileRevalidateSeconds}";
}
