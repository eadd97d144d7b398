using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Admin.Data.Deployments;

/// <summary>A status post as the token's holder sent it (the token itself, hashed only in the database call).</summary>
internal sealed record StatusPost(byte[] TokenHash, string Reference, string Status, string? Message, string? IdempotencyKey, byte[] RequestHash);

/// <summary>
/// Group commit for status posts. Every post commits durably, and a commit waits for its WAL flush, so one transaction
/// per post caps the rate at one flush per post. Here the posts that arrive while a batch runs wait for the next one,
/// and a batch of up to <see cref="MaxBatch"/> posts is one call to deploy_api_status_batch: one transaction, one flush.
/// The common post is applied set-based there and announced after the commit (see migration SetBasedStatusPosts). Each
/// caller still gets its own answer; a post the batch could not run (it raised inside its subtransaction) is run again
/// on its own, so its caller sees exactly what a single call would give. A failed batch (the database went away) fails
/// each of its posts, which the endpoint answers 503.
/// </summary>
internal sealed class StatusPostBatches : IAsyncDisposable
{
    /// <summary>Posts per transaction at most: each runs in a subtransaction, and a backend caches 64 subtransaction ids.</summary>
    public const int MaxBatch = 48;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Func<StatusPost, CancellationToken, Task<ApiResult>> _alone;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _writers;
    // Whose turn it is to take posts from the queue and run them; released before the commit.
    private readonly SemaphoreSlim _turn = new(1, 1);

    /// <param name="writers">
    /// Batches in flight at once, each on its own server connection. Only one runs its posts at a time (the turn), so
    /// a batch takes every post that arrived meanwhile, since a batch costs about 1.5 ms of server time whatever its
    /// size: three batches running side by side carried 4.4 posts each and measured 422 posts/s against 656/s for one
    /// writer. The other writer's batch commits meanwhile (a commit waits for its flush; the next batch need not):
    /// 463 and 487/s against 450 and 469/s for one writer, in alternating runs.
    /// </param>
    public StatusPostBatches(NpgsqlDataSource dataSource, Func<StatusPost, CancellationToken, Task<ApiResult>> alone, int writers = 2)
    {
        _dataSource = dataSource;
        _alone = alone;
        _writers = Enumerable.Range(0, Math.Max(1, writers)).Select(_ => Task.Run(WriteAsync)).ToArray();
    }

    /// <summary>Batches run and posts they carried since the start (the bench prints the average batch).</summary>
    public (long Batches, long Posts) Counts => (Interlocked.Read(ref _batches), Interlocked.Read(ref _posts));
    private long _batches, _posts;

    public Task<ApiResult> PostAsync(StatusPost post, CancellationToken ct)
    {
        var pending = new Pending(post, new TaskCompletionSource<ApiResult>(TaskCreationOptions.RunContinuationsAsynchronously), ct);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(StatusPostBatches));
        // A caller that gives up stops waiting at once; its post is left out of the batch unless it is already running
        // (then it commits like a post whose answer was lost on the way, and its Idempotency-Key replays it).
        return pending.Answer.Task.WaitAsync(ct);
    }

    private async Task WriteAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token))
            {
                await _turn.WaitAsync(_stop.Token);
                var released = false;
                try
                {
                    batch.Clear();
                    while (batch.Count < MaxBatch && reader.TryRead(out var pending))
                    {
                        if (pending.Cancel.IsCancellationRequested) pending.Answer.TrySetCanceled(pending.Cancel);
                        else batch.Add(pending);
                    }
                    if (batch.Count > 0) await RunAsync(batch, () => { released = true; _turn.Release(); });
                }
                finally
                {
                    if (!released) _turn.Release();
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <param name="ran">Called once the posts have run, before the commit, so the next batch may start.</param>
    private async Task RunAsync(List<Pending> batch, Action ran)
    {
        // The same order in every batch, so two batches in flight lock deployments in the same order; posts to one
        // deployment keep their order of arrival.
        var sorted = batch.OrderBy(p => p.Post.Reference, StringComparer.Ordinal).ToList();
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _posts, sorted.Count);
        ApiResult?[] answers;
        List<string> announcements = [];
        try
        {
            (answers, announcements) = await CallAsync(sorted, ran);
        }
        catch (PostgresException)
        {
            // The batch itself raised (its locks timed out, say): nothing of it committed, so each post runs on its own.
            answers = new ApiResult?[sorted.Count];
        }
        catch (Exception e)
        {
            foreach (var pending in sorted) pending.Answer.TrySetException(e);
            return;
        }
        for (var i = 0; i < sorted.Count; i++)
        {
            if (answers[i] is { } answer) sorted[i].Answer.TrySetResult(answer);
            else _ = AloneAsync(sorted[i]);
        }
        // Not awaited: the next batch need not wait for this one's live events.
        _ = AnnounceAsync(announcements);
    }

    private async Task AloneAsync(Pending pending)
    {
        try
        {
            pending.Answer.TrySetResult(await _alone(pending.Post, pending.Cancel));
        }
        catch (Exception e)
        {
            pending.Answer.TrySetException(e);
        }
    }

    /// <summary>One call for the batch: each post's answer by its position (null where the post raised), and the live events to send.</summary>
    private async Task<(ApiResult?[] Answers, List<string> Announcements)> CallAsync(List<Pending> batch, Action ran)
    {
        // An explicit transaction binds the batch to one server connection of its own: on the multiplexing pool two
        // batches' commands would otherwise queue on the same connection and run one after the other in one backend.
        await using var connection = await _dataSource.OpenConnectionAsync(_stop.Token);
        await using var transaction = await connection.BeginTransactionAsync(_stop.Token);
        await using var command = new NpgsqlCommand(
            "SELECT ord, http_status, body, replayed, error_state, announce FROM deploy_api_status_batch($1, $2, $3, $4, $5, $6)", connection, transaction);
        command.Parameters.Add(Array(batch.Select(p => p.Post.TokenHash).ToArray(), NpgsqlDbType.Bytea));
        command.Parameters.Add(Array(batch.Select(p => p.Post.IdempotencyKey).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(batch.Select(p => p.Post.RequestHash).ToArray(), NpgsqlDbType.Bytea));
        command.Parameters.Add(Array(batch.Select(p => p.Post.Reference).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(batch.Select(p => p.Post.Status).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(batch.Select(p => p.Post.Message).ToArray(), NpgsqlDbType.Text));
        var answers = new ApiResult?[batch.Count];
        var announcements = new List<string>();
        // Not the callers' tokens: the batch is theirs together, and a statement cut short would roll back all of them.
        await using (var reader = await command.ExecuteReaderAsync(_stop.Token))
        {
            while (await reader.ReadAsync(_stop.Token))
            {
                if (!reader.IsDBNull(4)) continue;
                answers[reader.GetInt32(0) - 1] = new ApiResult(reader.GetInt32(1), reader.IsDBNull(2) ? "" : reader.GetString(2), reader.GetBoolean(3));
                if (!reader.IsDBNull(5)) announcements.Add(reader.GetString(5));
            }
        }
        ran();
        await transaction.CommitAsync(_stop.Token);
        return (answers, announcements);
    }

    /// <summary>
    /// The live events of the set-based posts, after their commit: a NOTIFY inside the batch would queue its commit behind
    /// every other notifying commit's WAL flush (see migration SetBasedStatusPosts). On its own it writes no WAL.
    /// </summary>
    private async Task AnnounceAsync(List<string> announcements)
    {
        if (announcements.Count == 0) return;
        try
        {
            await using var notify = _dataSource.CreateCommand("SELECT pg_notify('admin_live', n) FROM unnest($1::text[]) n");
            notify.Parameters.Add(Array(announcements.ToArray(), NpgsqlDbType.Text));
            await notify.ExecuteNonQueryAsync(_stop.Token);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or ObjectDisposedException)
        {
            // The posts are committed and answered; open pages catch up on their next reload or reconnect. Nobody awaits
            // this call, so an app shutting down meanwhile (a disposed source or stop token) ends here too.
        }
    }

    private static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType type) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_writers).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
        }
        await _stop.CancelAsync();
        _stop.Dispose();
        _turn.Dispose();
    }

    private sealed record Pending(StatusPost Post, TaskCompletionSource<ApiResult> Answer, CancellationToken Cancel);
}
