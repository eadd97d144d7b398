using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Admin.Data.Infrastructure;

/// <summary>
/// Streams rows to a response as CSV or a JSON array while they are read: memory stays flat whatever the count, and
/// the client gets the first rows at once (a flush every 500 rows).
/// </summary>
public static class ExportWriter
{
    private const int FlushEvery = 500;

    public static async Task<long> CsvAsync<T>(Stream output, IReadOnlyList<string> header, IAsyncEnumerable<T> rows,
        Func<T, IEnumerable<string?>> fields, CancellationToken ct = default)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true);
        await writer.WriteAsync(string.Join(',', header) + "\n");
        long written = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            await writer.WriteAsync(string.Join(',', fields(row).Select(Csv)) + "\n");
            if (++written % FlushEvery == 0) await writer.FlushAsync(ct);
        }
        await writer.FlushAsync(ct);
        return written;
    }

    public static async Task<long> JsonAsync<T>(Stream output, IAsyncEnumerable<T> rows, Action<Utf8JsonWriter, T> write, CancellationToken ct = default)
    {
        await using var json = new Utf8JsonWriter(output);
        json.WriteStartArray();
        long written = 0;
        await foreach (var row in rows.WithCancellation(ct))
        {
            write(json, row);
            if (++written % FlushEvery == 0) await json.FlushAsync(ct);
        }
        json.WriteEndArray();
        await json.FlushAsync(ct);
        return written;
    }

    /// <summary>
    /// A CSV field: quoted when needed; a field that starts with a character a spreadsheet evaluates (=, +, -, @, and
    /// tab or carriage return, which some spreadsheets skip before looking for one) is prefixed with ' so it stays text.
    /// </summary>
    public static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    public static string Time(DateTimeOffset? at) => at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) ?? "";
}
