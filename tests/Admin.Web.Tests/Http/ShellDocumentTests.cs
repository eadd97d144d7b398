using System.Net;
using Admin.TestSupport;
using Microsoft.Extensions.Options;

namespace Admin.Web.Tests.Http;

/// <summary>The document every page is served in (App.razor): .NET 10's client, started with the reconnection schedule.</summary>
public sealed class ShellDocumentTests(ShellDocumentTests.Fixture app) : IClassFixture<ShellDocumentTests.Fixture>
{
    public sealed class Fixture : WebAppFixture
    {
        protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
        {
            ["Reconnect:RetryIntervalSeconds"] = "3",
            ["Reconnect:MaxRetries"] = "7",
        };
    }

    [Fact]
    public async Task Every_page_starts_blazor_with_the_configured_reconnection_schedule_and_has_the_reconnect_dialog()
    {
        using var client = app.Anonymous();
        // The static sign-in page too: it is the same document.
        var html = WebUtility.HtmlDecode(await client.GetStringAsync("/Account/Login"));

        Assert.Matches("<script src=\"_framework/blazor\\.web\\.[a-z0-9]+\\.js\" autostart=\"false\"></script>", html);
        Assert.Contains("maxRetries: 7,", html);
        Assert.Contains("previousAttempts => previousAttempts === 0 ? 0 : 3000,", html);
        Assert.Matches("<dialog id=\"components-reconnect-modal\"[^>]*aria-labelledby=\"reconnect-title\"", html);
        Assert.Contains("No answer for 18 seconds.", html);
        Assert.Matches("<script type=\"module\" src=\"Components/Layout/ReconnectModal\\.[a-z0-9]+\\.razor\\.js\"", html);
        Assert.Matches("<link rel=\"stylesheet\" href=\"Admin\\.Web\\.[a-z0-9]+\\.styles\\.css\" />", html);
    }

    [Theory]
    [InlineData("Reconnect:RetryIntervalSeconds", "0")]
    [InlineData("Reconnect:MaxRetries", "0")]
    public async Task The_app_refuses_to_start_with_a_reconnection_schedule_that_cannot_work(string key, string value)
    {
        await using var broken = new AdminAppFactory(app.Database, demoSeed: false, new Dictionary<string, string?> { [key] = value });
        var refused = Assert.Throws<OptionsValidationException>(() => broken.Server);
        Assert.Contains(key, refused.Message);
    }
}
