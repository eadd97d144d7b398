using MudBlazor;

namespace Admin.Web.Components.Shared;

/// <summary>The one confirmation question: a typed dialog (<see cref="ConfirmDialog"/>) that answers yes or no.</summary>
public sealed class Confirm(IDialogService dialogs)
{
    /// <summary>
    /// True only when the user pressed <paramref name="yes"/>; closing the dialog, Escape or Cancel is a no.
    /// <paramref name="danger"/> colours the button for actions that cannot be undone; <paramref name="no"/> names the
    /// button that answers no.
    /// </summary>
    public async Task<bool> AskAsync(string title, string message, string yes = "Yes", bool danger = false, string no = "Cancel")
    {
        var parameters = new DialogParameters<ConfirmDialog>
        {
            { d => d.Message, message },
            { d => d.YesText, yes },
            { d => d.NoText, no },
            { d => d.Danger, danger },
        };
        return await dialogs.ShowForResultAsync<ConfirmDialog, bool>(title, parameters) is true;
    }
}
