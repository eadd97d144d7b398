using Microsoft.JSInterop;

namespace Admin.Web.Components.Layout;

/// <summary>
/// Light or dark, for one page or circuit. The choice lives in a cookie so the server renders it in the first paint
/// (App.razor reads it and hands it to Routes as a parameter, which also carries it into the circuit); the header's
/// toggle changes it here and writes the cookie through the browser.
/// </summary>
public sealed class ThemePreference(IJSRuntime js)
{
    public const string Cookie = "admin.theme";
    public const string DarkValue = "dark";
    public const string LightValue = "light";

    public bool IsDark { get; private set; }

    public event Action? Changed;

    /// <summary>Reads the cookie's value; <c>material-dark</c>, the value the console wrote before MudBlazor, still means dark.</summary>
    public static bool IsDarkCookie(string? value) => value is DarkValue or "material-dark";

    public void Initialize(bool dark) => IsDark = dark;

    public async Task SetAsync(bool dark)
    {
        if (dark == IsDark) return;
        IsDark = dark;
        Changed?.Invoke();
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", "./js/theme.js");
            await module.InvokeVoidAsync("remember", Cookie, dark ? DarkValue : LightValue);
        }
        catch (JSDisconnectedException)
        {
            // The page closed while the cookie was being written: the next visit shows the previous choice.
        }
    }
}
