using Admin.Data.Account;
using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;

namespace Admin.Data.Tests.Infrastructure;

/// <summary>
/// The schema is written in SQL and the EF models only map it, so nothing but this test notices when the two drift
/// apart (a renamed column, a property added without a migration, a type or NOT NULL that differs, a key or index
/// that the naming convention names differently from the SQL).
/// </summary>
public sealed class ModelSchemaAgreementTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private sealed record Column(string Table, string Name, string StoreType, bool IsNullable)
    {
        public override string ToString() => $"{Table}.{Name} {StoreType}{(IsNullable ? "" : " NOT NULL")}";
    }

    public static TheoryData<string> Contexts => [nameof(AdminDbContext), nameof(AccountDbContext)];

    [Theory]
    [MemberData(nameof(Contexts))]
    public async Task Every_mapped_column_exists_with_the_same_type_and_nullability(string contextName)
    {
        await using var context = CreateContext(contextName);
        var mapped = context.Model.GetRelationalModel().Tables
            .SelectMany(t => t.Columns.Select(c => new Column(t.Name, c.Name, c.StoreType, c.IsNullable)))
            .ToList();
        Assert.NotEmpty(mapped);

        var actual = await SchemaColumnsAsync();

        var missing = mapped.Where(c => !actual.ContainsKey((c.Table, c.Name))).ToList();
        Assert.True(missing.Count == 0, $"Mapped but not in the schema: {string.Join(", ", missing)}");
        var different = mapped.Where(c => actual[(c.Table, c.Name)] != c).Select(c => $"model {c} / schema {actual[(c.Table, c.Name)]}").ToList();
        Assert.True(different.Count == 0, $"Model and schema disagree: {string.Join("; ", different)}");
    }

    private sealed record Constraint(string Kind, string Table, string Name, string Columns, string Detail)
    {
        public override string ToString() => $"{Kind} {Table}.{Name} ({Columns}){(Detail.Length > 0 ? " " + Detail : "")}";
    }

    /// <summary>
    /// Names come from the naming convention (EFCore.NamingConventions) or are given where the schema's differ. A name
    /// the model makes up would surface in EF's messages and in any script generated from the model.
    /// </summary>
    [Theory]
    [MemberData(nameof(Contexts))]
    public async Task Every_mapped_key_foreign_key_and_index_exists_with_the_same_name_and_columns(string contextName)
    {
        await using var context = CreateContext(contextName);
        var mapped = new List<Constraint>();
        foreach (var table in context.Model.GetRelationalModel().Tables)
        {
            if (table.PrimaryKey is { } primaryKey)
                mapped.Add(new("primary key", table.Name, primaryKey.Name, Names(primaryKey.Columns), ""));
            mapped.AddRange(table.UniqueConstraints.Where(u => !u.GetIsPrimaryKey())
                .Select(u => new Constraint("unique", table.Name, u.Name, Names(u.Columns), "")));
            mapped.AddRange(table.ForeignKeyConstraints
                .Select(f => new Constraint("foreign key", table.Name, f.Name, Names(f.Columns), "references " + f.PrincipalTable.Name)));
            mapped.AddRange(table.Indexes
                .Select(i => new Constraint("index", table.Name, i.Name, Names(i.Columns), i.IsUnique ? "unique" : "")));
        }
        Assert.NotEmpty(mapped);

        var actual = await SchemaConstraintsAsync();

        var missing = mapped.Where(c => !actual.Contains(c)).Select(c =>
        {
            var schemaNames = actual.Where(a => a.Kind == c.Kind && a.Table == c.Table && a.Columns == c.Columns).Select(a => a.Name).ToList();
            return schemaNames.Count == 0 ? c.ToString() : $"{c}, which the schema names {string.Join(" / ", schemaNames)}";
        }).ToList();
        Assert.True(missing.Count == 0,
            $"Mapped but not in the schema (give the schema's name with HasName/HasDatabaseName/HasConstraintName): {string.Join("; ", missing)}");
    }

    private static string Names(IEnumerable<IColumn> columns) => string.Join(",", columns.Select(c => c.Name));

    private DbContext CreateContext(string name) => name switch
    {
        nameof(AdminDbContext) => fixture.Database.CreateAppContext(),
        nameof(AccountDbContext) => new AccountDbContext(new DbContextOptionsBuilder<AccountDbContext>().UseNpgsql(fixture.Database.AppConnectionString).Options),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private async Task<Dictionary<(string, string), Column>> SchemaColumnsAsync()
    {
        await using var connection = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("""
            SELECT c.table_name::text, c.column_name::text, format_type(a.atttypid, a.atttypmod), c.is_nullable = 'YES'
            FROM information_schema.columns c
            JOIN pg_attribute a ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
            WHERE c.table_schema = current_schema()
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new Dictionary<(string, string), Column>();
        while (await reader.ReadAsync())
        {
            var column = new Column(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3));
            columns[(column.Table, column.Name)] = column;
        }
        return columns;
    }

    private async Task<HashSet<Constraint>> SchemaConstraintsAsync()
    {
        await using var connection = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        await using var command = new NpgsqlCommand("""
            SELECT CASE c.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' ELSE 'foreign key' END,
                   t.relname::text, c.conname::text,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                                         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord), ','),
                   CASE WHEN c.contype = 'f' THEN 'references ' || (SELECT p.relname::text FROM pg_class p WHERE p.oid = c.confrelid) ELSE '' END
            FROM pg_constraint c
            JOIN pg_class t ON t.oid = c.conrelid
            WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f')
            UNION ALL
            SELECT 'index', t.relname::text, x.relname::text,
                   array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord), ','),
                   CASE WHEN i.indisunique THEN 'unique' ELSE '' END
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_class x ON x.oid = i.indexrelid
            WHERE t.relnamespace = current_schema()::regnamespace
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var constraints = new HashSet<Constraint>();
        while (await reader.ReadAsync())
            constraints.Add(new Constraint(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
        return constraints;
    }
}
