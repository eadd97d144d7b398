using System.Text;
using Admin.Data.Infrastructure;

namespace Admin.Data.Tests.Infrastructure;

/// <summary>CSV fields a spreadsheet would evaluate stay text; quoting keeps commas, quotes and line breaks in their field.</summary>
public sealed class ExportWriterTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil\")", "\"'=HYPERLINK(\"\"http://evil\"\")\"")]
    [InlineData("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1:A2)", "'@SUM(A1:A2)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("", "")]
    public void Fields_a_spreadsheet_would_evaluate_are_neutralised(string value, string field) =>
        Assert.Equal(field, ExportWriter.Csv(value));

    [Fact]
    public async Task Every_row_is_written_with_neutralised_fields()
    {
        using var output = new MemoryStream();
        var written = await ExportWriter.CsvAsync(output, ["who", "what"], Rows(), r => [r.Who, r.What]);

        Assert.Equal(2, written);
        Assert.Equal("who,what\n'@admin,'=1+1\nplain,'\tx\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    private static async IAsyncEnumerable<(string Who, string What)> Rows()
    {
        yield return ("@admin", "=1+1");
        await Task.Yield();
        yield return ("plain", "\tx");
    }
}
