using Admin.Web.Features.Content.Delivery;

namespace Admin.Web.Tests.Content;

public sealed class LocaleFallbackTests
{
    [Fact]
    public void Candidates_follow_the_configured_entries_then_the_language_and_stop_at_a_cycle()
    {
        var fallback = new LocaleFallback(new Dictionary<string, string> { ["en-ie"] = "EN-gb", ["en"] = "en-GB", ["pt"] = "pt-PT", ["pt-PT"] = "pt" });

        Assert.Equal(["en-IE", "en-GB", "en"], fallback.Candidates("en-IE"));
        Assert.Equal(["en-AU", "en", "en-GB"], fallback.Candidates("en-AU"));
        Assert.Equal(["pt-BR", "pt", "pt-PT"], fallback.Candidates("pt-BR"));
        Assert.Equal(["xx"], fallback.Candidates("xx"));
    }

    [Theory]
    [InlineData("english", "en-GB", "'english'")]
    [InlineData("en", "en_GB", "'en_GB'")]
    public void A_malformed_entry_is_refused_with_the_entry_named(string from, string to, string named)
    {
        var e = Assert.Throws<ArgumentException>(() => new LocaleFallback(new Dictionary<string, string> { [from] = to }));
        Assert.Contains(named, e.Message);
        Assert.Contains("Content:Delivery:Fallbacks", e.Message);
    }
}
