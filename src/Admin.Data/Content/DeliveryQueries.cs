using Npgsql;

namespace Admin.Data.Content;

/// <summary>
/// The public delivery API's reads. They run without a user's session context: content_published_homepage answers
/// only published sections, and the locales table is reference data every role reads.
/// </summary>
public sealed class DeliveryQueries(NpgsqlDataSource database)
{
    /// <summary>A locale's published homepage as the storefront receives it: a JSON array of sections, in order.</summary>
    public async Task<string> PublishedHomepageJsonAsync(string locale, CancellationToken ct = default)
    {
        await using var command = database.CreateCommand("SELECT content_published_homepage($1)::text");
        command.Parameters.Add(new NpgsqlParameter { Value = locale });
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Every locale code there is, active or not.</summary>
    public async Task<IReadOnlyList<string>> LocaleCodesAsync(CancellationToken ct = default)
    {
        var codes = new List<string>();
        await using var command = database.CreateCommand("SELECT code FROM locales");
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) codes.Add(reader.GetString(0));
        return codes;
    }
}
