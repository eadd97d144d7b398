using Admin.Data.Database;

namespace Admin.Web.Features.Database;

/// <summary>
/// A statement's page state: its current figures (while pg_stat_statements still has it), its text (else from the
/// sampled history), its calls and mean time per bucket of the chosen range, and the chart of them.
/// </summary>
public sealed class QueryDetailState(DatabaseQueries queries, TimeProvider time, DeployRegressions? regressions = null)
{
    public HistoryRange Range { get; private set; } = HistoryRange.Day;
    public StatementStat? Stat { get; private set; }
    public string? Text { get; private set; }
    public string? Problem { get; private set; }
    public bool Loaded { get; private set; }
    public IReadOnlyList<StatementPoint> Points { get; private set; } = [];
    public SamplerRun? LastRun { get; private set; }
    public object? ChartOptions { get; private set; }
    public DateTimeOffset? Updated { get; private set; }

    /// <summary>Deployments and release events within the chart's range (markers on it).</summary>
    public IReadOnlyList<DeployEvent> Markers { get; private set; } = [];

    /// <summary>The statement is neither in pg_stat_statements nor in the history.</summary>
    public bool Unknown => Loaded && Text is null && Problem is null;

    public void Apply(string? range) => Range = HistoryRange.Parse(range);

    public async Task LoadAsync(string target, long queryId, CancellationToken ct = default)
    {
        var read = await queries.LoadAsync(target, StatementSort.TotalTime, 1, null, ct, queryId);
        Problem = read.Problem;
        Stat = read.Value?.Statements.FirstOrDefault();
        Text = Stat?.Query ?? await queries.SampledTextAsync(target, queryId, ct);
        Points = await queries.HistoryAsync(target, queryId, Range, ct);
        LastRun = await queries.LastSampleAsync(target, ct);
        var now = time.GetUtcNow();
        Markers = regressions is null ? [] : await regressions.MarkersAsync(new TimeWindow(now - Range.Span, now), ct: ct);
        ChartOptions = Chart(Points, Range, now, Markers);
        Loaded = true;
        Updated = now;
    }

    public string Bucket => Range.Bucket.TotalHours >= 1 ? $"{Range.Bucket.TotalHours:0} h" : $"{Range.Bucket.TotalMinutes:0} min";

    public long Calls => Points.Sum(p => p.Calls);

    /// <summary>Calls as columns and the mean as a line on a second axis, over the whole range (empty buckets show as gaps).</summary>
    public static object Chart(IReadOnlyList<StatementPoint> points, HistoryRange range, DateTimeOffset now, IReadOnlyList<DeployEvent>? markers = null) => new
    {
        chart = new { type = "line", height = 280, toolbar = new { show = false }, animations = new { enabled = false }, zoom = new { enabled = false } },
        series = new object[]
        {
            new { name = "Calls", type = "column", data = points.Select(p => new object[] { p.At.ToUnixTimeMilliseconds(), p.Calls }) },
            new { name = "Mean (ms)", type = "line", data = points.Select(p => new object[] { p.At.ToUnixTimeMilliseconds(), Math.Round(p.MeanMs, 3) }) },
        },
        yaxis = new object[]
        {
            new { title = new { text = "calls" }, min = 0, forceNiceScale = true, decimalsInFloat = 0 },
            new { opposite = true, title = new { text = "mean ms" }, min = 0, forceNiceScale = true, decimalsInFloat = 2 },
        },
        stroke = new { width = new[] { 0, 2 } },
        xaxis = new { type = "datetime", min = (now - range.Span).ToUnixTimeMilliseconds(), max = now.ToUnixTimeMilliseconds(), labels = new { datetimeUTC = false } },
        dataLabels = new { enabled = false },
        legend = new { position = "top" },
        tooltip = new { shared = true, x = new { format = "dd MMM HH:mm" } },
        annotations = DeployMarkers.Annotations(markers),
    };
}
