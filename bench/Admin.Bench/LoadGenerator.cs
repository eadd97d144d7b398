using System.Diagnostics;
using System.Net;

namespace Admin.Bench;

/// <summary>One run: request count, failures (non-200), bytes read and every request's latency in ms.</summary>
public sealed record LoadResult(string Path, int Concurrency, TimeSpan Elapsed, long Requests, long Failures, long Bytes, IReadOnlyList<double> Samples)
{
    public double PerSecond => Requests / Elapsed.TotalSeconds;
}

/// <summary>
/// A closed-loop HTTP load generator: <c>concurrency</c> workers, each sending the next GET as soon as the previous
/// response body has been read, for a fixed time and at most <c>maxRequests</c> in all. Loopback addresses only.
/// </summary>
public static class LoadGenerator
{
    public static async Task<LoadResult> RunAsync(
        Uri baseAddress, string path, int concurrency, TimeSpan duration, string? acceptEncoding = null, long maxRequests = 2_000_000)
    {
        if (!baseAddress.IsLoopback) throw new ArgumentException($"The load generator only targets loopback addresses, not {baseAddress}.");
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency, UseCookies = false, AutomaticDecompression = DecompressionMethods.None,
        };
        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        // Compressed bodies are read as they arrive (a CDN stores them that way), not decompressed.
        if (acceptEncoding is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        long issued = 0;
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var workers = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var latencies = new List<double>(200_000);
            long failures = 0, bytes = 0;
            var buffer = new byte[64 * 1024];
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Increment(ref issued) <= maxRequests)
            {
                var start = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                await using var body = await response.Content.ReadAsStreamAsync();
                int read;
                while ((read = await body.ReadAsync(buffer)) > 0) bytes += read;
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK) failures++;
            }
            return (latencies, failures, bytes);
        })));
        var elapsed = clock.Elapsed;
        var all = workers.SelectMany(w => w.latencies).ToList();
        return new LoadResult(path, concurrency, elapsed, all.Count, workers.Sum(w => w.failures), workers.Sum(w => w.bytes), all);
    }
}
