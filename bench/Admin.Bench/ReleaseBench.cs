using System.Diagnostics;
using Admin.Data.Reference;
using Admin.Data.Releases;
using Admin.TestSupport;
using Npgsql;

namespace Admin.Bench;

/// <summary>
/// Release figures (issue 4) on a scratch database holding the large release data set: 100,000 entities, about
/// 1,000,000 versions, 2,000 releases, one approved release with 10,000 changes and one with 100. Each figure is
/// printed with its goal and PASS or MISS. Deploys and rollbacks are measured inside transactions that are rolled
/// back, so every sample starts from the same state.
/// </summary>
public static class ReleaseBench
{
    private static readonly string[] Locales = ["en-GB", "en-US", "de-DE", "fr-FR", "es-ES", "nl-NL"];

    public static async Task RunAsync()
    {
        Console.WriteLine();
        Console.WriteLine("Releases (large data: 100,000 entities, ~1,000,000 versions, 2,000 releases, one release with 10,000 changes)");
        var db = await TestDatabase.CreateAsync();
        try
        {
            await RunAsync(db);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("ADMIN_BENCH_KEEP") == "1") Console.WriteLine($"  (kept scratch database {db.Name})");
            else await db.DisposeAsync();
        }
    }

    private static async Task RunAsync(TestDatabase db)
    {
        var clock = Stopwatch.StartNew();
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
        {
            await ReferenceData.SeedAsync(owner);
            await ReleaseSeeder.SeedAsync(owner, ReleaseSeedShape.Large);
        }
        await using var connection = await db.OpenAppAsAdminAsync();
        var versions = await connection.ScalarAsync<long>("SELECT count(*) FROM entity_versions");
        var releases = await connection.ScalarAsync<long>("SELECT count(*) FROM releases");
        Report.Goal("seed (./admin seed --scale large, releases part)", $"{clock.Elapsed.TotalSeconds:0.0} s: {versions:N0} versions, {releases:N0} releases",
            "< 120 s", clock.Elapsed < TimeSpan.FromSeconds(120));
        var big = await connection.ScalarAsync<long>($"SELECT id FROM releases WHERE name = '{ReleaseLargeSeed.BigReleaseName}'");
        var small = await connection.ScalarAsync<long>($"SELECT id FROM releases WHERE name = '{ReleaseLargeSeed.SmallReleaseName}'");

        // v_entities lookup by type + key + locale, against the NOT EXISTS anti-join the view replaced.
        var random = new Random(4);
        (string Key, string Locale) Pick()
        {
            var e = random.Next(0, ReleaseLargeSeed.Entities / 10) * 10 + random.Next(0, 6); // e % 10 < 6: a translation
            return ($"bulk.translation.{e}", Locales[e % 6]);
        }
        await using var view = Prepared(connection, "SELECT entity_id, payload FROM v_entities WHERE entity_type = 'translation' AND entity_key = $1 AND locale_id = $2");
        await using var antiJoin = Prepared(connection, """
            SELECT ev.entity_id, ev.payload
            FROM entity_versions ev JOIN releases r ON r.id = ev.release_id AND r.status = 'DEPLOYED'
            WHERE ev.entity_type = 'translation' AND ev.entity_key = $1 AND ev.locale_id = $2 AND NOT ev.is_deleted
              AND NOT EXISTS (SELECT 1 FROM entity_versions later JOIN releases lr ON lr.id = later.release_id AND lr.status = 'DEPLOYED'
                              WHERE later.entity_id = ev.entity_id AND lr.deploy_seq > r.deploy_seq)
            """);
        var viewLookup = await Timing.PerOperationAsync(1000, () => LookupAsync(view, Pick()));
        var antiLookup = await Timing.PerOperationAsync(1000, () => LookupAsync(antiJoin, Pick()));
        Report.Goal("v_entities lookup by type+key+locale", $"p95 {viewLookup.P95:0.00} ms (p50 {viewLookup.P50:0.00})", "< 2 ms", viewLookup.P95 < 2);
        Report.Line("  same lookup, NOT EXISTS anti-join", $"p95 {antiLookup.P95:0.00} ms (p50 {antiLookup.P50:0.00}); view/anti-join p95 ratio {viewLookup.P95 / antiLookup.P95:0.00}");
        var viewAll = await Timing.PerOperationAsync(3, () => connection.ScalarAsync<long>("SELECT count(*) FROM v_entities"));
        var antiAll = await Timing.PerOperationAsync(3, () => connection.ScalarAsync<long>("""
            SELECT count(*) FROM entity_versions ev JOIN releases r ON r.id = ev.release_id AND r.status = 'DEPLOYED'
            WHERE NOT ev.is_deleted AND NOT EXISTS (SELECT 1 FROM entity_versions later JOIN releases lr ON lr.id = later.release_id AND lr.status = 'DEPLOYED'
                                                    WHERE later.entity_id = ev.entity_id AND lr.deploy_seq > r.deploy_seq)
            """));
        Report.Line("whole live state (count of v_entities)", $"{viewAll.P50:0} ms; anti-join {antiAll.P50:0} ms (ratio {viewAll.P50 / antiAll.P50:0.00})");

        var diff = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})"));
        var diffRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})");
        Report.Goal($"diff of the 10,000-change release against live ({diffRows:N0} rows)", $"p50 {diff.P50:0} ms (max {diff.Max:0})", "< 200 ms", diff.P50 < 200);
        var (staleDiff, staleConflicts) = await AfterOverlappingDeployAsync(connection, big);
        Report.Line("  diff after an overlapping release was deployed", $"p50 {staleDiff.P50:0} ms (max {staleDiff.Max:0}); its entities re-checked");
        var deployedDiff = await DeployedDiffAsync(connection, big);
        Report.Line("  diff once deployed (against the state before it)", $"p50 {deployedDiff.P50:0} ms (max {deployedDiff.Max:0})");
        var newest = await connection.ScalarAsync<long>("SELECT id FROM releases WHERE deploy_seq = (SELECT max(deploy_seq) FROM releases)");
        var tenBack = await connection.ScalarAsync<long>("SELECT id FROM releases WHERE deploy_seq = (SELECT max(deploy_seq) - 10 FROM releases)");
        var hundredBack = await connection.ScalarAsync<long>("SELECT id FROM releases WHERE deploy_seq = (SELECT max(deploy_seq) - 100 FROM releases)");
        var betweenOpen = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big}, {tenBack})"));
        var betweenOpenRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big}, {tenBack})");
        Report.Line($"diff between the 10,000-change release and a release deployed 10 deploys ago ({betweenOpenRows:N0})", $"p50 {betweenOpen.P50:0} ms (max {betweenOpen.Max:0})");
        var betweenDeployed = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({newest}, {hundredBack})"));
        var betweenDeployedRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({newest}, {hundredBack})");
        Report.Line($"diff between two deployed releases 100 deploys apart ({betweenDeployedRows:N0})", $"p50 {betweenDeployed.P50:0} ms (max {betweenDeployed.Max:0})");

        var conflicts = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM check_release_conflicts({big})"));
        var conflictRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM check_release_conflicts({big})");
        Report.Goal($"conflict check of the 10,000-change release ({conflictRows:N0})", $"p50 {conflicts.P50:0} ms (max {conflicts.Max:0})", "< 100 ms", conflicts.P50 < 100);
        Report.Goal("  conflict check after an overlapping release was deployed", $"p50 {staleConflicts.P50:0} ms (max {staleConflicts.Max:0})", "< 100 ms", staleConflicts.P50 < 100);

        // The seed leaves both releases in review; each sample approves (unmeasured, or measured for the approval
        // figure) and then deploys or rolls back, in a transaction rolled back afterwards.
        await connection.SetSessionAsync(ReleaseFixtures.OtherManager);
        // Small and big alternate sample by sample, so a drift of the machine's speed weighs on both alike.
        var approveBig = (await TransitionsAsync(connection, Step.Approve, big))[0];
        var deploys = await TransitionsAsync(connection, Step.Deploy, small, big);
        var (deploySmall, deployBig) = (deploys[0], deploys[1]);
        var recheckBig = (await TransitionsAsync(connection, Step.DeployAfterLiveChange, big))[0];
        var rollbacks = await TransitionsAsync(connection, Step.Rollback, small, big);
        var (rollbackSmall, rollbackBig) = (rollbacks[0], rollbacks[1]);
        Report.Line("approve, 10,000 changes (runs the blocking check)", $"p50 {approveBig.P50:0.0} ms");
        Report.Goal("deploy, 100 changes", $"p50 {deploySmall.P50:0.00} ms", "< 50 ms", deploySmall.P50 < 50);
        Report.Goal("deploy, 10,000 changes", $"p50 {deployBig.P50:0.00} ms; ratio {deployBig.P50 / deploySmall.P50:0.00}", "<= 1.5x",
            deployBig.P50 < 50 && deployBig.P50 / deploySmall.P50 <= 1.5);
        Report.Line("  deploy, 10,000 changes, live changed since approval", $"p50 {recheckBig.P50:0.0} ms (blocking re-check)");
        Report.Goal("rollback, 100 changes", $"p50 {rollbackSmall.P50:0.00} ms", "< 50 ms", rollbackSmall.P50 < 50);
        Report.Goal("rollback, 10,000 changes", $"p50 {rollbackBig.P50:0.00} ms; ratio {rollbackBig.P50 / rollbackSmall.P50:0.00}", "<= 1.5x",
            rollbackBig.P50 < 50 && rollbackBig.P50 / rollbackSmall.P50 <= 1.5);
        var submitBig = await SubmitAsync(connection, big);
        Report.Line("submit for review, 10,000 changes (re-reads every base)", $"p50 {submitBig.P50:0} ms");

        await SectionsAsync(db, connection, big);

        // Last, as it changes the data: without recorded bases the diff computes every entity (what it did before
        // the bases, and what it does for a deployed release).
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($"DELETE FROM entity_version_bases WHERE release_id = {big}");
        var fullDiff = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})"));
        Report.Line("  diff without recorded bases (every entity computed)", $"p50 {fullDiff.P50:0} ms (max {fullDiff.Max:0})");
    }

    private static NpgsqlCommand Prepared(NpgsqlConnection connection, string sql)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter<string>());
        command.Parameters.Add(new NpgsqlParameter<string>());
        command.Prepare();
        return command;
    }

    private static async Task LookupAsync(NpgsqlCommand command, (string Key, string Locale) pick)
    {
        command.Parameters[0].Value = pick.Key;
        command.Parameters[1].Value = pick.Locale;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) { }
    }

    /// <summary>
    /// The big release's diff and conflict check after "Large: in review" (which shares entities with it) is
    /// deployed: those entities' recorded bases are stale and computed afresh, and they are stale-base conflicts. In
    /// a transaction that is rolled back.
    /// </summary>
    private static async Task<(Stats Diff, Stats Conflicts)> AfterOverlappingDeployAsync(NpgsqlConnection connection, long big)
    {
        await connection.SetSessionAsync(ReleaseFixtures.OtherManager);
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("""
            UPDATE releases SET status = 'APPROVED' WHERE name = 'Large: in review';
            UPDATE releases SET status = 'DEPLOYED', override_reason = 'bench' WHERE name = 'Large: in review';
            """);
        var diff = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})"));
        var conflicts = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM check_release_conflicts({big})"));
        await transaction.RollbackAsync();
        return (diff, conflicts);
    }

    /// <summary>The big release's diff after it is deployed, in a transaction that is rolled back.</summary>
    private static async Task<Stats> DeployedDiffAsync(NpgsqlConnection connection, long big)
    {
        await connection.SetSessionAsync(ReleaseFixtures.OtherManager);
        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"""
            UPDATE releases SET status = 'APPROVED' WHERE id = {big};
            UPDATE releases SET status = 'DEPLOYED', override_reason = 'bench' WHERE id = {big};
            """);
        var diff = await Timing.PerOperationAsync(5, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})"));
        await transaction.RollbackAsync();
        return diff;
    }

    /// <summary>Submitting the big release again (reopened first, unmeasured); each sample is rolled back.</summary>
    private static async Task<Stats> SubmitAsync(NpgsqlConnection connection, long big)
    {
        var samples = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync($"UPDATE releases SET status = 'DRAFT' WHERE id = {big}");
            var clock = Stopwatch.StartNew();
            await connection.ExecuteAsync($"UPDATE releases SET status = 'IN_REVIEW' WHERE id = {big}");
            samples.Add(clock.Elapsed.TotalMilliseconds);
            await transaction.RollbackAsync();
        }
        return Report.Stats(samples.Skip(3).ToList());
    }

    private enum Step { Approve, Deploy, DeployAfterLiveChange, Rollback }

    /// <summary>Times one step on a release in review; each sample runs in a transaction that is rolled back.</summary>
    /// <summary>
    /// Times one step on releases in review, 40 rounds of one sample per release in turn (the first 5 rounds are
    /// warm-up); each sample runs in a transaction that is rolled back.
    /// </summary>
    private static async Task<Stats[]> TransitionsAsync(NpgsqlConnection connection, Step step, params long[] releases)
    {
        var samples = releases.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 40; round++)
            for (var r = 0; r < releases.Length; r++)
            {
                var elapsed = await SampleAsync(connection, releases[r], step);
                if (round >= 5) samples[r].Add(elapsed);
            }
        return samples.Select(Report.Stats).ToArray();
    }

    private static async Task<double> SampleAsync(NpgsqlConnection connection, long release, Step step)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        var approve = $"UPDATE releases SET status = 'APPROVED' WHERE id = {release}";
        var deploy = $"UPDATE releases SET status = 'DEPLOYED' WHERE id = {release}";
        if (step != Step.Approve) await connection.ExecuteAsync(approve);
        if (step == Step.DeployAfterLiveChange) // a rollback of the newest bulk release changes the live state
            await connection.ExecuteAsync("UPDATE releases SET status = 'ROLLED_BACK', close_reason = 'bench' WHERE id = (SELECT id FROM releases WHERE deploy_seq = (SELECT max(deploy_seq) FROM releases))");
        if (step == Step.Rollback) await connection.ExecuteAsync(deploy);
        var clock = Stopwatch.StartNew();
        await connection.ExecuteAsync(step switch
        {
            Step.Approve => approve,
            Step.Rollback => $"UPDATE releases SET status = 'ROLLED_BACK', close_reason = 'bench' WHERE id = {release}",
            _ => deploy,
        });
        var elapsed = clock.Elapsed.TotalMilliseconds;
        await transaction.RollbackAsync();
        return elapsed;
    }

    /// <summary>
    /// Issue #17: 1,000 homepage section changes added to the 10,000-change release (1,000 sections in six locales,
    /// two thirds heroes and one third carousels of six products, each published at version 1, the release carrying
    /// version 2), then its diff, conflict check and deploy (in a transaction rolled back). The sections stay; the
    /// release's section changes are taken out again.
    /// </summary>
    private static async Task SectionsAsync(TestDatabase db, NpgsqlConnection connection, long big)
    {
        const int count = 1000;
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync($$"""
                INSERT INTO products (sku, name, price) SELECT 'BENCH-' || i, 'Bench product ' || i, 10 + i FROM generate_series(1, 60) i;
                INSERT INTO homepage_sections (locale, section_key, section_type, display_order, status)
                SELECT l.locale, 'bench-section-' || i, CASE WHEN i % 3 = 0 THEN 'product_carousel' ELSE 'hero' END, 1000 + i, 'draft'
                FROM generate_series(1, {{count}}) i
                CROSS JOIN LATERAL (SELECT (ARRAY['en-GB', 'en-US', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL'])[1 + i % 6] AS locale) l;
                -- Heroes, and a third carousels of six products each (their links are checked before a deploy).
                INSERT INTO section_versions (section_id, version_number, content, change_summary)
                SELECT s.id, n, CASE WHEN s.section_type = 'hero'
                    THEN jsonb_build_object('title', s.section_key || ' title ' || n, 'subtitle', 'Everything must go',
                                            'imageUrl', 'https://cdn.example.com/' || s.section_key || '.jpg', 'ctaText', 'Shop now',
                                            'ctaUrl', '/sale/' || CASE WHEN n = 1 THEN 'spring' ELSE 'summer' END)
                    ELSE jsonb_build_object('title', s.section_key || ' title ' || n,
                                            'productIds', (SELECT jsonb_agg(p.id ORDER BY p.sku) FROM (SELECT id, sku FROM products WHERE sku LIKE 'BENCH-%' ORDER BY md5(s.section_key || sku) LIMIT 6) p))
                    END, 'bench'
                FROM homepage_sections s CROSS JOIN generate_series(1, 2) n WHERE s.section_key LIKE 'bench-section-%';
                UPDATE homepage_sections s SET latest_version_number = 2, status = 'published', published_version_id = v.id, draft_version_id = d.id
                FROM section_versions v, section_versions d
                WHERE s.section_key LIKE 'bench-section-%' AND v.section_id = s.id AND v.version_number = 1 AND d.section_id = s.id AND d.version_number = 2;
                UPDATE section_versions v SET is_published = true, published_at = now()
                FROM homepage_sections s WHERE s.published_version_id = v.id AND s.section_key LIKE 'bench-section-%';
                """);

        await connection.SetSessionAsync(ReleaseFixtures.OtherManager);
        var clock = Stopwatch.StartNew();
        await connection.ExecuteAsync($"""
            UPDATE releases SET status = 'DRAFT' WHERE id = {big};
            INSERT INTO release_sections (release_id, section_id, version_id, locale, section_key, section_type)
            SELECT {big}, s.id, v.id, '', '', '' FROM homepage_sections s JOIN section_versions v ON v.section_id = s.id AND v.version_number = 2
            WHERE s.section_key LIKE 'bench-section-%';
            UPDATE releases SET status = 'IN_REVIEW' WHERE id = {big};
            """);
        Report.Line($"add {count:N0} section changes to the 10,000-change release (one statement, with submit)", $"{clock.Elapsed.TotalMilliseconds:0} ms");
        // Statistics as autovacuum gathers them after a bulk insert.
        await using (var owner = await db.OpenAsync(TestPostgres.OwnerRole))
            await owner.ExecuteAsync("ANALYZE release_sections, homepage_sections, section_versions");

        var rows = await connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})");
        var sectionRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big}) WHERE entity_type = 'homepage_section'");
        var diff = await Timing.PerOperationAsync(7, () => connection.ScalarAsync<long>($"SELECT count(*) FROM calculate_release_diff({big})"));
        Report.Goal($"diff, 10,000 changes + {count:N0} sections ({rows:N0} rows, {sectionRows:N0} sections)", $"p50 {diff.P50:0} ms (max {diff.Max:0})", "< 200 ms", diff.P50 < 200);
        var sectionDiff = await Timing.PerOperationAsync(7, () => connection.ScalarAsync<long>($"SELECT count(*) FROM release_section_diff({big})"));
        Report.Line("  of which the section part (release_section_diff)", $"p50 {sectionDiff.P50:0.0} ms");
        var page = await Timing.PerOperationAsync(7, () => connection.ScalarAsync<long>($"SELECT count(*) FROM release_changes({big}, NULL)"));
        Report.Line("  the release page's read (release_changes: index + section payloads)", $"p50 {page.P50:0} ms (max {page.Max:0})");

        var conflictRows = await connection.ScalarAsync<long>($"SELECT count(*) FROM check_release_conflicts({big})");
        var conflicts = await Timing.PerOperationAsync(7, () => connection.ScalarAsync<long>($"SELECT count(*) FROM check_release_conflicts({big})"));
        Report.Goal($"conflict check, 10,000 changes + {count:N0} sections ({conflictRows:N0})", $"p50 {conflicts.P50:0} ms (max {conflicts.Max:0})", "< 100 ms", conflicts.P50 < 100);
        var sectionConflicts = await Timing.PerOperationAsync(7, () => connection.ScalarAsync<long>($"SELECT count(*) FROM release_section_conflicts({big})"));
        Report.Line("  of which the section part (release_section_conflicts)", $"p50 {sectionConflicts.P50:0.0} ms");

        await using var transaction = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync($"UPDATE releases SET status = 'APPROVED' WHERE id = {big}");
        clock.Restart();
        await connection.ExecuteAsync($"UPDATE releases SET status = 'DEPLOYED' WHERE id = {big}");
        var deploy = clock.Elapsed.TotalMilliseconds;
        var published = await connection.ScalarAsync<long>("SELECT count(*) FROM homepage_sections s JOIN section_versions v ON v.id = s.published_version_id WHERE s.section_key LIKE 'bench-section-%' AND v.version_number = 2");
        Report.Line($"deploy, 10,000 changes + {count:N0} sections (publishes them in its transaction)", $"{deploy:0} ms; {published:N0} sections now at version 2");
        await transaction.RollbackAsync();
        // The release as the seed left it, for the figures after this one.
        await connection.ExecuteAsync($"""
            UPDATE releases SET status = 'DRAFT' WHERE id = {big};
            DELETE FROM release_sections WHERE release_id = {big};
            UPDATE releases SET status = 'IN_REVIEW' WHERE id = {big};
            """);
    }
}
