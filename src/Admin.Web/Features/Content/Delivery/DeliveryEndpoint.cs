using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Admin.Web.Features.Content.Delivery;

/// <summary>
/// GET /api/content/homepage/{locale}: the published homepage of a locale for the storefront. Anonymous, rate-limited
/// per client address, served from <see cref="HomepageCache"/> with a strong ETag and a short public Cache-Control.
/// A plain request delegate: a cached locale is answered without parameter binding, a regex or an allocation of ours.
/// </summary>
public static partial class DeliveryEndpoint
{
    public const string Path = "/api/content/homepage/{locale}";
    public const string RateLimitPolicy = "content-delivery";
    private const string JsonType = "application/json; charset=utf-8";

    public static IServiceCollection AddContentDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        services.AddSingleton<HomepageCache>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<DeliveryOptions>>((limiter, delivery) => Limit(limiter, delivery.Value));
        return services;
    }

    /// <summary>A fixed window per client IP address; past it 429 problem details with Retry-After.</summary>
    private static void Limit(RateLimiterOptions limiter, DeliveryOptions options)
    {
        limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        limiter.AddPolicy(RateLimitPolicy, http => options.PermitLimit <= 0
            ? RateLimitPartition.GetNoLimiter(IPAddress.None)
            : RateLimitPartition.GetFixedWindowLimiter(ClientAddress(http), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = options.PermitLimit,
                Window = TimeSpan.FromSeconds(options.WindowSeconds),
                QueueLimit = 0,
            }));
        limiter.OnRejected = async (context, _) =>
        {
            var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds))
                : options.WindowSeconds;
            context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await ProblemAsync(context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                $"At most {options.PermitLimit} requests per {options.WindowSeconds} s from one address; retry after {retryAfter} s.");
        };
    }

    public static WebApplication MapContentDelivery(this WebApplication app)
    {
        var cache = app.Services.GetRequiredService<HomepageCache>();
        var cacheControl = app.Services.GetRequiredService<IOptions<DeliveryOptions>>().Value.CacheControl;
        var logger = app.Services.GetRequiredService<ILogger<HomepageCache>>();
        // After routing (in UseOperations) so the endpoint's policy is known; only endpoints that ask are limited.
        app.UseRateLimiter();
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], http =>
            {
                var locale = (string)http.Request.RouteValues["locale"]!;
                return cache.TryGetCached(locale) is { } cached
                    ? WriteAsync(http, cached, cacheControl)
                    : ServeAsync(http, locale, cache, cacheControl, logger);
            })
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .WithName("ContentHomepage");
        return app;
    }

    /// <summary>Not cached yet (or not in canonical form): check the locale, read through the cache, or say why not.</summary>
    private static async Task ServeAsync(HttpContext http, string locale, HomepageCache cache, string cacheControl, ILogger logger)
    {
        if (Normalise(locale) is not { } code)
        {
            await ProblemAsync(http, StatusCodes.Status400BadRequest, "Malformed locale",
                $"'{Shorten(locale)}' is not a locale code; use a language and region such as en-GB.");
            return;
        }
        DeliveryDocument? document = null;
        IReadOnlyList<string>? chain = null;
        try
        {
            if (await cache.ResolveAsync(code, http.RequestAborted) is var (served, tried))
            {
                chain = tried;
                document = await cache.GetAsync(served, http.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(ex, "Delivery of {Locale} failed: database unavailable", code);
            http.Response.Headers.RetryAfter = "5";
            await ProblemAsync(http, StatusCodes.Status503ServiceUnavailable, "Content temporarily unavailable",
                $"The homepage of {code} could not be read; retry shortly.");
            return;
        }
        if (document is null)
            await ProblemAsync(http, StatusCodes.Status404NotFound, "Unknown locale", $"There is no locale '{code}', nor a fallback for it.");
        else
            await WriteAsync(http, document, cacheControl, string.Join(", ", chain!));
    }

    /// <summary>The header naming the codes a request tried, the one served last ("en, en-GB"; "en-GB" when direct).</summary>
    public const string ChainHeader = "X-Locale-Chain";

    private static async Task WriteAsync(HttpContext http, DeliveryDocument document, string cacheControl, string? chain = null)
    {
        var representation = Negotiate(http.Request.Headers.AcceptEncoding, document);
        var response = http.Response;
        var headers = response.Headers;
        headers.ContentLanguage = document.Locale;
        headers[ChainHeader] = chain ?? document.Locale;
        headers.ETag = representation.ETag;
        headers.CacheControl = cacheControl;
        headers.Vary = HeaderNames.AcceptEncoding;
        headers.XContentTypeOptions = "nosniff";
        if (MatchesIfNoneMatch(http.Request, document.Tag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }
        if (representation.ContentEncoding is { } encoding) headers.ContentEncoding = encoding;
        response.ContentType = JsonType;
        response.ContentLength = representation.Body.Length;
        if (!HttpMethods.IsHead(http.Request.Method)) await response.Body.WriteAsync(representation.Body, http.RequestAborted);
    }

    /// <summary>Brotli when the client accepts it (at least as much as gzip), else gzip, else none.</summary>
    internal static Representation Negotiate(StringValues acceptEncoding, DeliveryDocument document)
    {
        if (acceptEncoding.Count == 0) return document.Identity;
        double brotli = -1, gzip = -1, any = 0;
        foreach (var header in acceptEncoding)
        {
            var text = header.AsSpan();
            foreach (var range in text.Split(','))
            {
                var entry = text[range];
                var semicolon = entry.IndexOf(';');
                var coding = (semicolon < 0 ? entry : entry[..semicolon]).Trim();
                var quality = semicolon < 0 ? 1 : Quality(entry[(semicolon + 1)..]);
                if (coding.Equals("br", StringComparison.OrdinalIgnoreCase)) brotli = quality;
                else if (coding.Equals("gzip", StringComparison.OrdinalIgnoreCase)) gzip = quality;
                else if (coding is "*") any = quality;
            }
        }
        if (brotli < 0) brotli = any;
        if (gzip < 0) gzip = any;
        return brotli > 0 && brotli >= gzip ? document.Brotli : gzip > 0 ? document.Gzip : document.Identity;
    }

    private static double Quality(ReadOnlySpan<char> parameter)
    {
        parameter = parameter.Trim();
        return parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase)
               && double.TryParse(parameter[2..], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q) ? q : 1;
    }

    /// <summary>
    /// If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x". A list matches when any entry
    /// does; * matches any current representation. A tag of any encoding of the current content matches: the copy
    /// the client holds is still current. An unparsable header matches nothing, so the client gets the body.
    /// </summary>
    internal static bool MatchesIfNoneMatch(HttpRequest request, string tag)
    {
        if (request.Headers.IfNoneMatch.Count == 0) return false;
        return request.GetTypedHeaders().IfNoneMatch.Any(c =>
            c.Equals(EntityTagHeaderValue.Any) || c.Tag.AsSpan().Trim('"') is var value && (value.SequenceEqual(tag)
                || value.StartsWith(tag) && value[tag.Length..] is "-br" or "-gzip"));
    }

    /// <summary>en-GB, en-gb, EN-gb → en-GB; anything not shaped like a language (and optional region) → null.</summary>
    internal static string? Normalise(string locale)
    {
        var match = LocaleShape().Match(locale);
        if (!match.Success) return null;
        var language = match.Groups[1].Value.ToLowerInvariant();
        return match.Groups[2].Success ? $"{language}-{match.Groups[2].Value.ToUpperInvariant()}" : language;
    }

    [GeneratedRegex("^([A-Za-z]{2,3})(?:-([A-Za-z]{2}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex LocaleShape();

    /// <summary>application/problem+json through the app's problem details service (adds the request id).</summary>
    private static Task ProblemAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static IPAddress ClientAddress(HttpContext http) => http.Connection.RemoteIpAddress switch
    {
        null => IPAddress.None,
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4(),
        var address => address,
    };
}
