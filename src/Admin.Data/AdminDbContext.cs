using Admin.Data.Audit;
using Admin.Data.Content;
using Admin.Data.Migrations;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Admin.Data;

/// <summary>The console's own tables. The schema itself is SQL-first (Migrations/Sql); this model only maps it.</summary>
public class AdminDbContext(DbContextOptions<AdminDbContext> options) : DbContext(options)
{
    public DbSet<Locale> Locales => Set<Locale>();
    public DbSet<Brand> Brands => Set<Brand>();
    public DbSet<Jurisdiction> Jurisdictions => Set<Jurisdiction>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<HomepageSection> HomepageSections => Set<HomepageSection>();
    public DbSet<SectionVersion> SectionVersions => Set<SectionVersion>();
    public DbSet<SectionSchedule> SectionSchedules => Set<SectionSchedule>();
    public DbSet<Product> Products => Set<Product>();
    public DbSet<Category> Categories => Set<Category>();
    public DbSet<SectionProduct> SectionProducts => Set<SectionProduct>();
    public DbSet<SectionCategory> SectionCategories => Set<SectionCategory>();
    public DbSet<Release> Releases => Set<Release>();
    public DbSet<EntityVersion> EntityVersions => Set<EntityVersion>();

    /// <summary>
    /// snake_case names for everything mapped (EFCore.NamingConventions), whoever builds the options: the app, the
    /// migrator, the schedule worker, tests and benchmarks. Keys and indexes whose SQL names differ from the
    /// convention's (PostgreSQL's own <c>*_pkey</c>, named constraints) are named in their entity configurations.
    /// The convention also names the columns of raw SQL results (<c>Database.SqlQuery&lt;T&gt;</c>): a property
    /// <c>DisplayOrder</c> is read from a column <c>display_order</c>. The migrations history keeps its own names.
    /// </summary>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) =>
        optionsBuilder.UseSnakeCaseNamingConvention().ReplaceService<IHistoryRepository, MigrationsHistory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AdminDbContext).Assembly);
}
