using Admin.Web.Infrastructure;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;

namespace Admin.Web.Components.Shared;

/// <summary>
/// Catches an exception thrown by a page inside a live circuit, logs it under a short error id, and lets the layout
/// show that id instead of Blazor's bare "An unhandled error has occurred" bar.
/// </summary>
public sealed class PageErrorBoundary : ErrorBoundary
{
    [Inject] private ILogger<PageErrorBoundary> Logger { get; set; } = default!;
    [Inject] private CircuitUserState Circuit { get; set; } = default!;

    public string? ErrorId { get; private set; }

    protected override Task OnErrorAsync(Exception exception)
    {
        ErrorId = "err_" + Guid.NewGuid().ToString("N")[..12];
        Logger.LogError(exception, "Unhandled page error {ErrorId} in circuit {CircuitId}", ErrorId, Circuit.CircuitId);
        return Task.CompletedTask;
    }
}
