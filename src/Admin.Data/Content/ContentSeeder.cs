using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Content;

/// <summary>
/// How much demo content to seed. Every locale gets the eight hand-written showcase sections; when
/// <see cref="SectionsPerLocale"/> is larger, generated sections fill each locale up to it and their versions bring the
/// locales' total up to <see cref="Versions"/>.
/// </summary>
public sealed record ContentSeedShape(int SectionsPerLocale, int Versions, int Products, int Categories)
{
    public static readonly ContentSeedShape Small = new(ContentSeeder.ShowcaseSections, 0, 40, 10);
    public static readonly ContentSeedShape Large = new(200, 200_000, 2_000, 100);
}

/// <summary>What one run added (zero everywhere when the content was there already).</summary>
public sealed record ContentSeedResult(int Products, int Categories, int Sections, int Versions, int Schedules);

/// <summary>
/// Demo catalog and homepage content for en-GB, en-US, de-DE, fr-FR and nl-NL, written as the schema owner in one
/// transaction with set-based statements (generate_series / unnest; no statement per row). Idempotent: products,
/// categories and sections are keyed by SKU, slug and (locale, key) and only missing ones are added, each with its
/// versions, links and schedules. The rows are what <see cref="ContentService"/> would have written: version numbers
/// 1..n per section, latest/draft/published pointers and the published marker agreeing with the versions, product and
/// category links for published carousels and grids, content that passes <see cref="SectionSchemas.Validate"/>.
/// </summary>
public static class ContentSeeder
{
    public const int ShowcaseSections = 8;
    public const string SkuPrefix = "HP-";
    public static readonly IReadOnlyList<string> Locales = ["en-GB", "en-US", "de-DE", "fr-FR", "nl-NL"];
    private static readonly string[] Authors = ["editor@admin.local", "admin@admin.local", "editor.globex@admin.local"];

    public static async Task<ContentSeedResult> SeedAsync(NpgsqlConnection owner, ContentSeedShape shape, CancellationToken ct = default)
    {
        if (shape.Products < 12 || shape.Categories is < 8 or > 100)
            throw new ArgumentException("A shape needs at least 12 products (a carousel shows up to 12) and 8 to 100 categories.", nameof(shape));

        await using var transaction = await owner.BeginTransactionAsync(ct);
        await ExecuteAsync(owner, """
            SELECT pg_advisory_xact_lock(hashtext('content-seed'));
            CREATE TEMP TABLE seed_sections (id uuid PRIMARY KEY) ON COMMIT DROP;
            """, ct);
        var products = await SeedProductsAsync(owner, shape.Products, ct);
        var categories = await ExecuteAsync(owner, """
            INSERT INTO categories (slug, name, description, image_url)
            SELECT c.slug, c.name, c.name || ': new arrivals, bestsellers and last-chance buys.', 'https://cdn.example.com/categories/' || c.slug || '.jpg'
            FROM unnest(@slugs, @names) AS c(slug, name)
            ON CONFLICT (slug) DO NOTHING
            """, ct,
            ("slugs", ContentSeedTexts.Categories.Take(shape.Categories).Select(c => c.Slug).ToArray()),
            ("names", ContentSeedTexts.Categories.Take(shape.Categories).Select(c => c.Name).ToArray()));

        var (sections, versions, schedules) = await SeedShowcaseAsync(owner, ct);
        if (shape.SectionsPerLocale > ShowcaseSections)
        {
            var bulk = await SeedBulkAsync(owner, shape, ct);
            (sections, versions, schedules) = (sections + bulk.Sections, versions + bulk.Versions, schedules + bulk.Schedules);
        }
        await LinkPublishedAsync(owner, ct);
        await transaction.CommitAsync(ct);

        // After a bulk load: statistics for the planner, and the visibility map set now rather than by an autovacuum
        // that would otherwise start at once and compete with whatever runs next.
        if (sections > ShowcaseSections * Locales.Count)
            await ExecuteAsync(owner, "VACUUM (ANALYZE) products, categories, homepage_sections, section_versions, section_schedules, section_products, section_categories", ct);
        return new ContentSeedResult(products, categories, sections, versions, schedules);
    }

    // ---------------------------------------------------------------------------------------------- catalog

    /// <summary>Products HP-00001… named adjective + item + colour (unique below 3,496), priced x.99, some out of stock.</summary>
    private static Task<int> SeedProductsAsync(NpgsqlConnection c, int count, CancellationToken ct) =>
        ExecuteAsync(c, """
            INSERT INTO products (sku, name, description, price, image_url, inventory_count, is_featured)
            SELECT @prefix || lpad(g::text, 5, '0'),
                   @adjectives[1 + g % cardinality(@adjectives)] || ' ' || @items[1 + g % cardinality(@items)] || ', ' || @colours[1 + g % cardinality(@colours)],
                   @descriptions[1 + g % cardinality(@items)],
                   9.99 + (g * 37) % 140,
                   'https://cdn.example.com/products/' || lower(@prefix) || lpad(g::text, 5, '0') || '.jpg',
                   (g * 13) % 120,
                   g % 15 = 0
            FROM generate_series(1, @count) AS g
            ON CONFLICT (sku) DO NOTHING
            """, ct,
            ("prefix", SkuPrefix), ("count", count), ("adjectives", ContentSeedTexts.ProductAdjectives),
            ("items", ContentSeedTexts.ProductItems.Select(i => i.Item).ToArray()),
            ("descriptions", ContentSeedTexts.ProductItems.Select(i => i.Description).ToArray()),
            ("colours", ContentSeedTexts.ProductColours));

    // ---------------------------------------------------------------------------------------------- showcase (small)

    private enum Showcase { Published, DraftAfterPublish, Scheduled, Archived }

    private sealed record ShowcaseSection(string Key, string Type, Showcase State, (JsonObject Content, string Summary)[] Versions);

    /// <summary>
    /// The eight sections each locale gets: every type, 1–4 versions each, six published (one of them with a newer
    /// draft), one draft with a pending schedule, one archived.
    /// </summary>
    private static IEnumerable<ShowcaseSection> ShowcaseFor(LocalePhrases p, Func<int, string> product, Func<int, string> category)
    {
        JsonObject Hero(int title, int subtitle, int cta, string image, string url) => new()
        {
            ["title"] = p.HeroTitles[title], ["subtitle"] = p.HeroSubtitles[subtitle],
            ["imageUrl"] = $"https://cdn.example.com/hero/{image}.jpg", ["ctaText"] = p.CallsToAction[cta], ["ctaUrl"] = url,
        };
        JsonObject Banner(int text, string tone, string link) => new() { ["text"] = p.BannerTexts[text], ["tone"] = tone, ["linkUrl"] = link };
        JsonObject Story(params int[] paragraphs) => new()
        {
            ["title"] = p.StoryTitles[0], ["html"] = string.Concat(paragraphs.Select(i => $"<p>{p.StoryParagraphs[i]}</p>")),
        };
        JsonObject Carousel(int title, params int[] picks) => new()
        {
            ["title"] = p.CarouselTitles[title], ["productIds"] = new JsonArray(picks.Select(i => (JsonNode)product(i)).ToArray()),
        };
        JsonObject Grid(int columns, int count) => new()
        {
            ["title"] = p.GridTitles[0], ["columns"] = columns,
            ["categoryIds"] = new JsonArray(Enumerable.Range(0, count).Select(i => (JsonNode)category(i)).ToArray()),
        };

        yield return new("hero-main", SectionTypes.Hero, Showcase.Published,
        [
            (Hero(0, 0, 0, "autumn-essentials", "/new-in"), "Created"),
            (Hero(0, 1, 1, "autumn-essentials-wide", "/collections/autumn"), "Shortened the subtitle for mobile"),
        ]);
        yield return new("free-delivery", SectionTypes.Banner, Showcase.Published, [(Banner(0, "info", "/help/delivery"), "Created")]);
        yield return new("bestsellers", SectionTypes.ProductCarousel, Showcase.Published,
        [
            (Carousel(0, 0, 1, 2, 3, 4, 5), "Created"),
            (Carousel(0, 0, 1, 2, 3, 4, 5, 6, 7), "Added two autumn products"),
            (Carousel(0, 3, 0, 7, 1, 5, 2, 6, 4), "Reordered products by last week's sales"),
        ]);
        yield return new("shop-by-category", SectionTypes.CategoryGrid, Showcase.Published,
        [
            (Grid(3, 6), "Created"),
            (Grid(4, 8), "Four columns with home and kids"),
        ]);
        yield return new("brand-story", SectionTypes.RichText, Showcase.DraftAfterPublish,
        [
            (Story(0, 1), "Created"),
            (Story(0, 1, 5), "Added the free repair service"),
        ]);
        yield return new("new-arrivals", SectionTypes.ProductCarousel, Showcase.Published,
        [
            (Carousel(1, 10, 11, 12, 13, 14, 15), "Created"),
            (Carousel(1, 10, 11, 12, 13, 14, 15, 16, 17), "Swapped in new arrivals"),
            (Carousel(1, 16, 17, 10, 11, 12, 13), "Removed out-of-stock items"),
            (Carousel(1, 16, 17, 18, 19, 10, 11, 12), "Seasonal refresh"),
        ]);
        yield return new("winter-sale", SectionTypes.Banner, Showcase.Scheduled, [(Banner(4, "promo", "/sale"), "Created")]);
        yield return new("autumn-lookbook", SectionTypes.Hero, Showcase.Archived,
        [
            (Hero(2, 2, 2, "lookbook", "/lookbook"), "Created"),
            (Hero(2, 3, 4, "lookbook-rust", "/lookbook"), "New image for the campaign"),
        ]);
    }

    private static async Task<(int Sections, int Versions, int Schedules)> SeedShowcaseAsync(NpgsqlConnection c, CancellationToken ct)
    {
        var existing = new Dictionary<string, (HashSet<string> Keys, int LastOrder)>();
        foreach (var locale in Locales) existing[locale] = ([], -1);
        await using (var read = new NpgsqlCommand("SELECT locale, section_key, display_order FROM homepage_sections WHERE locale = ANY(@locales)", c))
        {
            read.Parameters.AddWithValue("locales", Locales.ToArray());
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var entry = existing[reader.GetString(0)];
                entry.Keys.Add(reader.GetString(1));
                existing[reader.GetString(0)] = (entry.Keys, Math.Max(entry.LastOrder, reader.GetInt32(2)));
            }
        }
        var products = await IdsAsync(c, "SELECT id FROM products WHERE sku LIKE @prefix || '%' AND is_active ORDER BY sku LIMIT 40", ct, ("prefix", SkuPrefix));
        var categories = await IdsAsync(c, """
            SELECT c.id FROM unnest(@slugs) WITH ORDINALITY AS s(slug, n) JOIN categories c ON c.slug = s.slug AND c.is_active ORDER BY s.n
            """, ct, ("slugs", ContentSeedTexts.Categories.Take(10).Select(x => x.Slug).ToArray()));

        var rows = new SeedRows();
        var now = DateTimeOffset.UtcNow;
        for (var li = 0; li < Locales.Count; li++)
        {
            var locale = Locales[li];
            var (keys, order) = existing[locale];
            var offset = li;
            var showcase = ShowcaseFor(ContentSeedTexts.Phrases[locale],
                i => products[(i + offset * 5) % products.Count].ToString(),
                i => categories[(i + offset) % categories.Count].ToString()).ToList();
            for (var position = 0; position < showcase.Count; position++)
            {
                var s = showcase[position];
                if (keys.Contains(s.Key)) continue;
                rows.Add(locale, s, ++order, now.AddDays(-(4 * s.Versions.Length + position)).AddHours(-li), (li + position) % Authors.Length);
            }
        }
        if (rows.SectionIds.Count == 0) return (0, 0, 0);

        var sections = await ExecuteAsync(c, """
            WITH added AS (
                INSERT INTO homepage_sections (id, locale, section_key, section_type, display_order, status, is_active, metadata,
                                               latest_version_number, draft_version_id, published_version_id,
                                               created_at, created_by, updated_at, updated_by, updated_by_email)
                SELECT s.id, s.locale, s.key, s.type, s.display_order, s.status, s.status <> 'archived', jsonb_build_object('analyticsId', 'hp-' || s.key),
                       s.latest, s.draft, s.published, s.created_at, u.id, s.updated_at, u.id, s.email
                FROM unnest(@ids, @locales, @keys, @types, @orders, @statuses, @latest, @drafts, @published, @created, @updated, @emails)
                     AS s(id, locale, key, type, display_order, status, latest, draft, published, created_at, updated_at, email)
                LEFT JOIN users u ON u.email = s.email
                RETURNING id)
            INSERT INTO seed_sections SELECT id FROM added
            """, ct,
            ("ids", rows.SectionIds.ToArray()), ("locales", rows.Locales.ToArray()), ("keys", rows.Keys.ToArray()), ("types", rows.Types.ToArray()),
            ("orders", rows.Orders.ToArray()), ("statuses", rows.Statuses.ToArray()), ("latest", rows.Latest.ToArray()),
            ("drafts", rows.Drafts.ToArray()), ("published", rows.PublishedIds.ToArray()), ("created", rows.CreatedAt.ToArray()),
            ("updated", rows.UpdatedAt.ToArray()), ("emails", rows.UpdatedBy.ToArray()));
        var versions = await ExecuteAsync(c, """
            INSERT INTO section_versions (id, section_id, version_number, content, change_summary, created_at, created_by, created_by_email, is_published, published_at)
            SELECT v.id, v.section_id, v.number, v.content, v.summary, v.created_at, u.id, v.email, v.is_published, v.published_at
            FROM unnest(@ids, @sections, @numbers, @contents, @summaries, @created, @emails, @flags, @published)
                 AS v(id, section_id, number, content, summary, created_at, email, is_published, published_at)
            LEFT JOIN users u ON u.email = v.email
            """, ct,
            ("ids", rows.VersionIds.ToArray()), ("sections", rows.VersionSections.ToArray()), ("numbers", rows.Numbers.ToArray()),
            ("contents", new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = rows.Contents.ToArray() }),
            ("summaries", rows.Summaries.ToArray()), ("created", rows.VersionCreatedAt.ToArray()), ("emails", rows.Authors.ToArray()),
            ("flags", rows.IsPublished.ToArray()), ("published", rows.PublishedAt.ToArray()));
        var schedules = await ExecuteAsync(c, """
            INSERT INTO section_schedules (section_id, version_id, publish_at, expire_at, created_at, created_by, created_by_email)
            SELECT hs.id, hs.draft_version_id, date_trunc('day', now()) + interval '3 days 6 hours', date_trunc('day', now()) + interval '17 days 6 hours',
                   hs.updated_at, hs.updated_by, hs.updated_by_email
            FROM homepage_sections hs
            WHERE hs.id = ANY(@ids)
            """, ct, ("ids", rows.ScheduledSections.ToArray()));
        return (sections, versions, schedules);
    }

    /// <summary>Column arrays for the showcase inserts (unnest takes one array per column).</summary>
    private sealed class SeedRows
    {
        public readonly List<Guid> SectionIds = [], VersionIds = [], VersionSections = [], ScheduledSections = [];
        public readonly List<Guid?> Drafts = [], PublishedIds = [];
        public readonly List<string> Locales = [], Keys = [], Types = [], Statuses = [], UpdatedBy = [], Contents = [], Summaries = [], Authors = [];
        public readonly List<int> Orders = [], Latest = [], Numbers = [];
        public readonly List<DateTimeOffset> CreatedAt = [], UpdatedAt = [], VersionCreatedAt = [];
        public readonly List<DateTimeOffset?> PublishedAt = [];
        public readonly List<bool> IsPublished = [];

        public void Add(string locale, ShowcaseSection s, int order, DateTimeOffset start, int author)
        {
            var id = Guid.NewGuid();
            var n = s.Versions.Length;
            var versionIds = s.Versions.Select(_ => Guid.NewGuid()).ToArray();
            // The version that is (or, for the archived one, was) live.
            int? live = s.State switch
            {
                Showcase.Published or Showcase.Archived => n,
                Showcase.DraftAfterPublish => n - 1,
                _ => null,
            };
            var status = s.State switch
            {
                Showcase.Published or Showcase.DraftAfterPublish => SectionStatuses.Published,
                Showcase.Archived => SectionStatuses.Archived,
                _ => SectionStatuses.Draft,
            };
            for (var v = 1; v <= n; v++)
            {
                var at = start.AddDays(4 * (v - 1));
                VersionIds.Add(versionIds[v - 1]);
                VersionSections.Add(id);
                Numbers.Add(v);
                Contents.Add(s.Versions[v - 1].Content.ToJsonString());
                Summaries.Add(s.Versions[v - 1].Summary);
                VersionCreatedAt.Add(at);
                Authors.Add(ContentSeeder.Authors[(author + v) % ContentSeeder.Authors.Length]);
                IsPublished.Add(status == SectionStatuses.Published && v == live);
                PublishedAt.Add(v == live ? at.AddHours(1) : null);
            }
            SectionIds.Add(id);
            Locales.Add(locale);
            Keys.Add(s.Key);
            Types.Add(s.Type);
            Orders.Add(order);
            Statuses.Add(status);
            Latest.Add(n);
            Drafts.Add(s.State == Showcase.Published ? null : versionIds[n - 1]);
            PublishedIds.Add(status == SectionStatuses.Published ? versionIds[live!.Value - 1] : null);
            CreatedAt.Add(start);
            UpdatedAt.Add(start.AddDays(4 * (n - 1)));
            UpdatedBy.Add(Authors[^1]);
            if (s.State == Showcase.Scheduled) ScheduledSections.Add(id);
        }
    }

    // ---------------------------------------------------------------------------------------------- bulk (large)

    /// <summary>
    /// Fills each locale up to shape.SectionsPerLocale with generated sections (types in turn; 20% published, a seventh
    /// of those with a newer draft; 30% drafts, some scheduled; 50% archived; every status across every type) and gives
    /// them versions that bring the locales' total to shape.Versions: about the same number each (weights 0.5–1.5), at
    /// least two.
    /// </summary>
    private static async Task<(int Sections, int Versions, int Schedules)> SeedBulkAsync(NpgsqlConnection c, ContentSeedShape shape, CancellationToken ct)
    {
        var phrases = JsonSerializer.Serialize(ContentSeedTexts.Phrases, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        await using (var existing = new NpgsqlCommand("""
            SELECT count(*)::int FROM section_versions sv JOIN homepage_sections hs ON hs.id = sv.section_id WHERE hs.locale = ANY(@locales)
            """, c))
        {
            existing.Parameters.AddWithValue("locales", Locales.ToArray());
            var versionsNow = (int)(await existing.ExecuteScalarAsync(ct))!;
            await ExecuteAsync(c, """
                CREATE TEMP TABLE seed_phrases ON COMMIT DROP AS
                SELECT p.key AS locale,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'heroTitles')) AS hero_titles,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'heroSubtitles')) AS hero_subtitles,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'callsToAction')) AS ctas,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'bannerTexts')) AS banners,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'carouselTitles')) AS carousel_titles,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'gridTitles')) AS grid_titles,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'storyTitles')) AS story_titles,
                       ARRAY(SELECT jsonb_array_elements_text(p.value -> 'storyParagraphs')) AS paragraphs
                FROM jsonb_each(@phrases::jsonb) AS p;

                CREATE TEMP TABLE seed_refs ON COMMIT DROP AS
                SELECT (SELECT array_agg(id ORDER BY sku) FROM products WHERE sku LIKE @prefix || '%' AND is_active) AS products,
                       (SELECT array_agg(c.id ORDER BY s.n) FROM unnest(@slugs) WITH ORDINALITY AS s(slug, n) JOIN categories c ON c.slug = s.slug AND c.is_active) AS categories,
                       ARRAY(SELECT u.id FROM unnest(@authors) WITH ORDINALITY AS a(email, n) LEFT JOIN users u ON u.email = a.email ORDER BY a.n) AS author_ids,
                       @authors AS author_emails,
                       ARRAY['Created'] || @summaries AS summaries;

                -- The sections to add: slots after each locale's last position, types in turn, keys from type and position.
                CREATE TEMP TABLE seed_bulk ON COMMIT DROP AS
                WITH existing AS (
                    SELECT l.code AS locale, count(hs.id)::int AS sections, coalesce(max(hs.display_order), -1) AS last_order
                    FROM unnest(@locales) AS l(code) LEFT JOIN homepage_sections hs ON hs.locale = l.code
                    GROUP BY l.code),
                slots AS (
                    SELECT e.locale, e.last_order + g AS display_order, g AS slot,
                           (ARRAY['hero', 'banner', 'rich_text', 'product_carousel', 'category_grid'])[1 + g % 5] AS section_type,
                           (ARRAY['hero', 'banner', 'story', 'carousel', 'categories'])[1 + g % 5] || '-' || lpad((e.last_order + g)::text, 3, '0') AS section_key
                    FROM existing e CROSS JOIN LATERAL generate_series(1, greatest(0, @per_locale - e.sections)) AS g),
                numbered AS (
                    SELECT s.*, row_number() OVER (ORDER BY s.locale, s.display_order) AS seq
                    FROM slots s
                    WHERE NOT EXISTS (SELECT 1 FROM homepage_sections hs WHERE hs.locale = s.locale AND hs.section_key = s.section_key)),
                weighted AS (
                    SELECT n.*, floor(@target * sum(1 + 0.5 * sin(n.seq)) OVER (ORDER BY n.seq) / sum(1 + 0.5 * sin(n.seq)) OVER ())::int AS cumulative
                    FROM numbered n)
                SELECT gen_random_uuid() AS id, w.locale, w.display_order, w.slot, w.section_type, w.section_key, w.seq::int AS seq,
                       -- By blocks of five consecutive slots (one section of each type), so status does not depend on type.
                       CASE WHEN (w.slot / 5) % 10 IN (0, 5) THEN 'published' WHEN (w.slot / 5) % 10 IN (1, 2, 3) THEN 'draft' ELSE 'archived' END AS status,
                       greatest(2, w.cumulative - coalesce(lag(w.cumulative) OVER (ORDER BY w.seq), 0)) AS versions,
                       gen_random_uuid() AS latest_vid, gen_random_uuid() AS previous_vid,
                       6 + w.seq::int % 30 AS gap_hours, 1 + w.seq::int % 72 AS age_hours
                FROM weighted w;

                -- Published: the latest version is live, or (slot % 7 = 0) the one before it with a newer draft.
                -- Archived: the latest version was live before the section was archived. Drafts: never published.
                ALTER TABLE seed_bulk ADD COLUMN live int;
                UPDATE seed_bulk SET live = CASE
                    WHEN status = 'published' AND slot % 7 = 0 THEN versions - 1
                    WHEN status IN ('published', 'archived') THEN versions END;
                """, ct,
                ("phrases", phrases), ("prefix", SkuPrefix), ("authors", Authors), ("summaries", ContentSeedTexts.ChangeSummaries),
                ("slugs", ContentSeedTexts.Categories.Take(shape.Categories).Select(x => x.Slug).ToArray()),
                ("locales", Locales.ToArray()), ("per_locale", shape.SectionsPerLocale), ("target", Math.Max(0, shape.Versions - versionsNow)));
        }

        var sections = await ExecuteAsync(c, """
            WITH added AS (
                INSERT INTO homepage_sections (id, locale, section_key, section_type, display_order, status, is_active, metadata,
                                               latest_version_number, draft_version_id, published_version_id,
                                               created_at, created_by, updated_at, updated_by, updated_by_email)
                SELECT b.id, b.locale, b.section_key, b.section_type, b.display_order, b.status, b.status <> 'archived',
                       jsonb_build_object('analyticsId', 'hp-' || b.section_key),
                       b.versions,
                       CASE WHEN b.status = 'published' AND b.live = b.versions THEN NULL ELSE b.latest_vid END,
                       CASE WHEN b.status = 'published' THEN CASE WHEN b.live = b.versions THEN b.latest_vid ELSE b.previous_vid END END,
                       now() - make_interval(hours => (b.versions - 1) * b.gap_hours + b.age_hours),
                       r.author_ids[1 + (b.seq + 1) % cardinality(r.author_ids)],
                       now() - make_interval(hours => b.age_hours),
                       r.author_ids[1 + (b.seq + b.versions) % cardinality(r.author_ids)],
                       r.author_emails[1 + (b.seq + b.versions) % cardinality(r.author_emails)]
                FROM seed_bulk b CROSS JOIN seed_refs r
                RETURNING id)
            INSERT INTO seed_sections SELECT id FROM added
            """, ct);

        // Content per type, in the locale's language, varied by section and version. Picks from the catalog step by a
        // prime larger than the catalog, so one carousel or grid never lists an item twice.
        var versions = await ExecuteAsync(c, """
            INSERT INTO section_versions (id, section_id, version_number, content, change_summary, created_at, created_by, created_by_email, is_published, published_at)
            SELECT CASE v WHEN b.versions THEN b.latest_vid WHEN b.versions - 1 THEN b.previous_vid ELSE gen_random_uuid() END,
                   b.id, v,
                   CASE b.section_type
                       WHEN 'hero' THEN jsonb_build_object(
                           'title', p.hero_titles[1 + (b.seq + v) % 6], 'subtitle', p.hero_subtitles[1 + (b.seq + 3 * v) % 6],
                           'imageUrl', 'https://cdn.example.com/hero/' || b.section_key || '-v' || v || '.jpg',
                           'ctaText', p.ctas[1 + (b.seq + v) % 6], 'ctaUrl', '/collections/' || b.section_key)
                       WHEN 'banner' THEN jsonb_build_object(
                           'text', p.banners[1 + (b.seq + v) % 6], 'tone', (ARRAY['info', 'promo', 'warning'])[1 + (b.seq + v) % 3],
                           'linkUrl', '/offers/' || b.section_key)
                       WHEN 'rich_text' THEN jsonb_build_object(
                           'title', p.story_titles[1 + (b.seq + v) % 6],
                           'html', '<p>' || p.paragraphs[1 + (b.seq + v) % 6] || '</p><p>' || p.paragraphs[1 + (b.seq + v + 2) % 6] || '</p>')
                       WHEN 'product_carousel' THEN jsonb_build_object(
                           'title', p.carousel_titles[1 + (b.seq + v) % 6],
                           'productIds', (SELECT jsonb_agg(r.products[1 + (b.seq * 53 + v * 7 + k * 10007) % cardinality(r.products)] ORDER BY k)
                                          FROM generate_series(0, 3 + (b.seq + v) % 9) AS k))
                       ELSE jsonb_build_object(
                           'title', p.grid_titles[1 + (b.seq + v) % 6], 'columns', 2 + (b.seq + v) % 4,
                           'categoryIds', (SELECT jsonb_agg(r.categories[1 + (b.seq * 11 + v + k * 10007) % cardinality(r.categories)] ORDER BY k)
                                           FROM generate_series(0, 2 + (b.seq + v) % 6) AS k))
                   END,
                   CASE WHEN v = 1 THEN 'Created' ELSE r.summaries[2 + (b.seq * 7 + v) % (cardinality(r.summaries) - 1)] END,
                   t.at,
                   r.author_ids[1 + (b.seq + v) % cardinality(r.author_ids)],
                   r.author_emails[1 + (b.seq + v) % cardinality(r.author_emails)],
                   b.status = 'published' AND v = b.live,
                   CASE WHEN v = b.live OR (v % 20 = 0 AND v < b.versions - 1) THEN t.at + interval '1 hour' END
            FROM seed_bulk b
            JOIN seed_phrases p ON p.locale = b.locale
            CROSS JOIN seed_refs r
            CROSS JOIN LATERAL generate_series(1, b.versions) AS v
            CROSS JOIN LATERAL (SELECT now() - make_interval(hours => (b.versions - v) * b.gap_hours + b.age_hours) AS at) AS t
            """, ct);

        var schedules = await ExecuteAsync(c, """
            INSERT INTO section_schedules (section_id, version_id, publish_at, expire_at, created_at, created_by, created_by_email)
            SELECT b.id, b.latest_vid,
                   date_trunc('hour', now()) + make_interval(days => 1 + b.seq % 14, hours => 6),
                   CASE WHEN b.seq % 2 = 0 THEN date_trunc('hour', now()) + make_interval(days => 8 + b.seq % 14, hours => 6) END,
                   now() - make_interval(hours => b.age_hours), r.author_ids[1], r.author_emails[1]
            FROM seed_bulk b CROSS JOIN seed_refs r
            WHERE b.status = 'draft' AND b.slot % 13 = 0
            """, ct);
        return (sections, versions, schedules);
    }

    /// <summary>section_products / section_categories of the added published sections, in their published version's order.</summary>
    private static Task<int> LinkPublishedAsync(NpgsqlConnection c, CancellationToken ct)
    {
        static string Links(string table, string column, string field) => $"""
            INSERT INTO {table} (section_id, {column}, display_order)
            SELECT hs.id, e.value::uuid, e.n - 1
            FROM seed_sections s
            JOIN homepage_sections hs ON hs.id = s.id AND hs.status = 'published'
            JOIN section_versions sv ON sv.id = hs.published_version_id
            CROSS JOIN LATERAL jsonb_array_elements_text(sv.content -> '{field}') WITH ORDINALITY AS e(value, n);
            """;
        return ExecuteAsync(c, Links("section_products", "product_id", "productIds") + Links("section_categories", "category_id", "categoryIds"), ct);
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private static async Task<int> ExecuteAsync(NpgsqlConnection c, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, c) { CommandTimeout = 300 };
        foreach (var (name, value) in parameters)
        {
            if (value is NpgsqlParameter typed)
            {
                typed.ParameterName = name;
                command.Parameters.Add(typed);
            }
            else
            {
                command.Parameters.AddWithValue(name, value);
            }
        }
        return await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task<IReadOnlyList<Guid>> IdsAsync(NpgsqlConnection c, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, c);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) ids.Add(reader.GetGuid(0));
        return ids;
    }
}
