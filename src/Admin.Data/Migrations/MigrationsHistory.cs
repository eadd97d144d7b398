using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Migrations.Internal;

namespace Admin.Data.Migrations;

#pragma warning disable EF1001 // Npgsql's history repository is internal API; deriving from it is EF's documented way to configure the table.
/// <summary>
/// EF's migrations history table keeps the names every existing database has ("MigrationId", "ProductVersion",
/// "PK___EFMigrationsHistory"). The snake-case naming convention would rename its columns as well
/// (EFCore.NamingConventions issue #1), and EF would then look for columns that are not there.
/// </summary>
internal sealed class MigrationsHistory(HistoryRepositoryDependencies dependencies) : NpgsqlHistoryRepository(dependencies)
{
    protected override void ConfigureTable(EntityTypeBuilder<HistoryRow> history)
    {
        base.ConfigureTable(history);
        history.HasKey(h => h.MigrationId).HasName("PK___EFMigrationsHistory");
        history.Property(h => h.MigrationId).HasColumnName("MigrationId");
        history.Property(h => h.ProductVersion).HasColumnName("ProductVersion");
    }
}
#pragma warning restore EF1001
