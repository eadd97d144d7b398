using Admin.TestSupport;
using Admin.Web.Features.Account;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Admin.Data.Tests.Infrastructure;

/// <summary>
/// The schema is written in SQL and the EF models only map it, so nothing but this test notices when the two drift
/// apart (a renamed column, a property added without a migration, a type or NOT NULL that differs).
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
}
