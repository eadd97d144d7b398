using System.Net;
using System.Text.RegularExpressions;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Npgsql;

namespace Admin.Web.Features.Content.Delivery;

/// <summary>
/// GET /api/content/homepage/{locale}: the published homepage of a locale for the storefront. Anonymous, rate-limited
/// per client address, served from <see cref="HomepageCache"/> with a strong ETag and a short public Cache-Control.
/// </summary>
public static partial class DeliveryEndpoint
{
    public const string Path = "/api/content/homepage/{locale}";
    public const string RateLimitPolicy = "content-delivery";

    public static IServiceCollection AddContentDelivery(this IServiceCollection services)
    {
        services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section);
        services.AddSingleton<HomepageCache>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(RateLimitPolicy, http =>
            {
                var options = http.RequestServices.GetRequiredService<IOptions<DeliveryOptions>>().Value;
                if (options.PermitLimit <= 0) return RateLimitPartition.GetNoLimiter("off");
                return RateLimitPartition.GetFixedWindowLimiter(ClientKey(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = TimeSpan.FromSeconds(options.WindowSeconds),
                    QueueLimit = 0,
                });
            });
            o.OnRejected = async (context, ct) =>
            {
                var http = context.HttpContext;
                var options = http.RequestServices.GetRequiredService<IOptions<DeliveryOptions>>().Value;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait)
                    ? (int)Math.Ceiling(wait.TotalSeconds)
                    : options.WindowSeconds;
                http.Response.Headers.RetryAfter = Math.Max(1, retryAfter).ToString();
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = $"At most {options.PermitLimit} requests per {options.WindowSeconds} s from one address; retry after {retryAfter} s.",
                    },
                });
            };
        });
        return services;
    }

    public static WebApplication MapContentDelivery(this WebApplication app)
    {
        // After routing (in UseOperations) so the endpoint's policy is known; only endpoints that ask are limited.
        app.UseRateLimiter();
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], GetHomepageAsync)
            .AllowAnonymous()
            .RequireRateLimiting(RateLimitPolicy)
            .WithName("ContentHomepage");
        return app;
    }

    internal static async Task<IResult> GetHomepageAsync(
        string locale, HttpContext http, HomepageCache cache, IOptions<DeliveryOptions> options, ILogger<HomepageCache> logger, CancellationToken ct)
    {
        if (Normalise(locale) is not { } code)
            return Problem(StatusCodes.Status400BadRequest, "Malformed locale",
                $"'{Shorten(locale)}' is not a locale code; use a language and region such as en-GB.");

        DeliveryDocument? document;
        try
        {
            document = await cache.GetAsync(code, ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            logger.LogWarning(ex, "Delivery of {Locale} failed: database unavailable", code);
            http.Response.Headers.RetryAfter = "5";
            return Problem(StatusCodes.Status503ServiceUnavailable, "Content temporarily unavailable",
                $"The homepage of {code} could not be read; retry shortly.");
        }
        if (document is null)
            return Problem(StatusCodes.Status404NotFound, "Unknown locale", $"There is no locale '{code}'.");

        var headers = http.Response.Headers;
        headers.ETag = document.ETag;
        headers.CacheControl = options.Value.CacheControl;
        headers.XContentTypeOptions = "nosniff";
        if (MatchesIfNoneMatch(http.Request, document.ETag))
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(document.Body, "application/json; charset=utf-8");
    }

    /// <summary>
    /// If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/"x" matches "x". A list matches when any entry
    /// does; * matches any current representation. An unparsable header matches nothing, so the client gets the body.
    /// </summary>
    internal static bool MatchesIfNoneMatch(HttpRequest request, string etag)
    {
        var candidates = request.GetTypedHeaders().IfNoneMatch;
        if (candidates.Count == 0) return false;
        var current = EntityTagHeaderValue.Parse(etag);
        return candidates.Any(c => c.Equals(EntityTagHeaderValue.Any) || c.Compare(current, useStrongComparison: false));
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

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static string ClientKey(HttpContext http) => http.Connection.RemoteIpAddress switch
    {
        null => "unknown",
        { IsIPv4MappedToIPv6: true } mapped => mapped.MapToIPv4().ToString(),
        IPAddress address => address.ToString(),
    };
}
