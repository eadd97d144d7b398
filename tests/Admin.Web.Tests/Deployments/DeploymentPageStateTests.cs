using Admin.Data.Deployments;
using Admin.Web.Features.Deployments;

namespace Admin.Web.Tests.Deployments;

/// <summary>The deployments pages' plain state: the filter in the address, the dashboard's range, the figures' wording, the scope form.</summary>
public sealed class DeploymentPageStateTests
{
    private static readonly DateTimeOffset Nov1 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_filter_goes_into_the_address_and_comes_back_the_same()
    {
        var filter = new DeploymentFilter(Nov1, Nov1.AddDays(30), "production", "shop api", DeploymentStatuses.Failed, "abc 123");

        var uri = DeploymentFilterQuery.ToUri("/deployments", filter);

        Assert.Equal("/deployments?environment=production&service=shop%20api&status=failed&q=abc%20123&from=2026-11-01&to=2026-11-30", uri);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(new Uri("http://x" + uri).Query);
        var back = DeploymentFilterQuery.FromQuery(query["environment"], query["service"], query["status"], query["q"], query["from"], query["to"]);
        Assert.Equal(filter, back);
    }

    [Fact]
    public void An_empty_filter_is_the_bare_path_and_nonsense_in_the_address_is_ignored()
    {
        Assert.Equal("/deployments", DeploymentFilterQuery.ToUri("/deployments", new DeploymentFilter()));
        Assert.Equal(new DeploymentFilter(), DeploymentFilterQuery.FromQuery(" ", null, "exploded", "  ", "yesterday", "2026-13-45"));
    }

    [Fact]
    public void The_dashboard_always_has_a_range_of_thirty_days_ending_tomorrow_unless_given()
    {
        var state = new MetricsState(null!, () => new DateTimeOffset(2026, 12, 5, 15, 0, 0, TimeSpan.Zero));

        var open = state.Complete(new DeploymentFilter());
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero), open.To);
        Assert.Equal(new DateTimeOffset(2026, 11, 6, 0, 0, 0, TimeSpan.Zero), open.From);

        var ended = state.Complete(new DeploymentFilter(To: Nov1));
        Assert.Equal(Nov1.AddDays(-30), ended.From);
    }

    [Theory]
    [InlineData(null, "—")]
    [InlineData(42.0, "42 s")]
    [InlineData(600.0, "10 min")]
    [InlineData(9000.0, "2.5 h")]
    [InlineData(259200.0, "3 d")]
    public void Durations_read_in_the_unit_that_fits(double? seconds, string text) =>
        Assert.Equal(text, MetricsState.Duration(seconds));

    [Fact]
    public void The_scope_form_ticks_environments_once_and_every_environment_wins()
    {
        var form = TokenScopeForm.From(new TokenScope(["web"], ["staging"]));
        form.Set("production", true);
        form.Set("production", true);
        form.Set("staging", false);
        Assert.Equal(["production"], form.Environments);
        Assert.Equal(["production"], form.ToScope().Environments);

        form.AllEnvironments = true;
        Assert.Equal([TokenScope.All], form.ToScope().Environments);
    }

    [Fact]
    public void Ages_are_short_until_a_day_then_a_date()
    {
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal("just now", DeploymentListState.Ago(now.AddSeconds(-20), now));
        Assert.Equal("5 min ago", DeploymentListState.Ago(now.AddMinutes(-5), now));
        Assert.Equal("3 h ago", DeploymentListState.Ago(now.AddHours(-3), now));
        Assert.Equal("2026-12-03 12:00 UTC", DeploymentListState.Ago(now.AddDays(-2), now));
    }
}
