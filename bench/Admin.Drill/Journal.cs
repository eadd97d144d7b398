using System.Collections.Concurrent;
using System.Diagnostics;

namespace Admin.Drill;

/// <summary>One attempt at something: when it ran (seconds since the drill's start), what came back.</summary>
public sealed record Attempt(string Kind, double Start, double End, bool Ok, int? Status, string? Error);

/// <summary>A write that was acknowledged (a 2xx, or a data call that returned): what must be in the database at the end.</summary>
public abstract record Ack
{
    public sealed record DeploymentCreated(string ExternalId) : Ack;
    public sealed record StatusPosted(string ExternalId, string Status, string Message) : Ack;
    public sealed record Approved(long DeploymentId) : Ack;
    public sealed record VersionSaved(Guid SectionId, int Number) : Ack;
    public sealed record Published(Guid SectionId, int Number) : Ack;
    public sealed record Scheduled(Guid ScheduleId, DateTimeOffset PublishAt) : Ack;
}

/// <summary>A fault and the time it lasted (from the first signal until the thing was back).</summary>
public sealed record FaultWindow(string Name, double Start, double End, string Detail);

/// <summary>Everything the drill's clients saw, for the checks at the end.</summary>
public sealed class Journal
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentQueue<Attempt> _attempts = new();
    private readonly ConcurrentQueue<Ack> _acks = new();
    private readonly ConcurrentQueue<FaultWindow> _faults = new();

    public double Now => _clock.Elapsed.TotalSeconds;

    public IReadOnlyCollection<Attempt> Attempts => _attempts;
    public IReadOnlyCollection<Ack> Acks => _acks;
    public IReadOnlyList<FaultWindow> Faults => [.. _faults];

    public void Record(Attempt attempt) => _attempts.Enqueue(attempt);
    public void Acknowledged(Ack ack) => _acks.Enqueue(ack);
    public void Fault(FaultWindow window) => _faults.Enqueue(window);

    /// <summary>Runs a call, recording it; the call's exception is recorded and rethrown.</summary>
    public async Task<T> TimeAsync<T>(string kind, Func<Task<T>> call)
    {
        var start = Now;
        try
        {
            var result = await call();
            Record(new Attempt(kind, start, Now, true, null, null));
            return result;
        }
        catch (Exception e)
        {
            Record(new Attempt(kind, start, Now, false, null, Describe(e)));
            throw;
        }
    }

    public static string Describe(Exception e) =>
        e switch
        {
            Npgsql.PostgresException p => $"{p.SqlState} {p.MessageText}",
            _ when e.InnerException is { } inner && e is HttpRequestException or Npgsql.NpgsqlException => $"{e.GetType().Name}: {inner.Message}",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
}
