using Admin.Data;
using MudBlazor;

namespace Admin.Web.Components.Shared;

/// <summary>
/// The one way a page tells the user how an action went: "done" messages fade, "refused" ones (the database or a rule
/// said no) stay until closed, since they usually carry a reason the user has to act on.
/// </summary>
public sealed class Notify(ISnackbar snackbar)
{
    public void Done(string message) => snackbar.Add(message, Severity.Success);

    public void Info(string message) => snackbar.Add(message, Severity.Info);

    public void Refused(string message) =>
        snackbar.Add(message, Severity.Error, o => o.RequireInteraction = true);

    /// <summary>
    /// Runs an action; a refusal (<see cref="UserFacingException"/>, whose message is written for the user) shows as a
    /// "refused" message instead of breaking the page. Returns whether the action went through.
    /// </summary>
    public async Task<bool> RunAsync(Func<Task> action, string? success)
    {
        try
        {
            await action();
            if (success is not null) Done(success);
            return true;
        }
        catch (UserFacingException ex)
        {
            Refused(ex.Message);
            return false;
        }
    }
}
