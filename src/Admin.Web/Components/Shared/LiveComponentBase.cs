using System.Security.Claims;
using Admin.Data.Live;
using Admin.Web.Live;
using Microsoft.AspNetCore.Components;

namespace Admin.Web.Components.Shared;

/// <summary>
/// The one live-subscription base for pages and panels: <see cref="Live"/> subscribes to a topic of the live bus,
/// reloads on the first event at once and coalesces the events that follow it (<see cref="CoalescingReload"/>), re-renders
/// after each reload, and disposes all of
/// it with the component. Nothing is subscribed while prerendering: that render's scope ends with the HTTP response.
/// </summary>
public abstract class LiveComponentBase : ComponentBase, IDisposable
{
    private readonly List<IDisposable> _live = [];

    [Inject] private LiveBus Bus { get; set; } = default!;

    /// <summary>
    /// Reloads with <paramref name="reload"/> when an event on <paramref name="topic"/> passes <paramref name="when"/>
    /// (every event of the topic when null; a resync after the listener reconnected always passes). With a
    /// <paramref name="reader"/>, only events that user may read count (<see cref="LiveBus.Subscribe(string, ClaimsPrincipal, Func{LiveEvent, Task})"/>).
    /// </summary>
    protected void Live(string topic, Func<CancellationToken, Task> reload, Func<LiveEvent, bool>? when = null,
        ClaimsPrincipal? reader = null, TimeSpan? minInterval = null)
    {
        if (!RendererInfo.IsInteractive) return;
        var coalesced = new CoalescingReload(ct => InvokeAsync(async () =>
        {
            await reload(ct);
            StateHasChanged();
        }), minInterval);
        Task OnEvent(LiveEvent e) => e.IsResync || when is null || when(e) ? coalesced.TriggerAsync() : Task.CompletedTask;
        _live.Add(reader is null ? Bus.Subscribe(topic, OnEvent) : Bus.Subscribe(topic, reader, OnEvent));
        _live.Add(coalesced);
    }

    public virtual void Dispose()
    {
        foreach (var item in _live) item.Dispose();
        _live.Clear();
        GC.SuppressFinalize(this);
    }
}
