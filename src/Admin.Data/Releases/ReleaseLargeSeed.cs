using Npgsql;

namespace Admin.Data.Releases;

/// <summary>
/// The large release data set for benchmarks and `./admin seed --scale large`: 100,000 entities (60% translations in
/// six locales, 10% each flags, settings, pages, articles) with about 1,000,000 versions over 2,000 releases: 1,990
/// deployed ones, a release in review with 10,000 changes, one with 100 changes, and a few open ones that
/// overlap them (parallel work). Generated in SQL (generate_series), triggers off for the bulk insert (so no million
/// audit rows), as the schema owner. Idempotent: skipped when the bulk releases exist.
/// </summary>
public static class ReleaseLargeSeed
{
    public const string BigReleaseName = "Large: 10,000 changes";
    public const string SmallReleaseName = "Large: 100 changes";
    public const int Entities = 100_000;
    public const int DeployedReleases = 1_990;

    public static async Task<int> SeedAsync(NpgsqlConnection owner, CancellationToken ct = default)
    {
        await using var transaction = await owner.BeginTransactionAsync(ct);
        await ReleaseSeeder.ExecAsync(owner, "SELECT pg_advisory_xact_lock(hashtext('release-seed'))", ct);
        if (await ReleaseSeeder.ScalarAsync<bool>(owner, $"SELECT EXISTS (SELECT 1 FROM releases WHERE name = '{BigReleaseName}')", ct)) return 0;

        await ReleaseSeeder.ExecAsync(owner, $$"""
            ALTER TABLE releases DISABLE TRIGGER USER;
            ALTER TABLE entity_versions DISABLE TRIGGER USER;

            CREATE TEMP TABLE bulk_releases (n int PRIMARY KEY, id bigint NOT NULL) ON COMMIT DROP;
            WITH inserted AS (
                INSERT INTO releases (name, description, status, deploy_seq, base_deploy_seq, author_email, approver_email, deployer_email,
                                      created_at, submitted_at, approved_at, deployed_at)
                SELECT 'Bulk release ' || g, 'Generated for the benchmarks', 'DEPLOYED', nextval('release_deploy_seq'), 0,
                       (ARRAY['editor@admin.local', 'admin@admin.local'])[1 + g % 2], 'release@admin.local', 'release@admin.local',
                       now() - make_interval(hours => {{DeployedReleases}} - g + 2), now() - make_interval(hours => {{DeployedReleases}} - g + 1),
                       now() - make_interval(hours => {{DeployedReleases}} - g + 1), now() - make_interval(hours => {{DeployedReleases}} - g)
                FROM generate_series(1, {{DeployedReleases}}) g
                ORDER BY g
                RETURNING id, name)
            INSERT INTO bulk_releases SELECT substring(name FROM 14)::int, id FROM inserted;

            -- Version v of entity e goes to bulk release 1 + (e*37 + v*211) mod 1990: distinct releases per entity.
            CREATE TEMP TABLE bulk_entities ON COMMIT DROP AS
            SELECT e,
                   md5('release-entity-' || e)::uuid AS id,
                   CASE WHEN e % 10 < 6 THEN 'translation' WHEN e % 10 = 6 THEN 'feature_flag' WHEN e % 10 = 7 THEN 'setting'
                        WHEN e % 10 = 8 THEN 'page' ELSE 'article' END AS type,
                   (ARRAY['en-GB', 'en-US', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL'])[1 + e % 6] AS locale,
                   (ARRAY['acme', 'globex', 'initech'])[1 + e % 3] AS brand
            FROM generate_series(1, {{Entities}}) e;

            INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, jurisdiction, locale_id, slug, entity_key, entity_name, payload, is_deleted)
            SELECT be.id, be.type, br.id,
                   CASE WHEN be.type IN ('page', 'article', 'setting') THEN be.brand END,
                   NULL,
                   CASE WHEN be.type IN ('translation', 'page', 'article') THEN be.locale END,
                   CASE WHEN be.type IN ('page', 'article') THEN be.type || 's/item-' || be.e END,
                   CASE WHEN be.type IN ('translation', 'feature_flag', 'setting') THEN 'bulk.' || be.type || '.' || be.e END,
                   CASE WHEN be.type IN ('page', 'article') THEN 'Item ' || be.e || ' v' || v ELSE 'bulk.' || be.type || '.' || be.e END,
                   CASE be.type
                       WHEN 'translation' THEN jsonb_build_object('value', 'Text ' || be.e || ' version ' || v)
                       WHEN 'feature_flag' THEN jsonb_build_object('enabled', v % 2 = 0, 'rules', jsonb_build_object('percentage', (v * 10) % 101))
                       WHEN 'setting' THEN jsonb_build_object('value', v * 60)
                       ELSE jsonb_build_object('title', 'Item ' || be.e || ' v' || v, 'body', '<p>Body of item ' || be.e || ', version ' || v || '.</p>')
                   END,
                   -- A few entities end deleted (their last version).
                   v = 10 AND be.e % 97 = 0
            FROM bulk_entities be
            CROSS JOIN generate_series(1, 10) v
            JOIN bulk_releases br ON br.n = 1 + (be.e * 37 + v * 211) % {{DeployedReleases}}
            WHERE v <= 9 OR be.e % 10 <> 0
            -- Deterministic order of release numbers per entity: deploy order decides which version is live.
            ;

            CREATE TEMP TABLE open_releases (name text PRIMARY KEY, id bigint) ON COMMIT DROP;
            WITH inserted AS (
                INSERT INTO releases (name, description, status, base_deploy_seq, author_email, author_id, approver_email, approver_id,
                                      submitted_at, approved_at)
                SELECT n, d, s, (SELECT max(deploy_seq) FROM releases), 'editor@admin.local', '00000000-0000-0000-0000-00000000e001',
                       CASE WHEN s = 'APPROVED' THEN 'release@admin.local' END, CASE WHEN s = 'APPROVED' THEN '00000000-0000-0000-0000-00000000b001'::uuid END,
                       CASE WHEN s <> 'DRAFT' THEN now() END, CASE WHEN s = 'APPROVED' THEN now() END
                FROM (VALUES ('{{BigReleaseName}}', 'Every 10th entity changed', 'IN_REVIEW'),
                             ('{{SmallReleaseName}}', '100 entities changed', 'IN_REVIEW'),
                             ('Large: open draft A', 'Overlaps the big release', 'DRAFT'),
                             ('Large: open draft B', 'Overlaps the big release', 'DRAFT'),
                             ('Large: in review', 'Overlaps the big release', 'IN_REVIEW'),
                             ('Large: abandoned', 'Nothing to see', 'ABANDONED'),
                             ('Large: draft C', 'Small draft', 'DRAFT'),
                             ('Large: draft D', 'Small draft', 'DRAFT')) AS o(n, d, s)
                RETURNING id, name)
            INSERT INTO open_releases SELECT name, id FROM inserted;

            -- The big release: every 10th entity (10,000) gets a new value; the small one: every 1000th (100).
            INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, entity_key, entity_name, payload)
            SELECT be.id, be.type, o.id,
                   CASE WHEN be.type IN ('page', 'article', 'setting') THEN be.brand END,
                   CASE WHEN be.type IN ('translation', 'page', 'article') THEN be.locale END,
                   CASE WHEN be.type IN ('page', 'article') THEN be.type || 's/item-' || be.e END,
                   CASE WHEN be.type IN ('translation', 'feature_flag', 'setting') THEN 'bulk.' || be.type || '.' || be.e END,
                   CASE WHEN be.type IN ('page', 'article') THEN 'Item ' || be.e || ' ' || t.label ELSE 'bulk.' || be.type || '.' || be.e END,
                   CASE be.type
                       WHEN 'translation' THEN jsonb_build_object('value', t.label || ' release text ' || be.e)
                       WHEN 'feature_flag' THEN jsonb_build_object('enabled', t.label = 'big', 'rules', jsonb_build_object('percentage', t.number))
                       WHEN 'setting' THEN jsonb_build_object('value', t.number)
                       ELSE jsonb_build_object('title', 'Item ' || be.e || ' ' || t.label, 'body', '<p>Rewritten by the ' || t.label || ' release.</p>')
                   END
            FROM (VALUES ('{{BigReleaseName}}', 10, 3, 'big', 42), ('{{SmallReleaseName}}', 1000, 7, 'small', 7)) AS t(name, modulus, remainder, label, number)
            JOIN open_releases o ON o.name = t.name
            JOIN bulk_entities be ON be.e % t.modulus = t.remainder;

            -- Open releases overlapping the big one: parallel-work warnings for its conflict check.
            INSERT INTO entity_versions (entity_id, entity_type, release_id, brand, locale_id, slug, entity_key, entity_name, payload)
            SELECT be.id, be.type, o.id,
                   CASE WHEN be.type IN ('page', 'article', 'setting') THEN be.brand END,
                   CASE WHEN be.type IN ('translation', 'page', 'article') THEN be.locale END,
                   CASE WHEN be.type IN ('page', 'article') THEN be.type || 's/item-' || be.e END,
                   CASE WHEN be.type IN ('translation', 'feature_flag', 'setting') THEN 'bulk.' || be.type || '.' || be.e END,
                   'bulk ' || be.e,
                   CASE be.type WHEN 'translation' THEN jsonb_build_object('value', o.name || ' ' || be.e)
                                WHEN 'feature_flag' THEN jsonb_build_object('enabled', true)
                                WHEN 'setting' THEN jsonb_build_object('value', 1)
                                ELSE jsonb_build_object('title', o.name, 'body', '<p>x</p>') END
            FROM open_releases o
            JOIN bulk_entities be ON be.e % 10 = 3 AND be.e % (CASE WHEN o.name LIKE '%draft A' THEN 500 WHEN o.name LIKE '%draft B' THEN 700 ELSE 900 END) = 3
            WHERE o.name IN ('Large: open draft A', 'Large: open draft B', 'Large: in review');

            UPDATE releases SET closed_at = now(), close_reason = 'Generated' WHERE name = 'Large: abandoned';

            -- What the triggers would have recorded for each change of the open releases: its base in the live state.
            SELECT entity_version_bases_refresh(ARRAY(SELECT ev.id FROM entity_versions ev JOIN open_releases o ON o.id = ev.release_id));

            ALTER TABLE releases ENABLE TRIGGER USER;
            ALTER TABLE entity_versions ENABLE TRIGGER USER;
            """, ct);
        await transaction.CommitAsync(ct);
        // Sets hint bits and the visibility map once, so the first readers get index-only scans instead of doing it.
        await ReleaseSeeder.ExecAsync(owner, "VACUUM (ANALYZE) entity_versions", ct);
        await ReleaseSeeder.ExecAsync(owner, "VACUUM (ANALYZE) releases", ct);
        await ReleaseSeeder.ExecAsync(owner, "VACUUM (ANALYZE) entity_version_bases", ct);
        return DeployedReleases + 8;
    }
}
