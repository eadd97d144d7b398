-- 20261206006000_ReleaseDiffIndex
-- The release page shows the diff of a 10,000-change release 50 rows at a time, yet reading a page cost 150-200 ms
-- idle and 600-1,000 ms on a loaded 2-core machine: most of the page's time to interactive. For every row the live
-- version was fetched (10,000 index probes) only to learn whether it was deleted, its name and slug, and every row's
-- two payloads travelled through the sort and the paging. Now:
-- * a base (entity_version_bases) also records its live version's release, deleted flag, name and slug. A deployed
--   version never changes (versions change only in a draft), so these hold as long as the base is fresh;
-- * release_diff_index(R) is the diff of R against what it applies on, without payloads: the version ids instead, a
--   live version fetched only for a row whose base is stale (as before);
-- * calculate_release_diff(R) is that index with the two payloads joined by id, so both keep one definition (the
--   property test checks it against brute force);
-- * release_changes(R, F) is what the release page pages: the index for R against live (payloads joined for the
--   page's rows only), or calculate_release_diff(R, F) against another release.

ALTER TABLE entity_version_bases
    ADD COLUMN base_release_id bigint,
    ADD COLUMN base_deleted    boolean,
    ADD COLUMN base_name       text,
    ADD COLUMN base_slug       text;

UPDATE entity_version_bases b
SET base_release_id = l.release_id, base_deleted = l.is_deleted, base_name = l.entity_name, base_slug = l.slug
FROM entity_versions l WHERE l.id = b.base_version_id;

-- As in migration ReleaseDiffBases, plus the live version's release, deleted flag, name and slug.
CREATE OR REPLACE FUNCTION entity_version_bases_refresh(p_versions bigint[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off SET enable_memoize = off AS $$
DECLARE
    epoch bigint;
    seq_of bigint[];
    release_at bigint[];
BEGIN
    IF cardinality(p_versions) IS NULL OR cardinality(p_versions) = 0 THEN RETURN; END IF;
    epoch := release_live_epoch();
    SELECT a.seq_of, a.release_at INTO seq_of, release_at FROM release_rank_arrays(NULL, NULL) a;
    INSERT INTO entity_version_bases AS b (version_id, release_id, live_epoch, base_version_id, changed_paths,
                                           base_release_id, base_deleted, base_name, base_slug)
    SELECT ev.id, ev.release_id, epoch, live.id,
           CASE WHEN NOT ev.is_deleted AND live.id IS NOT NULL AND NOT live.is_deleted
                THEN entity_changed_paths(live.slug, ev.slug, live.entity_name, ev.entity_name, live.parent_entity_id, ev.parent_entity_id,
                                          live.brand, ev.brand, live.jurisdiction, ev.jurisdiction, live.payload, ev.payload)
                ELSE '{}'::text[] END,
           live.release_id, live.is_deleted, live.entity_name, live.slug
    FROM entity_versions ev
    JOIN releases t ON t.id = ev.release_id AND t.deploy_seq IS NULL AND t.rolled_back_seq IS NULL
    CROSS JOIN LATERAL (
        SELECT max(seq_of[x.release_id]) AS deploy_seq FROM entity_versions x WHERE x.entity_id = ev.entity_id
    ) prev
    LEFT JOIN LATERAL (
        SELECT l.* FROM entity_versions l WHERE l.entity_id = ev.entity_id AND l.release_id = release_at[prev.deploy_seq] LIMIT 1
    ) live ON true
    WHERE ev.id = ANY (p_versions)
    ON CONFLICT (version_id) DO UPDATE
        SET release_id = excluded.release_id, live_epoch = excluded.live_epoch,
            base_version_id = excluded.base_version_id, changed_paths = excluded.changed_paths,
            base_release_id = excluded.base_release_id, base_deleted = excluded.base_deleted,
            base_name = excluded.base_name, base_slug = excluded.base_slug;
END $$;

-- What release R changes against what it applies on (the live state for an undeployed R, the state just before R's
-- deploy for a deployed one), in the diff's order, without payloads: old_version_id and new_version_id name the two
-- versions compared (NULL where that side has no entity).
CREATE FUNCTION release_diff_index(p_release bigint)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_slug text, new_slug text, old_version_id bigint, new_version_id bigint,
               old_release_id bigint, new_release_id bigint)
LANGUAGE plpgsql STABLE SET jit = off SET enable_memoize = off SET max_parallel_workers_per_gather = 0 SET work_mem = '32MB' AS $$
DECLARE
    target releases;
    arrays record;
    -- The oldest epoch among R's recorded bases (NULL: R has none).
    oldest bigint;
    -- Entities whose live version may have changed since `oldest`, with the latest such epoch; none: no join at all.
    stale_join text := 'CROSS JOIN (SELECT NULL::bigint AS epoch) s';
BEGIN
    SELECT * INTO target FROM releases WHERE id = p_release;
    IF NOT FOUND THEN RETURN; END IF;

    arrays := release_rank_arrays(target.id, target.deploy_seq);
    -- R's bases were recorded while R was open, against every deployed release but R. They still hold for the
    -- state R applies on unless another release touching the entity was deployed since (before R's own deploy, when R
    -- is deployed: later ones are not part of that state) or rolled back since.
    SELECT min(b.live_epoch) INTO oldest FROM entity_version_bases b WHERE b.release_id = p_release;
    IF EXISTS (SELECT 1 FROM releases c
               WHERE c.id <> target.id
                 AND ((c.deploy_seq > oldest AND (target.deploy_seq IS NULL OR c.deploy_seq < target.deploy_seq)) OR c.rolled_back_seq > oldest)) THEN
        stale_join := 'LEFT JOIN (
            SELECT x.entity_id, max(greatest(c.deploy_seq, c.rolled_back_seq)) AS epoch
            FROM releases c JOIN entity_versions x ON x.release_id = c.id
            WHERE c.id <> $1 AND ((c.deploy_seq > $2 AND ($5::bigint IS NULL OR c.deploy_seq < $5)) OR c.rolled_back_seq > $2)
            GROUP BY x.entity_id) s ON s.entity_id = ev.entity_id';
    END IF;

    -- A row is fresh when its base was recorded (with its live version's columns) and no release touching its entity
    -- was deployed or rolled back since; then the live version is the recorded base, its paths the recorded ones, and
    -- nothing else is read. Otherwise the live version is the entity's version with the highest deploy_seq R applies
    -- on (its index entries read index-only and ranked through the array), fetched, and compared.
    RETURN QUERY EXECUTE format($q$
    SELECT d.entity_id, d.entity_type, d.entity_key, d.locale_id, d.entity_name, d.change, d.paths,
           d.old_slug, d.new_slug, d.old_version_id, d.new_version_id, d.old_release_id, d.new_release_id
    FROM (
        SELECT ev.entity_id, ev.entity_type, ev.entity_key, ev.locale_id,
               CASE WHEN ev.is_deleted THEN coalesce(live.entity_name, ev.entity_name) ELSE ev.entity_name END AS entity_name,
               CASE WHEN ev.is_deleted THEN CASE WHEN live.id IS NULL OR live.is_deleted THEN NULL ELSE 'removed' END
                    WHEN live.id IS NULL OR live.is_deleted THEN 'added'
                    ELSE 'modified' END AS change,
               CASE WHEN ev.is_deleted OR live.id IS NULL OR live.is_deleted THEN '{}'::text[]
                    WHEN f.fresh THEN b.changed_paths
                    ELSE entity_changed_paths(live.slug, ev.slug, live.entity_name, ev.entity_name, live.parent_entity_id, ev.parent_entity_id,
                                              live.brand, ev.brand, live.jurisdiction, ev.jurisdiction, live.payload, ev.payload)
                    END AS paths,
               CASE WHEN live.is_deleted THEN NULL ELSE live.slug END AS old_slug,
               CASE WHEN ev.is_deleted THEN NULL ELSE ev.slug END AS new_slug,
               CASE WHEN live.is_deleted THEN NULL ELSE live.id END AS old_version_id,
               CASE WHEN ev.is_deleted THEN NULL ELSE ev.id END AS new_version_id,
               live.release_id AS old_release_id, ev.release_id AS new_release_id
        FROM entity_versions ev
        LEFT JOIN entity_version_bases b ON b.version_id = ev.id AND $2 IS NOT NULL
        %s
        CROSS JOIN LATERAL (
            SELECT b.version_id IS NOT NULL AND (s.epoch IS NULL OR s.epoch <= b.live_epoch)
                   AND (b.base_version_id IS NULL OR b.base_deleted IS NOT NULL) AS fresh
        ) f
        LEFT JOIN LATERAL (
            SELECT max(($3)[x.release_id]) AS deploy_seq FROM entity_versions x WHERE x.entity_id = ev.entity_id AND NOT f.fresh
        ) prev ON true
        LEFT JOIN LATERAL (
            SELECT b.base_version_id AS id, b.base_release_id AS release_id, b.base_deleted AS is_deleted, b.base_name AS entity_name,
                   b.base_slug AS slug, NULL::uuid AS parent_entity_id, NULL::text AS brand, NULL::text AS jurisdiction, NULL::jsonb AS payload
            WHERE f.fresh AND b.base_version_id IS NOT NULL
            UNION ALL
            SELECT l.id, l.release_id, l.is_deleted, l.entity_name, l.slug, l.parent_entity_id, l.brand, l.jurisdiction, l.payload
            FROM entity_versions l WHERE NOT f.fresh AND l.entity_id = ev.entity_id AND l.release_id = ($4)[prev.deploy_seq]
            LIMIT 1
        ) live ON true
        WHERE ev.release_id = $1
        -- A fence: the paths are computed here once per row, not again in the filter below.
        OFFSET 0
    ) d
    WHERE d.change IS NOT NULL AND (d.change <> 'modified' OR cardinality(d.paths) > 0)
    ORDER BY d.entity_type COLLATE "C", d.entity_name COLLATE "C", d.entity_id
    $q$, stale_join) USING p_release, oldest, arrays.seq_of, arrays.release_at, target.deploy_seq;
END $$;
GRANT EXECUTE ON FUNCTION release_diff_index(bigint) TO admin_app;

-- Without p_from, the index with its payloads; with p_from, as in migration ReleaseDiffBases.
CREATE OR REPLACE FUNCTION calculate_release_diff(p_release bigint, p_from bigint DEFAULT NULL)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_slug text, new_slug text, old_payload jsonb, new_payload jsonb,
               old_release_id bigint, new_release_id bigint)
LANGUAGE plpgsql STABLE SET jit = off SET enable_memoize = off SET max_parallel_workers_per_gather = 0 SET work_mem = '32MB' AS $$
DECLARE
    target releases;
    source releases;
    new_seq_of bigint[];
    old_seq_of bigint[];
    release_at bigint[];
BEGIN
    IF p_from IS NULL THEN
        RETURN QUERY
        SELECT i.entity_id, i.entity_type, i.entity_key, i.locale_id, i.entity_name, i.change, i.changed_paths, i.old_slug, i.new_slug,
               o.payload, n.payload, i.old_release_id, i.new_release_id
        FROM release_diff_index(p_release) WITH ORDINALITY
             AS i(entity_id, entity_type, entity_key, locale_id, entity_name, change, changed_paths, old_slug, new_slug,
                  old_version_id, new_version_id, old_release_id, new_release_id, ord)
        LEFT JOIN entity_versions o ON o.id = i.old_version_id
        LEFT JOIN entity_versions n ON n.id = i.new_version_id
        ORDER BY i.ord;
        RETURN;
    END IF;

    SELECT * INTO target FROM releases WHERE id = p_release;
    IF NOT FOUND THEN RETURN; END IF;
    SELECT * INTO source FROM releases WHERE id = p_from;
    IF NOT FOUND THEN RETURN; END IF;
    -- The state as of X is, per entity, X's own version when X is not deployed, else the version of the deployed
    -- release with the highest deploy_seq up to X's (any, for an undeployed X). Only entities changed by a release
    -- deployed between the two states' cut-offs, or by an undeployed R or F itself, can differ; each of those is
    -- ranked in both states through the arrays, the rest is not read at all.
    SELECT a.seq_of, a.release_at INTO new_seq_of, release_at FROM release_rank_arrays(NULL, target.deploy_seq + 1) a;
    SELECT a.seq_of INTO old_seq_of FROM release_rank_arrays(NULL, source.deploy_seq + 1) a;
    RETURN QUERY
    WITH candidates AS (
        SELECT v.entity_id FROM releases c JOIN entity_versions v ON v.release_id = c.id
        WHERE c.deploy_seq > least(target.deploy_seq, source.deploy_seq)
          AND (target.deploy_seq IS NULL OR source.deploy_seq IS NULL OR c.deploy_seq <= greatest(target.deploy_seq, source.deploy_seq))
        UNION
        SELECT v.entity_id FROM entity_versions v
        WHERE (v.release_id = target.id AND target.deploy_seq IS NULL) OR (v.release_id = source.id AND source.deploy_seq IS NULL)
    ), states AS MATERIALIZED (
        -- Both states' deployed version in one index-only pass over the entity's versions.
        SELECT c.entity_id, r.new_seq, r.old_seq
        FROM candidates c
        CROSS JOIN LATERAL (
            SELECT max(new_seq_of[x.release_id]) AS new_seq, max(old_seq_of[x.release_id]) AS old_seq
            FROM entity_versions x WHERE x.entity_id = c.entity_id
        ) r
    )
    SELECT coalesce(n.entity_id, o.entity_id), coalesce(n.entity_type, o.entity_type), coalesce(n.entity_key, o.entity_key),
           coalesce(n.locale_id, o.locale_id), coalesce(n.entity_name, o.entity_name),
           CASE WHEN o.entity_id IS NULL THEN 'added' WHEN n.entity_id IS NULL THEN 'removed' ELSE 'modified' END,
           CASE WHEN o.entity_id IS NOT NULL AND n.entity_id IS NOT NULL
                THEN entity_changed_paths(o.slug, n.slug, o.entity_name, n.entity_name, o.parent_entity_id, n.parent_entity_id,
                                          o.brand, n.brand, o.jurisdiction, n.jurisdiction, o.payload, n.payload)
                ELSE '{}'::text[] END,
           o.slug, n.slug, o.payload, n.payload, o.release_id, n.release_id
    -- Each state's version: an undeployed release's own version first, else the deployed one; a deleted version
    -- means the entity is absent from that state.
    FROM states s
    LEFT JOIN LATERAL (
        SELECT w.* FROM (
            SELECT v.* FROM entity_versions v
            WHERE v.entity_id = s.entity_id AND v.release_id IN (CASE WHEN target.deploy_seq IS NULL THEN target.id END, release_at[s.new_seq])
            ORDER BY v.release_id = target.id DESC LIMIT 1) w
        WHERE NOT w.is_deleted
    ) n ON true
    LEFT JOIN LATERAL (
        SELECT w.* FROM (
            SELECT v.* FROM entity_versions v
            WHERE v.entity_id = s.entity_id AND v.release_id IN (CASE WHEN source.deploy_seq IS NULL THEN source.id END, release_at[s.old_seq])
            ORDER BY v.release_id = source.id DESC LIMIT 1) w
        WHERE NOT w.is_deleted
    ) o ON true
    WHERE (n.id IS NOT NULL OR o.id IS NOT NULL) AND o.id IS DISTINCT FROM n.id
      AND (o.id IS NULL OR n.id IS NULL
           OR (o.slug, o.entity_name, o.parent_entity_id, o.brand, o.jurisdiction, o.payload)
              IS DISTINCT FROM (n.slug, n.entity_name, n.parent_entity_id, n.brand, n.jurisdiction, n.payload))
    ORDER BY coalesce(n.entity_type, o.entity_type) COLLATE "C", coalesce(n.entity_name, o.entity_name) COLLATE "C", 1;
END $$;

-- The rows the release page pages: R against live as the index (payloads NULL: the page joins them for its own rows
-- by the version ids), or R against release p_from with payloads (no version ids).
CREATE FUNCTION release_changes(p_release bigint, p_from bigint)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_slug text, new_slug text, old_version_id bigint, new_version_id bigint,
               old_payload jsonb, new_payload jsonb, old_release_id bigint, new_release_id bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_from IS NULL THEN
        RETURN QUERY
        SELECT i.entity_id, i.entity_type, i.entity_key, i.locale_id, i.entity_name, i.change, i.changed_paths, i.old_slug, i.new_slug,
               i.old_version_id, i.new_version_id, NULL::jsonb, NULL::jsonb, i.old_release_id, i.new_release_id
        FROM release_diff_index(p_release) i;
    ELSE
        RETURN QUERY
        SELECT d.entity_id, d.entity_type, d.entity_key, d.locale_id, d.entity_name, d.change, d.changed_paths, d.old_slug, d.new_slug,
               NULL::bigint, NULL::bigint, d.old_payload, d.new_payload, d.old_release_id, d.new_release_id
        FROM calculate_release_diff(p_release, p_from) d;
    END IF;
END $$;
GRANT EXECUTE ON FUNCTION release_changes(bigint, bigint) TO admin_app;
