using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Admin.Data.Content;

public static class SectionTypes
{
    public const string Hero = "hero";
    public const string Banner = "banner";
    public const string RichText = "rich_text";
    public const string ProductCarousel = "product_carousel";
    public const string CategoryGrid = "category_grid";

    public static readonly IReadOnlyList<string> All = [Hero, Banner, RichText, ProductCarousel, CategoryGrid];

    public static string Label(string type) => type switch
    {
        Hero => "Hero",
        Banner => "Banner",
        RichText => "Rich text",
        ProductCarousel => "Product carousel",
        CategoryGrid => "Category grid",
        _ => type,
    };
}

public static class SectionStatuses
{
    public const string Draft = "draft";
    public const string Published = "published";
    public const string Archived = "archived";

    public static readonly IReadOnlyList<string> All = [Draft, Published, Archived];
}

public static class ScheduleStatuses
{
    public const string Pending = "pending";
    public const string Active = "active";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
}

public sealed class HomepageSection
{
    public Guid Id { get; set; }
    public required string Locale { get; set; }
    public required string SectionKey { get; set; }
    public required string SectionType { get; set; }
    public int DisplayOrder { get; set; }
    public string Status { get; set; } = SectionStatuses.Draft;
    public bool IsActive { get; set; } = true;
    public JsonDocument Metadata { get; set; } = JsonDocument.Parse("{}");
    public int LatestVersionNumber { get; set; }
    public Guid? DraftVersionId { get; set; }
    public Guid? PublishedVersionId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public Guid? UpdatedBy { get; set; }
    public string? UpdatedByEmail { get; set; }
}

public sealed class SectionVersion
{
    public Guid Id { get; set; }
    public Guid SectionId { get; set; }
    public int VersionNumber { get; set; }
    public required JsonDocument Content { get; set; }
    public string ChangeSummary { get; set; } = "";
    public int? RestoredFrom { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid? CreatedBy { get; set; }
    public string? CreatedByEmail { get; set; }
    public bool IsPublished { get; set; }
    public DateTimeOffset? PublishedAt { get; set; }
}

public sealed class SectionSchedule
{
    public Guid Id { get; set; }
    public Guid SectionId { get; set; }
    public Guid VersionId { get; set; }
    public DateTimeOffset PublishAt { get; set; }
    public DateTimeOffset? ExpireAt { get; set; }
    public string Status { get; set; } = ScheduleStatuses.Pending;
    public DateTimeOffset? ExecutedAt { get; set; }
    public DateTimeOffset? ExpiredAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public Guid? CreatedBy { get; set; }
    public string? CreatedByEmail { get; set; }
}

public sealed class Product
{
    public Guid Id { get; set; }
    public required string Sku { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public decimal Price { get; set; }
    public string? ImageUrl { get; set; }
    public int InventoryCount { get; set; }
    public bool IsFeatured { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class Category
{
    public Guid Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public string? ImageUrl { get; set; }
    public bool IsActive { get; set; } = true;
    public DateTimeOffset UpdatedAt { get; set; }
}

public sealed class SectionProduct
{
    public Guid SectionId { get; set; }
    public Guid ProductId { get; set; }
    public int DisplayOrder { get; set; }
}

public sealed class SectionCategory
{
    public Guid SectionId { get; set; }
    public Guid CategoryId { get; set; }
    public int DisplayOrder { get; set; }
}

internal sealed class ContentConfiguration :
    IEntityTypeConfiguration<HomepageSection>, IEntityTypeConfiguration<SectionVersion>, IEntityTypeConfiguration<SectionSchedule>,
    IEntityTypeConfiguration<Product>, IEntityTypeConfiguration<Category>,
    IEntityTypeConfiguration<SectionProduct>, IEntityTypeConfiguration<SectionCategory>
{
    public void Configure(EntityTypeBuilder<HomepageSection> b)
    {
        b.HasKey(x => x.Id).HasName("homepage_sections_pkey");
        b.Property(x => x.Metadata).HasColumnType("jsonb");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
    }

    public void Configure(EntityTypeBuilder<SectionVersion> b)
    {
        b.HasKey(x => x.Id).HasName("section_versions_pkey");
        b.Property(x => x.Content).HasColumnType("jsonb");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
        b.HasIndex(x => new { x.SectionId, x.VersionNumber }).IsUnique().HasDatabaseName("section_versions_number_per_section");
    }

    public void Configure(EntityTypeBuilder<SectionSchedule> b)
    {
        b.HasKey(x => x.Id).HasName("section_schedules_pkey");
        b.Property(x => x.Id).HasDefaultValueSql("gen_random_uuid()");
    }

    public void Configure(EntityTypeBuilder<Product> b)
    {
        b.HasKey(x => x.Id).HasName("products_pkey");
        b.Property(x => x.Price).HasColumnType("numeric(12,2)");
    }

    public void Configure(EntityTypeBuilder<Category> b) => b.HasKey(x => x.Id).HasName("categories_pkey");

    public void Configure(EntityTypeBuilder<SectionProduct> b) => b.HasKey(x => new { x.SectionId, x.ProductId }).HasName("section_products_pkey");

    public void Configure(EntityTypeBuilder<SectionCategory> b) => b.HasKey(x => new { x.SectionId, x.CategoryId }).HasName("section_categories_pkey");
}
