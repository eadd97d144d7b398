using Admin.Data;
using Admin.Web.Components.Shared;

namespace Admin.Web.Features.Content;

/// <summary>How the content pages tell the editor that an action worked or why it was refused.</summary>
public static class ContentNotifications
{
    /// <summary>
    /// Runs a content action; a refusal (<see cref="UserFacingException"/>, whose message is written for the editor)
    /// shows as a "refused" message instead of breaking the page. Returns whether the action went through.
    /// </summary>
    public static async Task<bool> RunAsync(this Notify notify, Func<Task> action, string? success)
    {
        try
        {
            await action();
            if (success is not null) notify.Done(success);
            return true;
        }
        catch (UserFacingException ex)
        {
            notify.Refused(ex.Message);
            return false;
        }
    }
}
