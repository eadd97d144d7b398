namespace Admin.Web.Features.Releases;

/// <summary>The time left until a scheduled deploy, as the release page counts it down.</summary>
public static class ScheduleCountdown
{
    /// <summary>"in 2 d 03:04:05", "in 1:02:03", "in 4:05"; "due now" once the time has come (the scheduler takes seconds).</summary>
    public static string Text(DateTimeOffset at, DateTimeOffset now)
    {
        var left = TimeSpan.FromSeconds(Math.Ceiling((at - now).TotalSeconds));
        if (left <= TimeSpan.Zero) return "due now";
        var clock = left.Days > 0 ? $"{left.Days} d {left:hh\\:mm\\:ss}" : left.Hours > 0 ? $"{left:h\\:mm\\:ss}" : $"{left:m\\:ss}";
        return "in " + clock;
    }
}
