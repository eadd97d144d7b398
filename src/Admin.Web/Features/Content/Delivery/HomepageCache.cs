using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Admin.Data.Live;
using Admin.Web.Live;
using Microsoft.Extensions.Options;
using Admin.Data.Content;

namespace Admin.Web.Features.Content.Delivery;

/// <summary>One encoding of a delivery response: the bytes to send, their Content-Encoding (null: none) and ETag.</summary>
public sealed record Representation(byte[] Body, string? ContentEncoding, string ETag);

/// <summary>
/// One locale's delivery response, ready to send: the UTF-8 JSON and, compressed once here rather than per request,
/// its brotli and gzip forms. <see cref="Tag"/> is a hash of the sections alone (not of generatedAt), so every app
/// instance gives the same published content the same ETag and a storefront revalidating against any instance behind
/// the load balancer gets its 304. Each encoding has its own strong ETag ("tag", "tag-br", "tag-gzip").
/// </summary>
public sealed class DeliveryDocument
{
    public required string Locale { get; init; }
    public required string Tag { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    public required int SectionCount { get; init; }
    public required Representation Identity { get; init; }
    public required Representation Brotli { get; init; }
    public required Representation Gzip { get; init; }

    // Text stays readable (£, ü, <p>) instead of \u escapes: the body is only ever served as application/json with nosniff.
    private static readonly JsonWriterOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds {locale, generatedAt, etag, sections} from content_published_homepage's JSON text.</summary>
    public static DeliveryDocument Create(string locale, string sectionsJson, DateTimeOffset generatedAt)
    {
        using var parsed = JsonDocument.Parse(sectionsJson);
        var sections = new ArrayBufferWriter<byte>(sectionsJson.Length);
        using (var writer = new Utf8JsonWriter(sections, Compact)) parsed.WriteTo(writer);
        var tag = Convert.ToHexStringLower(SHA256.HashData(sections.WrittenSpan)[..16]);

        var body = new ArrayBufferWriter<byte>(sections.WrittenCount + 160);
        using (var writer = new Utf8JsonWriter(body, Compact))
        {
            writer.WriteStartObject();
            writer.WriteString("locale", locale);
            writer.WriteString("generatedAt", generatedAt.UtcDateTime);
            writer.WriteString("etag", tag);
            writer.WritePropertyName("sections");
            writer.WriteRawValue(sections.WrittenSpan, skipInputValidation: true);
            writer.WriteEndObject();
        }
        var bytes = body.WrittenSpan.ToArray();
        return new DeliveryDocument
        {
            Locale = locale, Tag = tag, GeneratedAt = generatedAt, SectionCount = parsed.RootElement.GetArrayLength(),
            Identity = new Representation(bytes, null, $"\"{tag}\""),
            Brotli = new Representation(Compress(bytes, s => new BrotliStream(s, CompressionLevel.Optimal)), "br", $"\"{tag}-br\""),
            Gzip = new Representation(Compress(bytes, s => new GZipStream(s, CompressionLevel.Optimal)), "gzip", $"\"{tag}-gzip\""),
        };
    }

    private static byte[] Compress(byte[] bytes, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream(bytes.Length / 4);
        using (var stream = compressor(output)) stream.Write(bytes);
        return output.ToArray();
    }
}

/// <summary>
/// The delivery API's in-process cache, per locale. Entries are dropped by the live bus: a "content" event whose kind
/// ends in ":&lt;locale&gt;" drops that locale (the homepage_sections trigger sends one for every section change, on
/// commit, through PostgreSQL, so a publish on any app instance reaches every instance); a "catalog" event (product or
/// category change), a resync and every (re)connect of the listener drop all of them, because notifications sent
/// while no listener was connected are lost.
/// <para>
/// Each locale has a version counter that every invalidation bumps. A rebuild remembers the version it started under
/// and stores its result only if no invalidation came in meanwhile: otherwise it may have read the database before
/// the commit that the invalidation announced. Concurrent misses share one rebuild, but only a rebuild that started
/// after the latest invalidation.
/// </para>
/// </summary>
public sealed class HomepageCache : IDisposable
{
    public const string ContentTopic = "content";
    public const string CatalogTopic = "catalog";

    private readonly ConcurrentDictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly DeliveryQueries _queries;
    private readonly TimeProvider _time;
    private readonly ILogger<HomepageCache> _logger;
    private readonly LiveBus _bus;
    private readonly KnownLocales _locales;
    private readonly LocaleFallback _fallback;
    private readonly IDisposable[] _subscriptions;

    public HomepageCache(DeliveryQueries queries, LiveBus bus, TimeProvider time, IOptions<DeliveryOptions> options, ILogger<HomepageCache> logger)
    {
        _fallback = new LocaleFallback(options.Value.Fallbacks);
        _queries = queries;
        _time = time;
        _logger = logger;
        _bus = bus;
        _locales = new KnownLocales(queries, time, TimeSpan.FromSeconds(options.Value.LocalesRefreshSeconds));
        LoadSections = LoadFromDatabaseAsync;
        _subscriptions = [bus.Subscribe(ContentTopic, OnLiveEventAsync), bus.Subscribe(CatalogTopic, OnLiveEventAsync)];
        bus.StateChanged += OnListenerStateChanged;
    }

    /// <summary>How many times a locale was read from the database (tests and the bench look at it).</summary>
    public long Rebuilds => Interlocked.Read(ref _rebuilds);
    private long _rebuilds;

    /// <summary>
    /// The cached document of a locale named exactly as stored (en-GB), or null: the request path's fast lane. A slot
    /// exists only for a locale that was known when it was first asked for.
    /// </summary>
    public DeliveryDocument? TryGetCached(string locale) => _slots.TryGetValue(locale, out var slot) ? slot.Current : null;

    /// <summary>
    /// The locale a request for <paramref name="code"/> (normalised) is served from, and the codes tried on the way
    /// (<see cref="LocaleFallback"/>); null when none of them is a locale.
    /// </summary>
    public async Task<(string Locale, IReadOnlyList<string> Chain)?> ResolveAsync(string code, CancellationToken ct = default)
    {
        var chain = new List<string>(2);
        foreach (var candidate in _fallback.Candidates(code))
        {
            chain.Add(candidate);
            if (await _locales.ContainsAsync(candidate, ct)) return (candidate, chain);
        }
        return null;
    }

    /// <summary>The published homepage of a locale, or null when the locale does not exist.</summary>
    public async Task<DeliveryDocument?> GetAsync(string locale, CancellationToken ct = default)
    {
        if (!await _locales.ContainsAsync(locale, ct)) return null;
        var slot = _slots.GetOrAdd(locale, _ => new Slot());
        if (slot.Current is { } cached) return cached;
        Task<DeliveryDocument> build;
        lock (slot)
        {
            if (slot.Current is { } stored) return stored;
            if (slot.Pending is not { } pending || pending.Version != slot.Version || pending.Task.IsCompleted)
            {
                var version = slot.Version;
                slot.Pending = pending = new PendingBuild(version, Task.Run(() => BuildAsync(slot, locale, version)));
            }
            build = pending.Task;
        }
        return await build.WaitAsync(ct);
    }

    public void Invalidate(string locale)
    {
        if (_slots.TryGetValue(locale, out var slot)) slot.Invalidate();
    }

    public void InvalidateAll()
    {
        foreach (var slot in _slots.Values) slot.Invalidate();
        _locales.Invalidate();
    }

    /// <summary>Reads a locale's sections JSON; tests wrap it to hold a rebuild while they invalidate.</summary>
    internal Func<string, CancellationToken, Task<string>> LoadSections { get; set; }

    private Task<string> LoadFromDatabaseAsync(string locale, CancellationToken ct) => _queries.PublishedHomepageJsonAsync(locale, ct);

    private async Task<DeliveryDocument> BuildAsync(Slot slot, string locale, long version)
    {
        Interlocked.Increment(ref _rebuilds);
        var sections = await LoadSections(locale, CancellationToken.None);
        var document = DeliveryDocument.Create(locale, sections, _time.GetUtcNow());
        lock (slot)
        {
            if (slot.Version == version) slot.Current = document;
        }
        return document;
    }

    private Task OnLiveEventAsync(LiveEvent e)
    {
        // content: "<op>:<locale>" from the homepage_sections trigger. Anything else (resync, catalog, a kind without a
        // locale) could concern every locale.
        string? locale = null;
        if (e.Topic == ContentTopic && e.Kind is { } kind && kind.LastIndexOf(':') is var colon and >= 0) locale = kind[(colon + 1)..];
        if (locale is { Length: > 0 } and not "*") Invalidate(locale);
        else InvalidateAll();
        return Task.CompletedTask;
    }

    private void OnListenerStateChanged(ListenerState state)
    {
        // The first connect too: something may have been cached before the listener was there to hear changes.
        if (state != ListenerState.Connected) return;
        InvalidateAll();
        _logger.LogInformation("Delivery cache cleared: live listener connected");
    }

    public void Dispose()
    {
        _bus.StateChanged -= OnListenerStateChanged;
        foreach (var s in _subscriptions) s.Dispose();
    }

    private sealed record PendingBuild(long Version, Task<DeliveryDocument> Task);

    /// <summary>One locale. Version, Current and Pending change under the slot's lock; Current is read without it.</summary>
    private sealed class Slot
    {
        public long Version;
        public volatile DeliveryDocument? Current;
        public PendingBuild? Pending;

        public void Invalidate()
        {
            lock (this)
            {
                Version++;
                Current = null;
            }
        }
    }
}

/// <summary>
/// The codes of the locales table, read at most every <c>refresh</c> while requests name known locales. An unknown
/// code is answered from memory; it causes a re-read at most every few seconds (a locale added a moment ago is found
/// then), so a stream of made-up locales cannot turn into a stream of queries.
/// </summary>
internal sealed class KnownLocales(DeliveryQueries queries, TimeProvider time, TimeSpan refresh)
{
    private static readonly TimeSpan MissRefresh = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _reload = new(1, 1);
    private volatile Snapshot _snapshot = Snapshot.Empty;

    public async ValueTask<bool> ContainsAsync(string code, CancellationToken ct)
    {
        if (IsFresh(_snapshot, code, out var known)) return known;
        await _reload.WaitAsync(ct);
        try
        {
            // Another request may have re-read the table while this one waited.
            if (!IsFresh(_snapshot, code, out _))
            {
                var codes = await queries.LocaleCodesAsync(ct);
                _snapshot = new Snapshot(codes.ToFrozenSet(StringComparer.Ordinal), time.GetUtcNow());
            }
            return _snapshot.Codes.Contains(code);
        }
        finally
        {
            _reload.Release();
        }
    }

    public void Invalidate() => _snapshot = Snapshot.Empty;

    private bool IsFresh(Snapshot snapshot, string code, out bool known)
    {
        known = snapshot.Codes.Contains(code);
        return time.GetUtcNow() - snapshot.LoadedAt < (known ? refresh : MissRefresh);
    }

    private sealed record Snapshot(FrozenSet<string> Codes, DateTimeOffset LoadedAt)
    {
        public static readonly Snapshot Empty = new(FrozenSet<string>.Empty, DateTimeOffset.MinValue);
    }
}
