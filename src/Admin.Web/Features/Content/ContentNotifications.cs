using Admin.Data;
using Admin.Data.Content;
using Radzen;

namespace Admin.Web.Features.Content;

/// <summary>How the content pages tell the editor that an action worked or why it was refused.</summary>
public static class ContentNotifications
{
    /// <summary>
    /// Runs a content action; a refusal (<see cref="ContentException"/>, whose message is written for the editor) shows
    /// as an error notification instead of breaking the page. Returns whether the action went through.
    /// </summary>
    public static async Task<bool> RunAsync(this NotificationService notifications, Func<Task> action, string? success, string failureSummary = "Not done")
    {
        try
        {
            await action();
            if (success is not null) notifications.Success(success);
            return true;
        }
        catch (UserFacingException ex)
        {
            notifications.Refused(ex.Message, failureSummary);
            return false;
        }
    }

    public static void Success(this NotificationService notifications, string message) =>
        notifications.Notify(new NotificationMessage { Severity = NotificationSeverity.Success, Summary = message, Duration = 4000 });

    public static void Refused(this NotificationService notifications, string message, string summary = "Not saved") =>
        notifications.Notify(new NotificationMessage { Severity = NotificationSeverity.Error, Summary = summary, Detail = message, Duration = 10000 });
}
