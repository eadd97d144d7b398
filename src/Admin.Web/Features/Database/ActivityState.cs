using System.Security.Claims;
using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// The Activity page's state: the target's sessions (refreshed every few seconds unless paused or busy), the
/// blocked-by tree, and cancel/terminate of one session with the words of its confirmation and of its outcome.
/// </summary>
public sealed class ActivityState(DatabaseActivity activity)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(3);

    public ActivitySnapshot? Snapshot { get; private set; }
    public string? Problem { get; private set; }
    public string? LoadedTarget { get; private set; }
    public bool Paused { get; set; }
    public bool Busy { get; private set; }
    public bool Loading => Snapshot is null && Problem is null;

    public IReadOnlyList<BackendSession> Running => Snapshot?.Running ?? [];
    public IReadOnlyList<BlockingNode> Tree => Snapshot?.BlockingTree ?? [];

    public async Task LoadAsync(string? target, CancellationToken ct = default)
    {
        if (LoadedTarget != target) { Snapshot = null; Problem = null; }
        LoadedTarget = target;
        Busy = true;
        try
        {
            var read = await activity.LoadActivityAsync(target, ct);
            Problem = read.Problem;
            if (read.Value is { } s) Snapshot = s;
        }
        finally { Busy = false; }
    }

    /// <summary>The timer's reload: skipped while paused (a dialog is open, or the user paused) or while a load runs.</summary>
    public Task TickAsync(string? target) => Paused || Busy ? Task.CompletedTask : LoadAsync(target);

    public Task<SignalResult> SignalAsync(string? target, BackendSession session, bool terminate, ClaimsPrincipal user) =>
        terminate ? activity.TerminateAsync(target, session.Pid, user) : activity.CancelAsync(target, session.Pid, user);

    /// <summary>Signals the sessions the DBA confirmed in the long-queries dialog that still run longer than its N.</summary>
    public Task<BulkSignalResult> SignalLongRunningAsync(string? target, LongQueriesChoice choice, ClaimsPrincipal user) =>
        activity.SignalLongRunningAsync(target, choice.LongerThan, choice.Terminate, choice.Sessions, user);

    public static string LongQueriesYes(int count, bool terminate) => count switch
    {
        0 => terminate ? "Terminate" : "Cancel queries",
        1 => terminate ? "Terminate 1 session" : "Cancel 1 query",
        _ => terminate ? $"Terminate {count} sessions" : $"Cancel {count} queries",
    };

    public static string ConfirmTitle(BackendSession s, bool terminate) =>
        terminate ? $"Terminate session {s.Pid}?" : $"Cancel the query of session {s.Pid}?";

    public static string ConfirmYes(bool terminate) => terminate ? "Terminate" : "Cancel the query";

    /// <summary>What happens, and to whom: the session's pid, user, application, how long it runs and its statement.</summary>
    public static string ConfirmMessage(BackendSession s, bool terminate) =>
        (terminate
            ? "The session is disconnected and its open transaction is rolled back. The client sees a broken connection."
            : "The running statement stops with an error; the session stays connected and its transaction is aborted.")
        + $" Session {s.Pid} · user {s.User ?? "—"} · application {(string.IsNullOrEmpty(s.Application) ? "—" : s.Application)}"
        + $" · running for {FormatDuration(s.Duration)} · {s.Query}";

    public static bool Crowded(ActivitySnapshot s) => s.Total * 100 >= s.MaxConnections * 80;

    public static string FormatDuration(TimeSpan? duration) => duration switch
    {
        null => "—",
        { TotalHours: >= 1 } d => $"{(int)d.TotalHours} h {d.Minutes:00} min",
        { TotalMinutes: >= 1 } d => $"{(int)d.TotalMinutes} min {d.Seconds:00} s",
        { } d => $"{d.TotalSeconds:0.0} s",
    };
}

/// <summary>What the DBA confirmed in the long-queries dialog: N, cancel or terminate, and the sessions it listed.</summary>
public sealed record LongQueriesChoice(TimeSpan LongerThan, bool Terminate, IReadOnlyList<BackendSession> Sessions);
