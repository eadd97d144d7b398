using Admin.Data.Session;
using Admin.TestSupport;
using Npgsql;
using static Admin.TestSupport.ReleaseFixtures;

namespace Admin.Data.Tests.Releases;

/// <summary>
/// Property test: on randomly generated releases (seeded, so a failure replays), the live state computed by v_entities
/// (with and without a release context) and by get_entities_for_release, and each release's diff against what it
/// applies on (calculate_release_diff), equal a brute-force computation in C#. 300 cases in three classes of 100, each on
/// a database of its own, so that xunit runs them side by side (one class took two minutes, the longest of the project).
/// </summary>
public abstract class LiveStatePropertyTests(DatabaseFixture fixture) : IClassFixture<DatabaseFixture>
{
    private const int CasesPerClass = 100;
    private const int Seed = 20261122;

    /// <summary>
    /// The first of this class's cases. A class draws its cases from <c>new Random(Seed - FirstCase)</c> (the first class's
    /// are the cases the single class had; the seeds stay clear of the second waves' 20261129 + c).
    /// </summary>
    protected abstract int FirstCase { get; }
    private TestDatabase Db => fixture.Database;

    private sealed record Version(Guid EntityId, long ReleaseId, string Tag, bool Deleted);

    private sealed class ReleaseState
    {
        public required long Id { get; init; }
        public string Status { get; set; } = "DRAFT";
        public long? Seq { get; set; }
    }

    [Fact]
    public async Task Live_state_equals_a_brute_force_computation_on_random_releases()
    {
        await Db.SeedReferenceAsync();
        await using var connection = await Db.OpenAppAsAdminAsync();
        var random = new Random(Seed - FirstCase);
        for (var c = FirstCase; c < FirstCase + CasesPerClass; c++)
            await RunCaseAsync(connection, random, c);
    }

    private async Task RunCaseAsync(NpgsqlConnection connection, Random random, int c)
    {
        var entities = Enumerable.Range(0, random.Next(1, 6)).Select(_ => Guid.NewGuid()).ToArray();
        var releases = new List<ReleaseState>();
        var versions = new List<Version>();

        await connection.SetSessionAsync(Editor);
        for (var r = 0; r < random.Next(1, 6); r++)
        {
            var release = new ReleaseState { Id = await connection.ScalarAsync<long>($"INSERT INTO releases (name) VALUES ('case {c} release {r}') RETURNING id") };
            releases.Add(release);
            var chosen = entities.Where(_ => random.NextDouble() < 0.5).ToList();
            if (chosen.Count == 0) chosen.Add(entities[random.Next(entities.Length)]);
            foreach (var entity in chosen)
                versions.Add(await AddVersionAsync(connection, c, entities, entity, release, $"c{c}r{r}", random.NextDouble() < 0.15));
        }

        // First pass: deploy, abandon or leave open, in random order; second pass: roll back some deployed ones.
        foreach (var release in releases.OrderBy(_ => random.Next()))
        {
            switch (random.Next(4))
            {
                case 0 or 1:
                    await DeployAsync(connection, release);
                    break;
                case 2:
                    await connection.SetSessionAsync(Manager);
                    await connection.ExecuteAsync($"UPDATE releases SET status = 'ABANDONED' WHERE id = {release.Id}");
                    release.Status = "ABANDONED";
                    break;
            }
        }
        foreach (var release in releases.Where(r => r.Status == "DEPLOYED" && random.NextDouble() < 0.3).ToList())
        {
            await connection.SetSessionAsync(Manager);
            await connection.ExecuteAsync($"UPDATE releases SET status = 'ROLLED_BACK', close_reason = 'property' WHERE id = {release.Id}");
            release.Status = "ROLLED_BACK";
            release.Seq = null;
        }

        var ids = string.Join(",", entities.Select(e => $"'{e}'"));
        var context = $"case {c} (class seed {Seed - FirstCase})";
        Assert.True(Expected(releases, versions, null).SetEquals(await ActualAsync(connection, $"SELECT entity_id, payload->>'value' FROM v_entities WHERE entity_id IN ({ids})")), "live state, " + context);

        var asIf = releases[random.Next(releases.Count)];
        await connection.ExecuteAsync($"SELECT set_active_release({asIf.Id})");
        var withContext = await ActualAsync(connection, $"SELECT entity_id, payload->>'value' FROM v_entities WHERE entity_id IN ({ids})");
        await connection.ExecuteAsync("SELECT set_active_release(NULL)");
        Assert.True(Expected(releases, versions, asIf.Id, rankAbove: true).SetEquals(withContext), $"live as if release {asIf.Id} were deployed, {context}");

        var asOf = releases[random.Next(releases.Count)];
        Assert.True(Expected(releases, versions, asOf.Id, rankAbove: false).SetEquals(
            await ActualAsync(connection, $"SELECT entity_id, payload->>'value' FROM get_entities_for_release({asOf.Id}) WHERE entity_id IN ({ids})")),
            $"get_entities_for_release({asOf.Id}), {context}");

        await AssertDiffsAsync(connection, releases, versions, ids, context);

        // Second wave, with a random of its own so the cases above stay the ones the seed always gave: changes
        // written now record bases in a live state with history (the diff reads them while fresh), then a deploy
        // or a rollback makes some of them stale (the diff must compute those), then a submit re-reads them all.
        var wave = new Random(20261129 + c);
        var later = new List<ReleaseState>();
        await connection.SetSessionAsync(Editor);
        for (var r = 0; r < 2; r++)
        {
            var release = new ReleaseState { Id = await connection.ScalarAsync<long>($"INSERT INTO releases (name) VALUES ('case {c} later {r}') RETURNING id") };
            later.Add(release);
            foreach (var entity in entities.Where(_ => wave.NextDouble() < 0.6).DefaultIfEmpty(entities[0]))
                versions.Add(await AddVersionAsync(connection, c, entities, entity, release, $"c{c}l{r}", wave.NextDouble() < 0.15));
        }
        releases.AddRange(later);
        await AssertDiffsAsync(connection, releases, versions, ids, context + ", later releases");

        var deployed = releases.Where(r => r.Status == "DEPLOYED").ToList();
        if (wave.Next(2) == 0 || deployed.Count == 0)
            await DeployAsync(connection, later[0]);
        else
        {
            var victim = deployed[wave.Next(deployed.Count)];
            await connection.SetSessionAsync(Manager);
            await connection.ExecuteAsync($"UPDATE releases SET status = 'ROLLED_BACK', close_reason = 'property' WHERE id = {victim.Id}");
            victim.Status = "ROLLED_BACK";
            victim.Seq = null;
        }
        await AssertDiffsAsync(connection, releases, versions, ids, context + ", after a live change");

        await connection.SetSessionAsync(Editor);
        await connection.ExecuteAsync($"UPDATE releases SET status = 'IN_REVIEW' WHERE id = {later[1].Id}");
        later[1].Status = "IN_REVIEW";
        await AssertDiffsAsync(connection, releases, versions, ids, context + ", after a submit");

        // A third release is deployed after that submit, then the submitted one: its recorded bases predate a deploy
        // that is part of the state it applies on.
        await connection.SetSessionAsync(Editor);
        var third = new ReleaseState { Id = await connection.ScalarAsync<long>($"INSERT INTO releases (name) VALUES ('case {c} later 2') RETURNING id") };
        releases.Add(third);
        foreach (var entity in entities.Where(_ => wave.NextDouble() < 0.6).DefaultIfEmpty(entities[^1]))
            versions.Add(await AddVersionAsync(connection, c, entities, entity, third, $"c{c}l2", wave.NextDouble() < 0.15));
        await DeployAsync(connection, third);
        await connection.SetSessionAsync(Manager);
        await connection.ExecuteAsync($"UPDATE releases SET status = 'APPROVED' WHERE id = {later[1].Id}");
        later[1].Seq = await connection.ScalarAsync<long>(
            $"UPDATE releases SET status = 'DEPLOYED', override_reason = 'property test' WHERE id = {later[1].Id} RETURNING deploy_seq");
        later[1].Status = "DEPLOYED";
        await AssertDiffsAsync(connection, releases, versions, ids, context + ", after deploying a release submitted before another deploy");

        // Between two releases: equal to the formulation over two whole states (a full join of
        // get_entities_for_release), for three random pairs.
        for (var p = 0; p < 3; p++)
        {
            var (a, b) = (releases[wave.Next(releases.Count)], releases[wave.Next(releases.Count)]);
            Assert.True((await ActualBetweenAsync(connection, $"calculate_release_diff({a.Id}, {b.Id})", ids))
                .SetEquals(await ActualBetweenAsync(connection, WholeStatesDiff(a.Id, b.Id), ids)),
                $"calculate_release_diff({a.Id} {a.Status}, {b.Id} {b.Status}), {context}");
        }
    }

    /// <summary>The diff between the states as of two releases, computed over both whole states.</summary>
    private static string WholeStatesDiff(long release, long from) => $"""
        (SELECT coalesce(n.entity_id, o.entity_id) AS entity_id,
                CASE WHEN o.entity_id IS NULL THEN 'added' WHEN n.entity_id IS NULL THEN 'removed' ELSE 'modified' END AS change,
                CASE WHEN o.entity_id IS NOT NULL AND n.entity_id IS NOT NULL
                     THEN entity_changed_paths(o.slug, n.slug, o.entity_name, n.entity_name, o.parent_entity_id, n.parent_entity_id,
                                               o.brand, n.brand, o.jurisdiction, n.jurisdiction, o.payload, n.payload)
                     ELSE '{"{"}{"}"}'::text[] END AS changed_paths,
                o.release_id AS old_release_id, n.release_id AS new_release_id
         FROM get_entities_for_release({from}) o
         FULL JOIN get_entities_for_release({release}) n ON n.entity_id = o.entity_id
         WHERE o.version_id IS DISTINCT FROM n.version_id
           AND (o.entity_id IS NULL OR n.entity_id IS NULL
                OR (o.slug, o.entity_name, o.parent_entity_id, o.brand, o.jurisdiction, o.payload)
                   IS DISTINCT FROM (n.slug, n.entity_name, n.parent_entity_id, n.brand, n.jurisdiction, n.payload))) AS whole
        """;

    private static async Task<HashSet<(Guid, string, long?, long?, string)>> ActualBetweenAsync(NpgsqlConnection connection, string source, string ids)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT entity_id, change, old_release_id, new_release_id, array_to_string(changed_paths, ',')
            FROM {source} WHERE entity_id IN ({ids})
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new HashSet<(Guid, string, long?, long?, string)>();
        while (await reader.ReadAsync())
            result.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetString(4)));
        return result;
    }

    /// <summary>Every release of the case (deployed, rolled back, abandoned or open) against what it applies on.</summary>
    private static async Task AssertDiffsAsync(NpgsqlConnection connection, List<ReleaseState> releases, List<Version> versions, string ids, string context)
    {
        foreach (var release in releases)
            Assert.True(ExpectedDiff(releases, versions, release).SetEquals(await ActualDiffAsync(connection, release.Id, ids)),
                $"calculate_release_diff({release.Id}) ({release.Status}), {context}");
    }

    /// <summary>Writes a version of the entity into the release (translations and flags alternate by entity).</summary>
    private static async Task<Version> AddVersionAsync(NpgsqlConnection connection, int c, Guid[] entities, Guid entity, ReleaseState release, string tag, bool deleted)
    {
        var i = Array.IndexOf(entities, entity);
        var version = new Version(entity, release.Id, $"{tag}e{i}", deleted);
        var type = i % 2 == 0 ? "translation" : "feature_flag";
        await connection.ExecuteAsync($$"""
            INSERT INTO entity_versions (entity_id, entity_type, release_id, locale_id, entity_key, payload, is_deleted)
            VALUES ('{{entity}}', '{{type}}', {{release.Id}}, {{(type == "translation" ? "'en-GB'" : "NULL")}}, 'p{{c}}-{{i}}',
                    '{"value": "{{version.Tag}}", "enabled": true}', {{version.Deleted}})
            """);
        return version;
    }

    private static async Task DeployAsync(NpgsqlConnection connection, ReleaseState release)
    {
        await connection.SetSessionAsync(Editor);
        await connection.ExecuteAsync($"UPDATE releases SET status = 'IN_REVIEW' WHERE id = {release.Id}");
        await connection.SetSessionAsync(Manager);
        await connection.ExecuteAsync($"UPDATE releases SET status = 'APPROVED' WHERE id = {release.Id}");
        // The override keeps the test about the live state: stale bases are likely with random orders.
        release.Seq = await connection.ScalarAsync<long>(
            $"UPDATE releases SET status = 'DEPLOYED', override_reason = 'property test' WHERE id = {release.Id} RETURNING deploy_seq");
        release.Status = "DEPLOYED";
    }

    /// <summary>
    /// Brute force: per entity, the version of the deployed release with the highest deploy_seq. With
    /// <paramref name="rankAbove"/> the given release's version wins over all (v_entities' release context); without,
    /// the state as of that release (get_entities_for_release): deployed ones up to its seq, an undeployed one on top.
    /// </summary>
    private static HashSet<(Guid, string)> Expected(List<ReleaseState> releases, List<Version> versions, long? release, bool rankAbove = false)
    {
        var target = releases.SingleOrDefault(r => r.Id == release);
        var result = new HashSet<(Guid, string)>();
        foreach (var group in versions.GroupBy(v => v.EntityId))
        {
            Version? winner = null;
            if (target is not null && (rankAbove || target.Seq is null))
                winner = group.SingleOrDefault(v => v.ReleaseId == target.Id);
            winner ??= group
                .Select(v => (v, r: releases.Single(x => x.Id == v.ReleaseId)))
                .Where(x => x.r.Status == "DEPLOYED" && (rankAbove || target?.Seq is null || x.r.Seq <= target.Seq))
                .OrderByDescending(x => x.r.Seq)
                .Select(x => x.v)
                .FirstOrDefault();
            if (winner is { Deleted: false }) result.Add((winner.EntityId, winner.Tag));
        }
        return result;
    }

    /// <summary>
    /// Brute force of calculate_release_diff(R): each of R's versions against the entity's version in the deployed
    /// release (not R) with the highest deploy_seq, below R's own when R is deployed. Every version has its own
    /// value, so a modified entity's only changed path is $.value.
    /// </summary>
    private static HashSet<(Guid, string, long?, string)> ExpectedDiff(List<ReleaseState> releases, List<Version> versions, ReleaseState target)
    {
        var result = new HashSet<(Guid, string, long?, string)>();
        foreach (var version in versions.Where(v => v.ReleaseId == target.Id))
        {
            var previous = versions
                .Where(v => v.EntityId == version.EntityId && v.ReleaseId != target.Id)
                .Select(v => (v, r: releases.Single(x => x.Id == v.ReleaseId)))
                .Where(x => x.r.Status == "DEPLOYED" && (target.Seq is null || x.r.Seq < target.Seq))
                .OrderByDescending(x => x.r.Seq)
                .Select(x => x.v)
                .FirstOrDefault();
            if (version.Deleted)
            {
                if (previous is { Deleted: false }) result.Add((version.EntityId, "removed", previous.ReleaseId, ""));
            }
            else if (previous is null or { Deleted: true })
                result.Add((version.EntityId, "added", previous?.ReleaseId, ""));
            else
                result.Add((version.EntityId, "modified", previous.ReleaseId, "$.value"));
        }
        return result;
    }

    private static async Task<HashSet<(Guid, string, long?, string)>> ActualDiffAsync(NpgsqlConnection connection, long release, string ids)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT entity_id, change, old_release_id, array_to_string(changed_paths, ','), new_release_id
            FROM calculate_release_diff({release}) WHERE entity_id IN ({ids})
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new HashSet<(Guid, string, long?, string)>();
        while (await reader.ReadAsync())
        {
            Assert.Equal(release, reader.GetInt64(4));
            result.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetString(3)));
        }
        return result;
    }

    private static async Task<HashSet<(Guid, string)>> ActualAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var result = new HashSet<(Guid, string)>();
        while (await reader.ReadAsync()) result.Add((reader.GetGuid(0), reader.GetString(1)));
        return result;
    }
}

public sealed class LiveStatePropertyCases0To99(DatabaseFixture fixture) : LiveStatePropertyTests(fixture)
{
    protected override int FirstCase => 0;
}

public sealed class LiveStatePropertyCases100To199(DatabaseFixture fixture) : LiveStatePropertyTests(fixture)
{
    protected override int FirstCase => 100;
}

public sealed class LiveStatePropertyCases200To299(DatabaseFixture fixture) : LiveStatePropertyTests(fixture)
{
    protected override int FirstCase => 200;
}
