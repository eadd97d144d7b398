using MudBlazor;

namespace Admin.Web.Components.Shared;

/// <summary>Typed dialogs: parameters named by expression (<see cref="DialogParameters{T}"/>), results read as their type.</summary>
public static class DialogExtensions
{
    public static readonly DialogOptions Defaults = new()
    {
        CloseOnEscapeKey = true,
        CloseButton = true,
        MaxWidth = MaxWidth.Small,
        FullWidth = true,
    };

    /// <summary>
    /// Shows <typeparamref name="TDialog"/> and waits for it: the value it closed with, or default when it was cancelled
    /// (Cancel, Escape, the close button) or closed with something that is not a <typeparamref name="TResult"/>.
    /// </summary>
    public static async Task<TResult?> ShowForResultAsync<TDialog, TResult>(this IDialogService dialogs, string title,
        DialogParameters<TDialog> parameters, DialogOptions? options = null) where TDialog : Microsoft.AspNetCore.Components.IComponent
    {
        var reference = await dialogs.ShowAsync<TDialog>(title, parameters, options ?? Defaults);
        var result = await reference.Result;
        return result is { Canceled: false, Data: TResult value } ? value : default;
    }
}
