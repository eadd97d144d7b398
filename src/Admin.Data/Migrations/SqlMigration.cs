using System.Reflection;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Admin.Data.Migrations;

/// <summary>
/// A migration whose body is the embedded file Migrations/Sql/{id}.sql. The schema is written in SQL (tables,
/// partitions, functions, grants) and EF Core's migrator only orders, applies and records it. Migrations are
/// forward-only: a mistake is fixed by a new file, never by editing one that has shipped.
/// </summary>
public abstract class SqlMigration : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.Sql(ReadSql(Id));

    protected override void Down(MigrationBuilder migrationBuilder) =>
        throw new NotSupportedException("Migrations are forward-only; write a new migration instead.");

    private string Id => GetType().GetCustomAttribute<MigrationAttribute>()?.Id
        ?? throw new InvalidOperationException($"{GetType().Name} has no [Migration] attribute.");

    public static string ReadSql(string migrationId)
    {
        var name = $"Admin.Data.Migrations.{migrationId}.sql";
        using var stream = typeof(SqlMigration).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded SQL '{name}' is missing: add Migrations/Sql/{migrationId}.sql.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
