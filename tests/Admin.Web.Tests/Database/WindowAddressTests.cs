using Admin.Data.Database;
using Admin.Web.Features.Database;
using Microsoft.Extensions.Time.Testing;

namespace Admin.Web.Tests.Database;

/// <summary>The windows of the Database pages as written in the address: presets, fixed ranges, comparisons, bad values.</summary>
public sealed class WindowAddressTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 20, 36, 12, 345, TimeSpan.Zero);
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("live", null, null)]
    [InlineData("1h", "2026-12-05T19:36:12Z", "2026-12-05T20:36:12Z")]
    [InlineData("24h", "2026-12-04T20:36:12Z", "2026-12-05T20:36:12Z")]
    [InlineData("7d", "2026-11-28T20:36:12Z", "2026-12-05T20:36:12Z")]
    [InlineData("2026-12-04T02:00Z/2026-12-04T03:00Z", "2026-12-04T02:00:00Z", "2026-12-04T03:00:00Z")]
    [InlineData("2026-12-04T02:00+01:00/2026-12-04T03:00+01:00", "2026-12-04T01:00:00Z", "2026-12-04T02:00:00Z")]
    public void A_window_value_means_the_same_minutes_for_everyone(string? value, string? from, string? to)
    {
        var (window, problem) = WindowAddress.Parse(value, Now, Berlin);

        Assert.Null(problem);
        Assert.Equal(from is null ? null : new TimeWindow(DateTimeOffset.Parse(from), DateTimeOffset.Parse(to!)), window);
    }

    [Fact]
    public void Yesterday_is_the_day_before_today_in_the_browsers_zone()
    {
        var (berlin, _) = WindowAddress.Parse("yesterday", Now, Berlin);
        var (utc, _) = WindowAddress.Parse("yesterday", new DateTimeOffset(2026, 12, 5, 23, 30, 0, TimeSpan.Zero), TimeZoneInfo.Utc);

        // 20:36 UTC is 21:36 in Berlin on 5 December: yesterday there is 4 December, 00:00–24:00 CET.
        Assert.Equal(new TimeWindow(new(2026, 12, 3, 23, 0, 0, TimeSpan.Zero), new(2026, 12, 4, 23, 0, 0, TimeSpan.Zero)), berlin);
        Assert.Equal(new TimeWindow(new(2026, 12, 4, 0, 0, 0, TimeSpan.Zero), new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero)), utc);
    }

    [Theory]
    [InlineData("2026-12-04T03:00Z/2026-12-04T02:00Z")]
    [InlineData("2026-12-04T03:00Z")]
    [InlineData("yesterday-ish")]
    [InlineData("a/b")]
    public void A_window_not_understood_falls_back_to_the_live_figures_and_says_why(string value)
    {
        var (window, problem) = WindowAddress.Parse(value, Now, TimeZoneInfo.Utc);

        Assert.Null(window);
        Assert.Contains("is not understood", problem);
        Assert.Contains("Showing the figures since the last reset", problem);
    }

    [Fact]
    public void A_fixed_range_written_to_the_address_reads_back_as_the_same_window()
    {
        var window = new TimeWindow(new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero), new(2026, 12, 4, 3, 30, 0, TimeSpan.Zero));

        var value = WindowAddress.FormatRange(window);

        Assert.Equal("2026-12-04T02:00Z/2026-12-04T03:30Z", value);
        Assert.Equal(window, WindowAddress.Parse(value, Now, Berlin).Window);
    }

    [Fact]
    public void The_comparison_window_is_the_one_before_or_the_same_a_day_or_a_week_earlier()
    {
        var after = new TimeWindow(new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero), new(2026, 12, 4, 3, 0, 0, TimeSpan.Zero));

        Assert.Equal(new TimeWindow(after.From.AddHours(-1), after.From), WindowAddress.ParseCompare("prev", after).Window);
        Assert.Equal(new TimeWindow(after.From.AddDays(-1), after.To.AddDays(-1)), WindowAddress.ParseCompare("-1d", after).Window);
        Assert.Equal(new TimeWindow(after.From.AddDays(-7), after.To.AddDays(-7)), WindowAddress.ParseCompare("-7d", after).Window);
        Assert.Equal(new TimeWindow(new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero), new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero)),
            WindowAddress.ParseCompare("2026-11-01T00:00Z/2026-11-02T00:00Z", after).Window);
        Assert.Contains("not understood", WindowAddress.ParseCompare("before", after).Problem);
    }

    [Fact]
    public void The_slow_query_state_takes_window_comparison_and_change_order_from_the_address()
    {
        var state = new SlowQueriesState(null!, new FakeTimeProvider(Now));

        state.Apply("mean", 100, null, "24h", "-7d", "meanpct", "asc", TimeZoneInfo.Utc);

        Assert.Equal(new TimeWindow(Now.AddDays(-1).AddMilliseconds(-345), Now.AddMilliseconds(-345)), state.Window);
        Assert.Equal(new TimeWindow(Now.AddDays(-8).AddMilliseconds(-345), Now.AddDays(-7).AddMilliseconds(-345)), state.Before);
        Assert.Equal((ChangeSort.MeanPercent, true), (state.Change, state.Ascending));
        Assert.Null(state.AddressProblem);
        // A header turns the current order round, another starts with the largest increase; total is the default.
        Assert.Equal(new Dictionary<string, object?> { ["change"] = "meanpct", ["dir"] = null }, state.ChangeParameters("meanpct"));
        Assert.Equal(new Dictionary<string, object?> { ["change"] = null, ["dir"] = null }, state.ChangeParameters("total"));

        state.Apply(null, null, null, null, "prev", "nonsense", null, TimeZoneInfo.Utc);
        Assert.Null(state.Window);
        Assert.Null(state.Before);
        Assert.Equal(ChangeSort.Total, state.Change);
        Assert.Contains("needs a window", state.AddressProblem);
    }

    [Fact]
    public void A_custom_window_typed_in_the_browsers_zone_becomes_utc_and_bad_input_says_what_is_wrong()
    {
        static (DateTimeOffset?, string?) Berlin(DateTime local) => (new DateTimeOffset(local, TimeSpan.FromHours(1)).ToUniversalTime(), null);

        Assert.Equal(new TimeWindow(new(2026, 12, 4, 1, 0, 0, TimeSpan.Zero), new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero)),
            WindowAddress.FromLocal("2026-12-04T02:00", "2026-12-04T03:00", Berlin).Window);
        Assert.Equal("Enter when the window starts (date and time).", WindowAddress.FromLocal("", "2026-12-04T03:00", Berlin).Problem);
        Assert.Equal("Enter when the window ends (date and time).", WindowAddress.FromLocal("2026-12-04T02:00", "soon", Berlin).Problem);
        Assert.Equal("The window must end after it starts.", WindowAddress.FromLocal("2026-12-04T03:00", "2026-12-04T02:00", Berlin).Problem);
    }

    [Fact]
    public void The_coverage_note_says_when_the_window_reaches_outside_the_samples()
    {
        var first = new DateTimeOffset(2026, 12, 5, 14, 32, 0, TimeSpan.Zero);
        var last = new DateTimeOffset(2026, 12, 5, 20, 35, 0, TimeSpan.Zero);
        static string Format(DateTimeOffset t) => t.ToString("HH:mm");
        var day = new TimeWindow(Now.AddDays(-1), Now);

        Assert.Equal("Sampled from 14:32; no samples before.",
            WindowAddress.CoverageNote(new SamplerCoverage(first, last, 360), day, TimeSpan.FromMinutes(1), Format));
        Assert.Null(WindowAddress.CoverageNote(new SamplerCoverage(first, last, 60), new TimeWindow(Now.AddHours(-1), Now), TimeSpan.FromMinutes(1), Format));
        Assert.Equal("No samples in this window: the sampler has samples from 14:32 to 20:35.",
            WindowAddress.CoverageNote(new SamplerCoverage(first, last, 0), new TimeWindow(first.AddDays(-3), first.AddDays(-2)), TimeSpan.FromMinutes(1), Format));
        Assert.Equal("Last sample 20:35; nothing after.",
            WindowAddress.CoverageNote(new SamplerCoverage(first, last, 5), new TimeWindow(last.AddMinutes(-30), last.AddHours(2)), TimeSpan.FromMinutes(1), Format));
        Assert.Contains("no samples of this target yet", WindowAddress.CoverageNote(new SamplerCoverage(null, null, 0), day, TimeSpan.FromMinutes(1), Format));
    }
}
