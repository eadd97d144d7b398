namespace Admin.Web.Components;

/// <summary>
/// The "Reconnect" configuration section: how the browser tries to get a lost circuit back (blazor.web.js's
/// reconnection options, handed to <c>Blazor.start</c> in App.razor; what the user sees is ReconnectModal).
/// </summary>
public sealed class ReconnectOptions
{
    public const string Section = "Reconnect";

    /// <summary>Seconds between two attempts after the first, which is made at once (a network blip ends there).</summary>
    public int RetryIntervalSeconds { get; set; } = 5;

    /// <summary>
    /// Attempts before the dialog gives up and offers Retry and Reload. 36 × 5 s is three minutes, as long as the server
    /// keeps a disconnected circuit (after that a reconnect would be refused anyway and the page reloads).
    /// </summary>
    public int MaxRetries { get; set; } = 36;

    public int RetryIntervalMilliseconds => RetryIntervalSeconds * 1000;
}
