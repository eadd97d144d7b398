using Admin.Data.Audit;
using Admin.Data.Infrastructure;
using Admin.Data.Reference;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data;

/// <summary>The console's own tables. The schema itself is SQL-first (Migrations/Sql); this model only maps it.</summary>
public class AdminDbContext(DbContextOptions<AdminDbContext> options) : DbContext(options)
{
    public DbSet<Locale> Locales => Set<Locale>();
    public DbSet<Brand> Brands => Set<Brand>();
    public DbSet<Jurisdiction> Jurisdictions => Set<Jurisdiction>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(AdminDbContext).Assembly);
        modelBuilder.UseSnakeCaseNames();
    }
}
