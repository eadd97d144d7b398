using Admin.Web.Features.Releases;

namespace Admin.Web.Tests.Releases;

public sealed class ScheduleCountdownTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.4, "in 0:01")] // a part of a second left still shows a second, never "0:00" before it is due
    [InlineData(65, "in 1:05")]
    [InlineData(3_600 + 62, "in 1:01:02")]
    [InlineData(2 * 86_400 + 3 * 3_600 + 4 * 60 + 5, "in 2 d 03:04:05")]
    [InlineData(0, "due now")]
    [InlineData(-3, "due now")]
    public void Counts_down_in_whole_seconds_and_says_due_once_the_time_has_come(double secondsLeft, string expected) =>
        Assert.Equal(expected, ScheduleCountdown.Text(Now.AddSeconds(secondsLeft), Now));
}
