using System.Text.Json.Nodes;
using Admin.Data;
using Admin.Data.Content;
using Admin.Data.Reference;
using Admin.Data.Session;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.TestSupport;

/// <summary>Content-domain helpers shared by data tests, web tests and benchmarks.</summary>
public static class ContentFixtures
{
    /// <summary>The brands and locales the tests write in; row-level security refuses an editor anything outside their scopes.</summary>
    public static readonly string[] TestBrands = ["acme", "globex"];
    public static readonly string[] TestLocales = ["en-GB", "de-DE", "en-US", "es-ES", "fr-FR", "nl-NL"];

    public static readonly SessionContext Editor =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000e1"), "editor@test.local", ["Editor"], TestBrands, TestLocales, "test");

    public static readonly SessionContext OtherEditor =
        new(Guid.Parse("00000000-0000-0000-0000-0000000000e2"), "other@test.local", ["Editor"], TestBrands, TestLocales, "test");

    /// <summary>An IDbContextFactory over the test database acting as the given user.</summary>
    public static IDbContextFactory<AdminDbContext> Factory(this TestDatabase db, SessionContext? user = null) => new Contexts(db, user ?? Editor);

    public static ContentService ContentService(this TestDatabase db, SessionContext? user = null) =>
        new(db.Factory(user), new FixedSessionContextSource(user ?? Editor));

    /// <summary>Reference locales plus <paramref name="products"/> products and <paramref name="categories"/> categories (as the owner).</summary>
    public static async Task<(IReadOnlyList<Guid> Products, IReadOnlyList<Guid> Categories)> SeedCatalogAsync(this TestDatabase db, int products = 5, int categories = 4)
    {
        await using var owner = await db.OpenAsync(TestPostgres.OwnerRole);
        await ReferenceData.SeedAsync(owner);
        var productIds = new List<Guid>();
        for (var i = 0; i < products; i++)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO products (sku, name, price, inventory_count) VALUES (@sku, @name, @price, 10) ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name RETURNING id", owner);
            insert.Parameters.AddWithValue("sku", $"SKU-{i:0000}");
            insert.Parameters.AddWithValue("name", $"Product {i}");
            insert.Parameters.AddWithValue("price", 10m + i);
            productIds.Add((Guid)(await insert.ExecuteScalarAsync())!);
        }
        var categoryIds = new List<Guid>();
        for (var i = 0; i < categories; i++)
        {
            await using var insert = new NpgsqlCommand(
                "INSERT INTO categories (slug, name) VALUES (@slug, @name) ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id", owner);
            insert.Parameters.AddWithValue("slug", $"category-{i}");
            insert.Parameters.AddWithValue("name", $"Category {i}");
            categoryIds.Add((Guid)(await insert.ExecuteScalarAsync())!);
        }
        return (productIds, categoryIds);
    }

    public static JsonObject Hero(string title = "Spring sale") => new()
    {
        ["title"] = title, ["subtitle"] = "Everything must go", ["imageUrl"] = "https://cdn.example.com/hero.jpg",
        ["ctaText"] = "Shop now", ["ctaUrl"] = "/sale",
    };

    public static JsonObject Carousel(IEnumerable<Guid> productIds, string title = "Bestsellers") => new()
    {
        ["title"] = title, ["productIds"] = new JsonArray(productIds.Select(id => (JsonNode)id.ToString()).ToArray()),
    };

    private sealed class Contexts(TestDatabase db, SessionContext user) : IDbContextFactory<AdminDbContext>
    {
        public AdminDbContext CreateDbContext() => db.CreateAppContext(user);
    }
}
