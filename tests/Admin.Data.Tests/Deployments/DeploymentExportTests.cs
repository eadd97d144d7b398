using System.Text;
using System.Text.Json.Nodes;
using Admin.Data.Deployments;
using Admin.Data.Infrastructure;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Data.Tests.Deployments;

/// <summary>Exports: three queries whatever the count, repeatable under an Idempotency-Key, audited, valid CSV and JSON.</summary>
public sealed class DeploymentExportTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private NpgsqlDataSource _source = null!;
    private ApiCaller _caller = null!;
    private readonly string _service = "export-" + Guid.NewGuid().ToString("N")[..6];

    public async Task InitializeAsync()
    {
        (_source, _caller) = await fixture.Database.OpenIngestionAsync();
        var api = new DeploymentIngestion(_source);
        for (var i = 0; i < 25; i++)
        {
            var d = JsonNode.Parse((await api.CreateAsync(_caller, DeploymentFixtures.NewDeployment(service: _service), null, [1])).Body)!;
            await api.PostStatusAsync(_caller, d["externalId"]!.GetValue<string>(), DeploymentStatuses.InProgress, "go, \"quoted\"", null, [1]);
        }
    }

    public async Task DisposeAsync() => await _source.DisposeAsync();

    private async Task<(string Text, ExportBound Bound, long Count, int Queries)?> ExportAsync(string? key, ExportFormat format, DeploymentFilter? filter = null)
    {
        var counter = new CommandCounter();
        var exporter = new DeploymentExporter(fixture.Database.CountingFactory(DeploymentFixtures.ReleaseManager, counter));
        await using var run = await exporter.BeginAsync("user:test", key, filter ?? new DeploymentFilter(Service: _service), format);
        if (run is null) return null;
        using var buffer = new MemoryStream();
        var written = await DeploymentExporter.WriteAsync(buffer, format, run.Rows);
        Assert.Equal(run.Count, written);
        return (Encoding.UTF8.GetString(buffer.ToArray()), run.Bound, run.Count, counter.Count);
    }

    [Fact]
    public async Task A_csv_export_of_every_deployment_with_history_takes_three_queries()
    {
        var (text, _, count, queries) = (await ExportAsync(null, ExportFormat.Csv))!.Value;

        Assert.Equal(3, queries);
        Assert.Equal(25, count);
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal(26, lines.Length);
        Assert.StartsWith("id,external_id,service", lines[0]);
        Assert.Contains(",in_progress,", lines[1]);
        Assert.Contains("\"\"quoted\\\"\"", lines[1]); // JSON-escaped, then CSV-doubled
    }

    [Fact]
    public async Task A_json_export_parses_and_carries_each_history()
    {
        var (text, _, _, _) = (await ExportAsync(null, ExportFormat.Json))!.Value;
        var array = JsonNode.Parse(text)!.AsArray();
        Assert.Equal(25, array.Count);
        Assert.Equal(["queued", "in_progress"], array[0]!["history"]!.AsArray().Select(h => h!["status"]!.GetValue<string>()));
        Assert.Equal("in_progress", array[0]!["status"]!.GetValue<string>());
        Assert.NotNull(array[0]!["startedAt"]);
    }

    [Fact]
    public async Task The_same_key_returns_the_same_content_after_more_changes_and_another_filter_with_it_is_refused()
    {
        var key = Guid.NewGuid().ToString();
        var first = (await ExportAsync(key, ExportFormat.Csv))!.Value;

        var api = new DeploymentIngestion(_source);
        await api.CreateAsync(_caller, DeploymentFixtures.NewDeployment(service: _service), null, [1]);
        var firstId = first.Text.Split('\n')[1].Split(',')[1];
        await api.PostStatusAsync(_caller, firstId, DeploymentStatuses.Failed, "later", null, [1]);

        var again = (await ExportAsync(key, ExportFormat.Csv))!.Value;
        Assert.Equal(first.Text, again.Text);
        Assert.True(again.Bound.Replayed);
        Assert.NotEqual(first.Text, (await ExportAsync(null, ExportFormat.Csv))!.Value.Text);

        Assert.Null(await ExportAsync(key, ExportFormat.Json));
        Assert.Null(await ExportAsync(key, ExportFormat.Csv, new DeploymentFilter(Service: _service, Status: DeploymentStatuses.Failed)));
    }

    [Fact]
    public async Task Each_export_is_audited_with_its_filter_and_bound()
    {
        await ExportAsync(null, ExportFormat.Csv, new DeploymentFilter(Service: _service, Environment: "staging"));
        await using var owner = await fixture.Database.OpenAsync(TestPostgres.OwnerRole);
        Assert.True(await owner.ScalarAsync<long>(
            $"SELECT count(*) FROM audit_events WHERE action = 'deployment.exported' AND new_data->>'service' = '{_service}' " +
            "AND new_data->>'environment' = 'staging' AND actor_email = 'release@test.local' AND (new_data->>'maxDeploymentId')::bigint > 0") >= 1);
    }

    [Fact]
    public async Task A_status_filter_uses_the_status_as_of_the_snapshot()
    {
        var (_, _, count, _) = (await ExportAsync(null, ExportFormat.Csv, new DeploymentFilter(Service: _service, Status: DeploymentStatuses.Queued)))!.Value;
        Assert.Equal(0, count);
    }
}
