using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Admin.Data.Account;

/// <summary>
/// Identity's stores over the users, roles, user_* and role_claims tables (Identity's EF package needs the ASP.NET Core
/// shared framework: Admin.Data references it). The tables themselves are created by the SQL migrations, never here.
/// </summary>
public sealed class AccountDbContext(DbContextOptions<AccountDbContext> options)
    : IdentityDbContext<AppUser, AppRole, Guid>(options)
{
    /// <summary>snake_case names (EFCore.NamingConventions), as AdminDbContext, whoever builds the options.</summary>
    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder) => optionsBuilder.UseSnakeCaseNamingConvention();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        // Plain table names: DBAs read these in pg_stat_user_tables next to the rest of the schema.
        builder.Entity<AppUser>(b =>
        {
            b.ToTable("users");
            b.Property(u => u.DisplayName).HasMaxLength(200);
            // Identity names these indexes itself (UserNameIndex, EmailIndex, RoleNameIndex), and the naming
            // convention leaves explicit names alone: the schema's names are given here.
            b.HasIndex(u => u.NormalizedUserName).HasDatabaseName("user_name_index");
            b.HasIndex(u => u.NormalizedEmail).HasDatabaseName("email_index");
        });
        builder.Entity<AppRole>(b =>
        {
            b.ToTable("roles");
            b.HasIndex(r => r.NormalizedName).HasDatabaseName("role_name_index");
        });
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<Microsoft.AspNetCore.Identity.IdentityRoleClaim<Guid>>().ToTable("role_claims");
    }
}
