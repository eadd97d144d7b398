using Npgsql;

namespace Admin.Data.Reference;

/// <summary>The demo reference rows (locales, brands, jurisdictions). Inserted as the schema owner; existing rows are kept.</summary>
public static class ReferenceData
{
    public static readonly IReadOnlyList<Locale> Locales =
    [
        new() { Code = "en-GB", Name = "English (United Kingdom)" },
        new() { Code = "en-US", Name = "English (United States)" },
        new() { Code = "de-DE", Name = "German (Germany)" },
        new() { Code = "fr-FR", Name = "French (France)" },
        new() { Code = "es-ES", Name = "Spanish (Spain)" },
        new() { Code = "nl-NL", Name = "Dutch (Netherlands)" },
    ];

    public static readonly IReadOnlyList<Brand> Brands =
    [
        new() { Slug = "acme", Name = "Acme" },
        new() { Slug = "globex", Name = "Globex" },
        new() { Slug = "initech", Name = "Initech" },
    ];

    public static readonly IReadOnlyList<Jurisdiction> Jurisdictions =
    [
        new() { Code = "UK", Name = "United Kingdom" },
        new() { Code = "DE", Name = "Germany" },
        new() { Code = "FR", Name = "France" },
        new() { Code = "ES", Name = "Spain" },
        new() { Code = "NL", Name = "Netherlands" },
        new() { Code = "US-NJ", Name = "United States (New Jersey)" },
    ];

    public static async Task SeedAsync(NpgsqlConnection ownerConnection, CancellationToken ct = default)
    {
        var batch = new NpgsqlBatch(ownerConnection);
        foreach (var l in Locales)
            batch.BatchCommands.Add(Upsert("locales", "code", l.Code, l.Name));
        foreach (var b in Brands)
            batch.BatchCommands.Add(Upsert("brands", "slug", b.Slug, b.Name));
        foreach (var j in Jurisdictions)
            batch.BatchCommands.Add(Upsert("jurisdictions", "code", j.Code, j.Name));
        await batch.ExecuteNonQueryAsync(ct);
    }

    private static NpgsqlBatchCommand Upsert(string table, string keyColumn, string key, string name)
    {
        var command = new NpgsqlBatchCommand($"INSERT INTO {table} ({keyColumn}, name) VALUES ($1, $2) ON CONFLICT ({keyColumn}) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        return command;
    }
}
