using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Admin.Data.Reference;

/// <summary>A content locale such as en-GB. User scopes and content rows refer to it by code.</summary>
public sealed class Locale
{
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool IsActive { get; set; } = true;
}

/// <summary>A brand (tenant) whose content is edited separately; editors are scoped to brands by slug.</summary>
public sealed class Brand
{
    public required string Slug { get; set; }
    public required string Name { get; set; }
    public bool IsActive { get; set; } = true;
}

/// <summary>A legal jurisdiction content can be published to (e.g. UK, DE).</summary>
public sealed class Jurisdiction
{
    public required string Code { get; set; }
    public required string Name { get; set; }
    public bool IsActive { get; set; } = true;
}

internal sealed class LocaleConfiguration : IEntityTypeConfiguration<Locale>
{
    public void Configure(EntityTypeBuilder<Locale> b) => b.HasKey(x => x.Code).HasName("locales_pkey");
}

internal sealed class BrandConfiguration : IEntityTypeConfiguration<Brand>
{
    public void Configure(EntityTypeBuilder<Brand> b) => b.HasKey(x => x.Slug).HasName("brands_pkey");
}

internal sealed class JurisdictionConfiguration : IEntityTypeConfiguration<Jurisdiction>
{
    public void Configure(EntityTypeBuilder<Jurisdiction> b) => b.HasKey(x => x.Code).HasName("jurisdictions_pkey");
}
