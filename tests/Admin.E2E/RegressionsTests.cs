using Admin.Data.Database;
using Admin.TestSupport;

namespace Admin.E2E;

/// <summary>
/// Deploy-aware regressions in the browser: a planted deployment is a marker (an x-axis annotation) on a statement's
/// chart, listed with its link under it, and its Regressions detail shows the statement that got 3x slower.
/// </summary>
public sealed class RegressionsTests(AppFixture app) : BrowserTest(app)
{
    private const long Id = 990_001;

    [Fact]
    public Task A_dba_sees_a_deployment_marker_on_a_statement_chart_and_its_regression() => RunAsync(async page =>
    {
        var at = TimeWindow.FloorHour(DateTimeOffset.UtcNow).AddHours(-6);
        await using (var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole))
        {
            await using var command = new Npgsql.NpgsqlCommand("""
                INSERT INTO monitoring_deploy_events (kind, source_id, at, environment, service, version, status)
                VALUES ('deployment', @id, @at, 'production', 'e2e-marker', '7.0.1', 'succeeded') ON CONFLICT DO NOTHING;
                INSERT INTO monitoring_statements (target, queryid, query, calls, total_ms, rows, blks_hit, blks_read, first_seen, last_seen)
                VALUES ('console', @id, 'SELECT e2e_marker_probe FROM orders WHERE id = $1', 0, 0, 0, 0, 0, @at, @at) ON CONFLICT DO NOTHING;
                INSERT INTO monitoring_statement_deltas (target, queryid, taken_at, calls, total_ms, rows, blks_hit, blks_read)
                SELECT 'console', @id, x, 100, CASE WHEN x < @at THEN 200 ELSE 600 END, 100, 0, 0
                  FROM generate_series(@at - interval '60 minutes', @at + interval '59 minutes', interval '10 minutes') x
                ON CONFLICT DO NOTHING;
                -- The same as the sampler's hourly rollups: the app's sampler has already rolled up these past hours, so a
                -- window reads them from there, not from deltas planted afterwards.
                INSERT INTO monitoring_statement_hours (target, hour, queryid, calls, total_ms, rows, blks_hit, blks_read)
                VALUES ('console', @at - interval '1 hour', @id, 600, 1200, 600, 0, 0), ('console', @at, @id, 600, 3600, 600, 0, 0)
                ON CONFLICT DO NOTHING;
                -- and their 6-hour blocks (a 24-hour window reads the blocks that have ended from there).
                INSERT INTO monitoring_statement_quarters (target, quarter, queryid, calls, total_ms, rows, blks_hit, blks_read)
                SELECT target, date_bin('6 hours', hour, timestamptz '2000-01-01 00:00+00'), queryid, sum(calls), sum(total_ms), sum(rows), 0, 0
                  FROM monitoring_statement_hours WHERE target = 'console' AND queryid = @id GROUP BY 1, 2, 3
                ON CONFLICT DO NOTHING;
                """, owner);
            command.Parameters.AddWithValue("id", Id);
            command.Parameters.AddWithValue("at", at);
            await command.ExecuteNonQueryAsync();
        }
        await LoginAsync(page, DemoUserWithRole(AppRoles.Dba));

        await page.GotoAsync($"/database/queries/{Id}?range=24h");
        await page.WaitForInteractiveShellAsync();
        await Expect(page.Locator("[data-testid=query-history-chart] .apexcharts-xaxis-annotations")).ToContainTextAsync($"#{Id} e2e-marker 7.0.1");
        var marker = page.Locator($"[data-testid=deploy-marker][data-key='deployment:{Id}']");
        await page.GetByTestId("deploy-markers").Locator("summary").ClickAsync();
        await Expect(marker.GetByRole(AriaRole.Link, new() { Name = $"Deployment #{Id} e2e-marker 7.0.1 → production (succeeded)" }))
            .ToHaveAttributeAsync("href", $"/deployments/{Id}");
        var regressions = await marker.GetByRole(AriaRole.Link, new() { Name = "statements before/after" }).GetAttributeAsync("href");
        Assert.Equal($"/database/regressions?event=deployment%3A{Id}", regressions);
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-query-markers");

        await page.GotoAsync(regressions!);
        await page.WaitForInteractiveShellAsync();
        await Expect(page.GetByTestId("regression-report")).ToContainTextAsync("SELECT e2e_marker_probe");
        await Expect(page.GetByTestId("regression-grid")).ToContainTextAsync("+200 %");
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "database-regression-detail");
    });

    [Fact]
    public Task A_finished_deployments_page_shows_the_database_section_with_counts_to_a_release_manager() => RunAsync(async page =>
    {
        // A seeded production deployment the sampler has copied (it copies every run; the demo seed has some each day).
        long id = 0;
        for (var attempt = 0; attempt < 60 && id == 0; attempt++)
        {
            await using var owner = await App.Database.OpenAsync(TestPostgres.OwnerRole);
            id = await owner.ScalarAsync<long>("""
                SELECT coalesce(max(source_id), 0) FROM monitoring_deploy_events
                 WHERE kind = 'deployment' AND environment = 'production' AND status = 'succeeded' AND source_id < 990000
                """);
            if (id == 0) await Task.Delay(1000);
        }
        Assert.NotEqual(0, id);
        await LoginAsync(page, DemoUserWithRole(AppRoles.ReleaseManager));

        await page.GotoAsync($"/deployments/{id}");
        await page.WaitForInteractiveShellAsync();

        var section = page.GetByTestId("deployment-database");
        await Expect(section.GetByRole(AriaRole.Heading, new() { Name = "Database after this deployment" })).ToBeVisibleAsync();
        await Expect(section.GetByTestId("deployment-database-summary")).ToContainTextAsync("console:");
        await Expect(section.GetByTestId("deployment-database-restricted")).ToBeVisibleAsync();
        await Expect(section.GetByTestId("deployment-database-link")).ToHaveCountAsync(0);
        await Expect(section).Not.ToContainTextAsync("}");
        await DatabasePanelsTests.SaveLightAndDarkAsync(page, "deployment-database-release-manager");
    });
}
