using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Admin.Data.Releases;

public static class ReleaseStatuses
{
    public const string Draft = "DRAFT";
    public const string InReview = "IN_REVIEW";
    public const string Approved = "APPROVED";
    public const string Deployed = "DEPLOYED";
    public const string Abandoned = "ABANDONED";
    public const string RolledBack = "ROLLED_BACK";

    public static readonly IReadOnlyList<string> All = [Draft, InReview, Approved, Deployed, Abandoned, RolledBack];
    public static readonly IReadOnlyList<string> Open = [Draft, InReview, Approved];

    public static string Label(string status) => status switch
    {
        Draft => "Draft",
        InReview => "In review",
        Approved => "Approved",
        Deployed => "Deployed",
        Abandoned => "Abandoned",
        RolledBack => "Rolled back",
        _ => status,
    };
}

public static class EntityTypes
{
    public const string Page = "page";
    public const string Article = "article";
    public const string Translation = "translation";
    public const string FeatureFlag = "feature_flag";
    public const string Setting = "setting";

    public static readonly IReadOnlyList<string> All = [Translation, FeatureFlag, Setting, Page, Article];

    /// <summary>A homepage section's version carried by a release (table release_sections, not an entity version).</summary>
    public const string HomepageSection = "homepage_section";

    /// <summary>Every kind of change a release carries, in the order the release page groups them.</summary>
    public static readonly IReadOnlyList<string> Changes = [.. All, HomepageSection];

    public static string Label(string type) => type switch
    {
        Page => "Page",
        Article => "Article",
        Translation => "Translation",
        FeatureFlag => "Feature flag",
        Setting => "Setting",
        HomepageSection => "Homepage section",
        _ => type,
    };

    public static string Plural(string type) => type switch
    {
        FeatureFlag => "Feature flags",
        _ => Label(type) + "s",
    };
}

/// <summary>A release (table releases). Status, deploy_seq and the people/time columns are kept by triggers.</summary>
public sealed class Release
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public string Status { get; set; } = ReleaseStatuses.Draft;
    public long? DeploySeq { get; set; }
    public long BaseDeploySeq { get; set; }
    public Guid? AuthorId { get; set; }
    public string? AuthorEmail { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SubmittedAt { get; set; }
    public Guid? ApproverId { get; set; }
    public string? ApproverEmail { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    public Guid? DeployerId { get; set; }
    public string? DeployerEmail { get; set; }
    public DateTimeOffset? DeployedAt { get; set; }
    public string? OverrideReason { get; set; }
    public Guid? ClosedById { get; set; }
    public string? ClosedByEmail { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public string? CloseReason { get; set; }
    /// <summary>When an approved release deploys by itself (the scheduler); kept until it deploys or leaves "approved".</summary>
    public DateTimeOffset? ScheduledAt { get; set; }
    public Guid? ScheduledById { get; set; }
    public string? ScheduledByEmail { get; set; }
    /// <summary>Set when the scheduled deploy was refused at its time (the reason says why); the release stays approved.</summary>
    public DateTimeOffset? ScheduleHeldAt { get; set; }
    public string? ScheduleHeldReason { get; set; }

    public bool IsOpen => ReleaseStatuses.Open.Contains(Status);
}

/// <summary>One entity's version in one release (table entity_versions). entity_name is derived by a trigger.</summary>
public sealed class EntityVersion
{
    public long Id { get; set; }
    public Guid EntityId { get; set; }
    public required string EntityType { get; set; }
    public long ReleaseId { get; set; }
    public string? Brand { get; set; }
    public string? Jurisdiction { get; set; }
    public string? LocaleId { get; set; }
    public string? Slug { get; set; }
    public string? EntityKey { get; set; }
    public string EntityName { get; set; } = "";
    public required JsonDocument Payload { get; set; }
    public Guid? ParentEntityId { get; set; }
    public bool IsDeleted { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public Guid? UpdatedBy { get; set; }
    public string? UpdatedByEmail { get; set; }
}

internal sealed class ReleaseConfiguration : IEntityTypeConfiguration<Release>
{
    public void Configure(EntityTypeBuilder<Release> b)
    {
        b.ToTable("releases");
        b.HasKey(x => x.Id).HasName("releases_pkey");
        b.Property(x => x.Id).UseIdentityAlwaysColumn();
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.Property(x => x.UpdatedAt).HasDefaultValueSql("now()");
        b.Ignore(x => x.IsOpen);
    }
}

internal sealed class EntityVersionConfiguration : IEntityTypeConfiguration<EntityVersion>
{
    public void Configure(EntityTypeBuilder<EntityVersion> b)
    {
        b.ToTable("entity_versions");
        b.HasKey(x => x.Id).HasName("entity_versions_pkey");
        b.Property(x => x.Id).UseIdentityAlwaysColumn();
        b.Property(x => x.Payload).HasColumnType("jsonb");
        b.Property(x => x.CreatedAt).HasDefaultValueSql("now()");
        b.Property(x => x.UpdatedAt).HasDefaultValueSql("now()");
    }
}
