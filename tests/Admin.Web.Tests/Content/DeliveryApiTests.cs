using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Admin.Data.Content;
using Admin.Data.Session;
using Admin.TestSupport;
using Admin.Web.Features.Content.Delivery;
using Admin.Web.Live;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Admin.Web.Tests.Content;

/// <summary>GET /api/content/homepage/{locale} on the real app: content, caching headers, live invalidation, errors, limits.</summary>
public sealed class DeliveryApiTests(WebAppFixture app) : IClassFixture<WebAppFixture>
{
    // es-ES gets no demo content, so the sections these tests create are the only ones there.
    private const string TestLocale = "es-ES";

    private ContentService Editor => app.Database.ContentService();

    private static string Key() => "d-" + Guid.NewGuid().ToString("N")[..10];

    private static async Task<(HttpResponseMessage Response, JsonNode? Body)> GetAsync(HttpClient client, string locale, params string[] ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/content/homepage/{locale}");
        foreach (var tag in ifNoneMatch) request.Headers.TryAddWithoutValidation("If-None-Match", tag);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>Polls the endpoint until the body satisfies the condition; fails after <paramref name="within"/>.</summary>
    private static async Task<JsonNode> WaitForAsync(HttpClient client, string locale, Func<JsonNode, bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var (response, body) = await GetAsync(client, locale);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            if (condition(body!)) return body!;
            if (clock.Elapsed > within) throw new TimeoutException($"not visible within {within.TotalMilliseconds} ms: {body}");
            await Task.Delay(25); // the fixture's app keeps the default rate limit (600/min) for all these tests
        }
    }

    private static JsonNode? Section(JsonNode body, Guid id) =>
        body["sections"]!.AsArray().SingleOrDefault(s => s!["id"]!.GetValue<string>() == id.ToString());

    private async Task<Guid> CreatePublishedHeroAsync(string locale, string title)
    {
        var id = await Editor.CreateAsync(new NewSection(locale, Key(), SectionTypes.Hero, ContentFixtures.Hero(title)));
        await Editor.PublishAsync(id, 1);
        return id;
    }

    [Fact]
    public async Task Anonymous_callers_get_the_published_sections_in_order_with_their_products_and_no_drafts()
    {
        var products = (await app.Database.SeedCatalogAsync()).Products;
        var carousel = await Editor.CreateAsync(new NewSection(TestLocale, Key(), SectionTypes.ProductCarousel,
            ContentFixtures.Carousel([products[3], products[0], products[2]])));
        await Editor.PublishAsync(carousel, 1);
        var hero = await CreatePublishedHeroAsync(TestLocale, "Rebajas de primavera");
        var draftOnly = await Editor.CreateAsync(new NewSection(TestLocale, Key(), SectionTypes.Hero, ContentFixtures.Hero("Not yet")));
        using var client = app.Anonymous();

        var body = await WaitForAsync(client, TestLocale, b => Section(b, hero) is not null, TimeSpan.FromSeconds(1));

        Assert.Equal(TestLocale, body["locale"]!.GetValue<string>());
        Assert.True(DateTimeOffset.UtcNow - body["generatedAt"]!.GetValue<DateTimeOffset>() < TimeSpan.FromMinutes(1));
        var ids = body["sections"]!.AsArray().Select(s => Guid.Parse(s!["id"]!.GetValue<string>())).ToList();
        Assert.True(ids.IndexOf(carousel) < ids.IndexOf(hero), "sections in display order");
        Assert.DoesNotContain(draftOnly, ids);
        var shown = Section(body, carousel)!;
        Assert.Equal([products[3], products[0], products[2]], shown["products"]!.AsArray().Select(p => Guid.Parse(p!["id"]!.GetValue<string>())));
        Assert.Equal("Product 3", shown["products"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("Rebajas de primavera", Section(body, hero)!["content"]!["title"]!.GetValue<string>());
        Assert.Null(shown["content"]!["productIds"]);
    }

    [Fact]
    public async Task Responses_carry_a_strong_etag_and_cache_control_and_a_matching_if_none_match_gets_304()
    {
        using var client = app.Anonymous();
        var (first, body) = await GetAsync(client, "en-GB");
        var etag = first.Headers.ETag!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.False(etag.IsWeak);
        Assert.Equal($"\"{body!["etag"]!.GetValue<string>()}\"", etag.Tag);
        Assert.Equal("public, max-age=5, stale-while-revalidate=30", first.Headers.CacheControl!.ToString());
        Assert.Equal("application/json", first.Content.Headers.ContentType!.MediaType);
        Assert.NotEmpty(body["sections"]!.AsArray());

        foreach (var header in new[] { etag.Tag, "W/" + etag.Tag, $"\"other\", {etag.Tag}", "*" })
        {
            var (notModified, empty) = await GetAsync(client, "en-GB", header);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
            Assert.Null(empty);
            Assert.Equal(etag, notModified.Headers.ETag);
            Assert.Equal("public, max-age=5, stale-while-revalidate=30", notModified.Headers.CacheControl!.ToString());
        }
        var (changed, _) = await GetAsync(client, "en-GB", "\"something-else\"");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);

        var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/api/content/homepage/en-GB"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(etag, head.Headers.ETag);
    }

    [Fact]
    public async Task Brotli_and_gzip_are_negotiated_from_precompressed_copies_and_revalidate_like_the_plain_body()
    {
        using var client = app.Anonymous();
        async Task<HttpResponseMessage> Get(string acceptEncoding, string? ifNoneMatch = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/content/homepage/en-GB");
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
            return await client.SendAsync(request);
        }
        static async Task<byte[]> Decoded(HttpResponseMessage response, Func<Stream, Stream> decoder)
        {
            using var output = new MemoryStream();
            await using (var stream = decoder(await response.Content.ReadAsStreamAsync())) await stream.CopyToAsync(output);
            return output.ToArray();
        }

        var plain = await client.GetAsync("/api/content/homepage/en-GB");
        var plainBytes = await plain.Content.ReadAsByteArrayAsync();
        var tag = plain.Headers.ETag!.Tag.Trim('"');
        var brotli = await Get("gzip, deflate, br");
        var gzip = await Get("br;q=0, gzip");

        Assert.Equal(["br"], brotli.Content.Headers.ContentEncoding);
        Assert.Equal($"\"{tag}-br\"", brotli.Headers.ETag!.Tag);
        Assert.Equal(plainBytes, await Decoded(brotli, s => new System.IO.Compression.BrotliStream(s, System.IO.Compression.CompressionMode.Decompress)));
        Assert.True(brotli.Content.Headers.ContentLength < plainBytes.Length / 2, $"{brotli.Content.Headers.ContentLength} of {plainBytes.Length} bytes");
        Assert.Equal(["gzip"], gzip.Content.Headers.ContentEncoding);
        Assert.Equal(plainBytes, await Decoded(gzip, s => new System.IO.Compression.GZipStream(s, System.IO.Compression.CompressionMode.Decompress)));
        Assert.Empty((await Get("identity")).Content.Headers.ContentEncoding);
        Assert.Contains("Accept-Encoding", plain.Headers.Vary);

        // The client's copy is current whichever encoding it came in.
        var revalidated = await Get("gzip", ifNoneMatch: brotli.Headers.ETag.Tag);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal($"\"{tag}-gzip\"", revalidated.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Repeated_requests_are_served_from_the_cache()
    {
        using var client = app.Anonymous();
        var cache = app.Factory.Services.GetRequiredService<HomepageCache>();
        var (first, _) = await GetAsync(client, "fr-FR");
        var rebuilds = cache.Rebuilds;

        for (var i = 0; i < 20; i++)
        {
            var (again, _) = await GetAsync(client, "fr-FR");
            Assert.Equal(first.Headers.ETag, again.Headers.ETag);
        }

        Assert.Equal(rebuilds, cache.Rebuilds);
    }

    [Fact]
    public async Task A_publish_changes_the_etag_and_the_body_within_one_second()
    {
        using var client = app.Anonymous();
        var id = await CreatePublishedHeroAsync("nl-NL", "Versie een");
        var before = await WaitForAsync(client, "nl-NL", b => Section(b, id) is not null, TimeSpan.FromSeconds(1));
        var (cached, _) = await GetAsync(client, "nl-NL");

        Assert.IsType<SaveResult.Saved>(await Editor.SaveDraftAsync(id, 1, ContentFixtures.Hero("Versie twee"), "second"));
        var clock = Stopwatch.StartNew();
        await Editor.PublishAsync(id, 2);
        var after = await WaitForAsync(client, "nl-NL", b => Section(b, id)!["version"]!.GetValue<int>() == 2, TimeSpan.FromSeconds(1));
        clock.Stop();

        Assert.Equal("Versie twee", Section(after, id)!["content"]!["title"]!.GetValue<string>());
        Assert.NotEqual(before["etag"]!.GetValue<string>(), after["etag"]!.GetValue<string>());
        var (old, _) = await GetAsync(client, "nl-NL", cached.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_publish_through_another_app_instance_shows_here_within_one_second()
    {
        await using var other = new AdminAppFactory(app.Database, demoSeed: false);
        using var client = app.Anonymous();
        var id = await CreatePublishedHeroAsync("en-US", "Version one");
        await WaitForAsync(client, "en-US", b => Section(b, id) is not null, TimeSpan.FromSeconds(1));

        await using var scope = other.Services.CreateAsyncScope(); // starts the other instance
        // The other instance's contexts, acting as an editor (no HTTP request here to say who).
        var content = new ContentService(new EditorContexts(scope.ServiceProvider), new FixedSessionContextSource(ContentFixtures.Editor));
        await content.SaveDraftAsync(id, 1, ContentFixtures.Hero("Version two"), "from the other instance");

        var clock = Stopwatch.StartNew();
        await content.PublishAsync(id, 2);
        var after = await WaitForAsync(client, "en-US", b => Section(b, id)!["version"]!.GetValue<int>() == 2, TimeSpan.FromSeconds(1));

        Assert.Equal("Version two", Section(after, id)!["content"]!["title"]!.GetValue<string>());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_catalog_change_reaches_the_delivered_products()
    {
        var products = (await app.Database.SeedCatalogAsync()).Products;
        var id = await Editor.CreateAsync(new NewSection("de-DE", Key(), SectionTypes.ProductCarousel, ContentFixtures.Carousel([products[1], products[4]])));
        await Editor.PublishAsync(id, 1);
        using var client = app.Anonymous();
        await WaitForAsync(client, "de-DE", b => Section(b, id) is not null, TimeSpan.FromSeconds(1));

        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = false WHERE id = '{products[1]}'");

        var after = await WaitForAsync(client, "de-DE", b => Section(b, id)!["products"]!.AsArray().Count == 1, TimeSpan.FromSeconds(1));
        Assert.Equal(products[4].ToString(), Section(after, id)!["products"]![0]!["id"]!.GetValue<string>());
        await using (var owner = await app.Database.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"UPDATE products SET is_active = true WHERE id = '{products[1]}'");
    }

    [Theory]
    [InlineData("xx-XX", HttpStatusCode.NotFound, "xx-XX")]
    [InlineData("zz", HttpStatusCode.NotFound, "zz")]
    [InlineData("en_GB", HttpStatusCode.BadRequest, "en_GB")]
    [InlineData("e1-GB", HttpStatusCode.BadRequest, "e1-GB")]
    [InlineData("english-please", HttpStatusCode.BadRequest, "english-please")]
    [InlineData("%3Cscript%3E", HttpStatusCode.BadRequest, "<script>")]
    public async Task Unknown_and_malformed_locales_get_problem_details_naming_the_locale(string locale, HttpStatusCode status, string named)
    {
        using var client = app.Anonymous();
        var response = await client.GetAsync($"/api/content/homepage/{locale}");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.Contains(named, problem["detail"]!.GetValue<string>());
        Assert.NotNull(problem["requestId"]);
        Assert.False(response.Headers.Contains("ETag"));
    }

    [Theory]
    [InlineData("en", "en-GB", "en, en-GB")]        // configured (appsettings.json)
    [InlineData("en-AU", "en-GB", "en-AU, en, en-GB")] // no entry: its language, whose entry applies
    [InlineData("FR-ca", "fr-FR", "fr-CA, fr, fr-FR")]
    [InlineData("en-US", "en-US", "en-US")]         // a locale that exists is served itself
    public async Task A_locale_that_does_not_exist_is_served_from_its_fallback_with_the_chain_in_the_headers(string asked, string served, string chain)
    {
        using var client = app.Anonymous();
        var (response, body) = await GetAsync(client, asked);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(served, body!["locale"]!.GetValue<string>());
        Assert.Equal([served], response.Content.Headers.ContentLanguage);
        Assert.Equal(chain, Assert.Single(response.Headers.GetValues(DeliveryEndpoint.ChainHeader)));

        // The same document as the locale's own address (same ETag), and a revalidation keeps the headers.
        var (direct, _) = await GetAsync(client, served);
        Assert.Equal(direct.Headers.ETag, response.Headers.ETag);
        Assert.Equal(served, Assert.Single(direct.Headers.GetValues(DeliveryEndpoint.ChainHeader)));
        var (notModified, _) = await GetAsync(client, asked, response.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(chain, Assert.Single(notModified.Headers.GetValues(DeliveryEndpoint.ChainHeader)));
    }

    [Fact]
    public async Task Locale_case_is_normalised()
    {
        using var client = app.Anonymous();
        var (response, body) = await GetAsync(client, "EN-gb");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("en-GB", body!["locale"]!.GetValue<string>());
    }

    [Fact]
    public async Task Past_the_limit_a_client_gets_429_problem_details_with_retry_after_and_other_endpoints_are_not_limited()
    {
        await using var limited = new AdminAppFactory(app.Database, demoSeed: false, new Dictionary<string, string?>
        {
            ["Content:Delivery:PermitLimit"] = "3",
            ["Content:Delivery:WindowSeconds"] = "60",
        });
        using var client = limited.CreateClient();
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/content/homepage/en-GB")).StatusCode);

        var refused = await client.GetAsync("/api/content/homepage/en-GB");
        var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 60);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task An_invalidation_during_a_rebuild_keeps_the_rebuilt_result_out_of_the_cache()
    {
        // A cache of its own (no listener: invalidations come from the test), whose rebuild waits for a signal.
        var queries = app.Factory.Services.GetRequiredService<Admin.Data.Content.DeliveryQueries>();
        using var cache = new HomepageCache(queries, new LiveBus(NullLogger<LiveBus>.Instance), TimeProvider.System,
            Options.Create(new DeliveryOptions()), NullLogger<HomepageCache>.Instance);
        var load = cache.LoadSections;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        cache.LoadSections = async (locale, ct) =>
        {
            var sections = await load(locale, ct); // read before the change below is announced
            if (Interlocked.Increment(ref held) == 1) await release.Task;
            return sections;
        };

        var stale = cache.GetAsync("en-GB");
        while (Volatile.Read(ref held) == 0) await Task.Delay(5);
        cache.Invalidate("en-GB");              // the change's NOTIFY arrives while the rebuild is still running
        var later = cache.GetAsync("en-GB");    // asked after the invalidation: must not join the stale rebuild
        release.SetResult();
        await Task.WhenAll(stale, later);

        Assert.Equal(2, cache.Rebuilds);
        Assert.NotSame(await stale, await later);
        Assert.Same(await later, await cache.GetAsync("en-GB"));
        Assert.Equal(2, cache.Rebuilds);
    }

    /// <summary>Contexts over another app instance's pool that act as the test editor.</summary>
    private sealed class EditorContexts(IServiceProvider services) : Microsoft.EntityFrameworkCore.IDbContextFactory<Admin.Data.AdminDbContext>
    {
        private readonly Npgsql.NpgsqlDataSource _source = services.GetRequiredService<Npgsql.NpgsqlDataSource>();

        public Admin.Data.AdminDbContext CreateDbContext() => TestDatabase.CreateAppContext(_source, ContentFixtures.Editor);
    }
}
