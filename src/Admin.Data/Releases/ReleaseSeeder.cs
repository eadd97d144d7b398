using System.Text.Json.Nodes;
using Npgsql;

namespace Admin.Data.Releases;

public enum ReleaseSeedShape { Small, Large }

/// <summary>
/// Demo releases. Small: a handful of releases in every state (deployed, rolled back, approved, in review, draft,
/// abandoned) over translations, flags, settings, pages and articles, with a parallel-work conflict to look at.
/// Written as the schema owner through the same triggers as the app, acting as the demo users (so authors, approvers
/// and audit rows are real). Large adds <see cref="ReleaseLargeSeed"/>. Idempotent: the demo set is skipped when releases exist.
/// </summary>
public static class ReleaseSeeder
{
    private sealed record Actor(Guid Id, string Email, string Roles);

    /// <summary>The demo releases, plus the large data set for <see cref="ReleaseSeedShape.Large"/>. Returns how many releases were added.</summary>
    public static async Task<int> SeedAsync(NpgsqlConnection owner, ReleaseSeedShape shape, CancellationToken ct = default)
    {
        var added = await SeedDemoAsync(owner, ct);
        return shape == ReleaseSeedShape.Large ? added + await ReleaseLargeSeed.SeedAsync(owner, ct) : added;
    }

    private static async Task<int> SeedDemoAsync(NpgsqlConnection owner, CancellationToken ct)
    {
        await using var transaction = await owner.BeginTransactionAsync(ct);
        await ExecAsync(owner, "SELECT pg_advisory_xact_lock(hashtext('release-seed'))", ct);
        if (await ScalarAsync<bool>(owner, "SELECT EXISTS (SELECT 1 FROM releases)", ct)) return 0;

        var editor = await ActorAsync(owner, "editor@admin.local", "Editor", "00000000-0000-0000-0000-00000000e001", ct);
        var admin = await ActorAsync(owner, "admin@admin.local", "Admin", "00000000-0000-0000-0000-00000000a001", ct);
        var manager = await ActorAsync(owner, "release@admin.local", "ReleaseManager", "00000000-0000-0000-0000-00000000b001", ct);
        var ids = new Dictionary<string, Guid>();
        Guid Id(string name) => ids.TryGetValue(name, out var id) ? id : ids[name] = Guid.NewGuid();

        // 1. The launch: everything the storefront needs, deployed.
        var launch = await CreateAsync(owner, editor, "Storefront launch", "Base copy, flags and settings for the storefront.", ct);
        foreach (var (locale, title, pay, home) in new[]
                 {
                     ("en-GB", "Checkout", "Pay now", "Home"), ("de-DE", "Kasse", "Jetzt bezahlen", "Startseite"), ("fr-FR", "Paiement", "Payer", "Accueil"),
                 })
        {
            await TranslationAsync(owner, launch, Id("checkout.title/" + locale), "checkout.title", locale, title, ct);
            await TranslationAsync(owner, launch, Id("checkout.pay/" + locale), "checkout.pay", locale, pay, ct);
            await TranslationAsync(owner, launch, Id("nav.home/" + locale), "nav.home", locale, home, ct);
        }
        await EntityAsync(owner, launch, Id("flag:new-checkout"), "feature_flag", key: "new-checkout",
            payload: new JsonObject { ["enabled"] = false, ["description"] = "The one-page checkout", ["rules"] = new JsonObject { ["percentage"] = 0, ["brands"] = new JsonArray("acme") } }, ct: ct);
        await EntityAsync(owner, launch, Id("flag:dark-mode"), "feature_flag", key: "dark-mode",
            payload: new JsonObject { ["enabled"] = true, ["rules"] = new JsonObject { ["percentage"] = 100 } }, ct: ct);
        await EntityAsync(owner, launch, Id("setting:checkout.timeout"), "setting", key: "checkout.timeout-seconds", payload: new JsonObject { ["value"] = 900 }, ct: ct);
        await EntityAsync(owner, launch, Id("setting:support.email"), "setting", key: "support.email", brand: "acme", payload: new JsonObject { ["value"] = "help@acme.example" }, ct: ct);
        await EntityAsync(owner, launch, Id("page:about"), "page", brand: "acme", jurisdiction: "UK", locale: "en-GB", slug: "about",
            payload: new JsonObject { ["title"] = "About Acme", ["body"] = "<p>We have sold everything since 1949.</p>" }, ct: ct);
        await EntityAsync(owner, launch, Id("article:delivery"), "article", brand: "acme", jurisdiction: "UK", locale: "en-GB", slug: "help/delivery",
            payload: new JsonObject { ["title"] = "Delivery times", ["body"] = "<p>Orders before 2 pm ship the same day.</p>", ["tags"] = new JsonArray("help") }, ct: ct);
        await ShipAsync(owner, launch, editor, manager, ct);

        // 2. A copy refresh, deployed on top.
        var refresh = await CreateAsync(owner, editor, "Autumn copy refresh", "Friendlier checkout wording.", ct);
        await TranslationAsync(owner, refresh, Id("checkout.title/en-GB"), "checkout.title", "en-GB", "Your basket", ct);
        await EntityAsync(owner, refresh, Id("page:about"), "page", brand: "acme", jurisdiction: "UK", locale: "en-GB", slug: "about",
            payload: new JsonObject { ["title"] = "About Acme", ["body"] = "<p>Selling everything since 1949, delivering since 1950.</p>" }, ct: ct);
        await ShipAsync(owner, refresh, editor, manager, ct);

        // 3. A banner that went wrong: deployed, then rolled back.
        var banner = await CreateAsync(owner, admin, "Black Friday banner", "Homepage banner copy.", ct);
        await TranslationAsync(owner, banner, Id("banner.black-friday/en-GB"), "banner.black-friday", "en-GB", "Black Friday: 90% off everything!!!", ct);
        await ShipAsync(owner, banner, admin, manager, ct);
        await ActAsync(owner, manager, ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'ROLLED_BACK', close_reason = 'Wrong discount in the banner' WHERE id = {banner}", ct);

        // 4. Approved, waiting to deploy: the new checkout for 50% of acme.
        var rollout = await CreateAsync(owner, editor, "New checkout rollout", "Turn the one-page checkout on for half of acme's visitors.", ct);
        await EntityAsync(owner, rollout, Id("flag:new-checkout"), "feature_flag", key: "new-checkout",
            payload: new JsonObject { ["enabled"] = true, ["description"] = "The one-page checkout", ["rules"] = new JsonObject { ["percentage"] = 50, ["brands"] = new JsonArray("acme") } }, ct: ct);
        await TranslationAsync(owner, rollout, Id("checkout.pay/en-GB"), "checkout.pay", "en-GB", "Pay securely", ct);
        await SubmitAsync(owner, rollout, editor, ct);
        await ActAsync(owner, manager, ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'APPROVED' WHERE id = {rollout}", ct);

        // 5. In review: the holiday campaign.
        var holiday = await CreateAsync(owner, editor, "Holiday campaign", "Holiday landing page and banner copy.", ct);
        await EntityAsync(owner, holiday, Id("page:holiday"), "page", brand: "acme", jurisdiction: "UK", locale: "en-GB", slug: "holiday-2026",
            payload: new JsonObject { ["title"] = "Holiday gifts", ["body"] = "<p>Gifts for everyone on your list.</p>" }, ct: ct);
        await TranslationAsync(owner, holiday, Id("banner.holiday/en-GB"), "banner.holiday", "en-GB", "Happy holidays from Acme", ct);
        await TranslationAsync(owner, holiday, Id("banner.holiday/de-DE"), "banner.holiday", "de-DE", "Frohe Feiertage von Acme", ct);
        // Homepage sections go live with the campaign: the brand story's newer version, and the winter sale section.
        await SectionAsync(owner, holiday, "en-GB", "brand-story", 2, ct);
        await SectionAsync(owner, holiday, "en-GB", "winter-sale", 1, ct);
        await SubmitAsync(owner, holiday, editor, ct);

        // 6. A draft that changes the same text as the approved rollout: a parallel-work conflict to resolve.
        var wording = await CreateAsync(owner, admin, "Payment button wording", "Try a shorter pay button.", ct);
        await TranslationAsync(owner, wording, Id("checkout.pay/en-GB"), "checkout.pay", "en-GB", "Pay", ct);
        await TranslationAsync(owner, wording, Id("checkout.pay/de-DE"), "checkout.pay", "de-DE", "Zahlen", ct);

        // 7. Abandoned.
        var experiment = await CreateAsync(owner, editor, "Dark mode off experiment", "Dropped after the design review.", ct);
        await EntityAsync(owner, experiment, Id("flag:dark-mode"), "feature_flag", key: "dark-mode",
            payload: new JsonObject { ["enabled"] = false, ["rules"] = new JsonObject { ["percentage"] = 0 } }, ct: ct);
        await ActAsync(owner, manager, ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'ABANDONED', close_reason = 'Design review said no' WHERE id = {experiment}", ct);

        await transaction.CommitAsync(ct);
        return 7;
    }

    private static async Task<Actor> ActorAsync(NpgsqlConnection owner, string email, string roles, string fallbackId, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT id FROM users WHERE normalized_email = upper($1)", owner);
        command.Parameters.Add(new NpgsqlParameter { Value = email });
        var id = await command.ExecuteScalarAsync(ct) as Guid? ?? Guid.Parse(fallbackId);
        return new Actor(id, email, roles);
    }

    private static Task ActAsync(NpgsqlConnection owner, Actor actor, CancellationToken ct) =>
        ExecAsync(owner, $"SELECT set_config('app.user_id', '{actor.Id}', true), set_config('app.user_email', '{actor.Email}', true), set_config('app.roles', '{actor.Roles}', true)", ct);

    private static async Task<long> CreateAsync(NpgsqlConnection owner, Actor author, string name, string description, CancellationToken ct)
    {
        await ActAsync(owner, author, ct);
        await using var command = new NpgsqlCommand("INSERT INTO releases (name, description) VALUES ($1, $2) RETURNING id", owner);
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = description });
        return (long)(await command.ExecuteScalarAsync(ct))!;
    }

    private static Task TranslationAsync(NpgsqlConnection owner, long release, Guid id, string key, string locale, string value, CancellationToken ct) =>
        EntityAsync(owner, release, id, "translation", key: key, locale: locale, payload: new JsonObject { ["value"] = value }, ct: ct);

    private static async Task EntityAsync(NpgsqlConnection owner, long release, Guid id, string type, string? key = null, string? brand = null,
        string? jurisdiction = null, string? locale = null, string? slug = null, JsonObject? payload = null, CancellationToken ct = default)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO entity_versions (entity_id, entity_type, release_id, entity_key, brand, jurisdiction, locale_id, slug, payload)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
            """, owner);
        foreach (var value in new object?[] { id, type, release, key, brand, jurisdiction, locale, slug, (payload ?? []).ToJsonString() })
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>A demo section's version into the release (nothing when the content demo is not there).</summary>
    private static async Task SectionAsync(NpgsqlConnection owner, long release, string locale, string key, int version, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO release_sections (release_id, section_id, version_id, locale, section_key, section_type)
            SELECT $1, s.id, v.id, '', '', '' FROM homepage_sections s JOIN section_versions v ON v.section_id = s.id AND v.version_number = $4
            WHERE s.locale = $2 AND s.section_key = $3
            """, owner);
        foreach (var value in new object[] { release, locale, key, version }) command.Parameters.Add(new NpgsqlParameter { Value = value });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task SubmitAsync(NpgsqlConnection owner, long release, Actor author, CancellationToken ct)
    {
        await ActAsync(owner, author, ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'IN_REVIEW' WHERE id = {release}", ct);
    }

    private static async Task ShipAsync(NpgsqlConnection owner, long release, Actor author, Actor manager, CancellationToken ct)
    {
        await SubmitAsync(owner, release, author, ct);
        await ActAsync(owner, manager, ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'APPROVED' WHERE id = {release}", ct);
        await ExecAsync(owner, $"UPDATE releases SET status = 'DEPLOYED' WHERE id = {release}", ct);
    }

    internal static async Task ExecAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(ct);
    }

    internal static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        return (T)(await command.ExecuteScalarAsync(ct))!;
    }
}
