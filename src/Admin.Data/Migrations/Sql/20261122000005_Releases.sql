-- 20261122000005_Releases
-- Releases bundle versions of content entities (pages, articles, translations, feature flags, settings). The live
-- state is, per entity, the version from the DEPLOYED release with the highest deploy_seq; deploying and rolling back
-- only move a release's status and deploy_seq, so both cost the same whatever the release's size.
-- Rules live here (triggers), not only in the app: a change from plain SQL is checked and audited the same way.

-- ---------------------------------------------------------------------------------------------------------
-- Releases
-- ---------------------------------------------------------------------------------------------------------
-- deploy_seq comes from this sequence, taken under the deploy lock: two concurrent deploys can never share one.
CREATE SEQUENCE release_deploy_seq AS bigint;

CREATE TABLE releases (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text NOT NULL,
    description           text NOT NULL DEFAULT '',
    status                text NOT NULL DEFAULT 'DRAFT',
    deploy_seq            bigint,
    -- The live deploy_seq when the release was started (or last rebased): a later deploy touching the same entity
    -- makes this release's version of it stale.
    base_deploy_seq       bigint NOT NULL DEFAULT 0,
    author_id             uuid,
    author_email          text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    submitted_at          timestamptz,
    approver_id           uuid,
    approver_email        text,
    approved_at           timestamptz,
    deployer_id           uuid,
    deployer_email        text,
    deployed_at           timestamptz,
    override_reason       text,
    closed_by_id          uuid,
    closed_by_email       text,
    closed_at             timestamptz,
    close_reason          text,
    -- A rollback also takes a number from release_deploy_seq: together with deploy_seq it tells whether the live
    -- state changed since a moment (release_live_epoch()).
    rolled_back_seq       bigint,
    -- The blocking-conflict count computed at approval and the live epoch it was computed on. An approved release
    -- cannot change, so while the epoch is the same at deploy time the count still holds and the deploy skips the
    -- re-check (constant time whatever the release's size); otherwise it checks again.
    checked_epoch         bigint,
    checked_blocking      int,
    CONSTRAINT releases_name_required CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    CONSTRAINT releases_description_length CHECK (length(description) <= 4000),
    CONSTRAINT releases_status_valid CHECK (status IN ('DRAFT', 'IN_REVIEW', 'APPROVED', 'DEPLOYED', 'ABANDONED', 'ROLLED_BACK')),
    CONSTRAINT releases_deploy_seq_status CHECK ((status = 'DEPLOYED') = (deploy_seq IS NOT NULL)),
    CONSTRAINT releases_rollback_reason CHECK (status <> 'ROLLED_BACK' OR length(btrim(close_reason)) > 0)
);

-- Unique: the live state's ordering key. Serves "highest deployed", max(deploy_seq) and deploy_seq > base lookups.
CREATE UNIQUE INDEX idx_releases_deploy_seq ON releases (deploy_seq) WHERE deploy_seq IS NOT NULL;
CREATE INDEX releases_open_idx ON releases (id) WHERE status IN ('DRAFT', 'IN_REVIEW', 'APPROVED');
CREATE INDEX releases_rolled_back_seq_idx ON releases (rolled_back_seq) WHERE rolled_back_seq IS NOT NULL;

-- Grows with every deploy and every rollback (both take a number from release_deploy_seq).
CREATE FUNCTION release_live_epoch() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT greatest((SELECT max(deploy_seq) FROM releases), (SELECT max(rolled_back_seq) FROM releases), 0)
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Entity versions
-- ---------------------------------------------------------------------------------------------------------
-- The name under which an entity's uniqueness rule applies (NULL: none). Used by the collision checks.
CREATE FUNCTION entity_natural_key(p_type text, p_brand text, p_jurisdiction text, p_locale text, p_slug text, p_key text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN p_type IN ('page', 'article') THEN 'slug ' || coalesce(p_brand, '*') || '/' || coalesce(p_jurisdiction, '*') || '/' || coalesce(p_locale, '*') || '/' || p_slug
        WHEN p_type = 'translation' THEN 'translation ' || p_locale || '/' || p_key
        WHEN p_type = 'feature_flag' THEN 'flag ' || p_key
    END
$$;

CREATE TABLE entity_versions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity_id        uuid NOT NULL,
    entity_type      text NOT NULL,
    release_id       bigint NOT NULL REFERENCES releases (id),
    brand            text REFERENCES brands (slug),
    jurisdiction     text REFERENCES jurisdictions (code),
    locale_id        text REFERENCES locales (code),
    slug             text,
    entity_key       text,
    entity_name      text NOT NULL DEFAULT '',
    payload          jsonb NOT NULL DEFAULT '{}',
    parent_entity_id uuid,
    is_deleted       boolean NOT NULL DEFAULT false,
    -- Stored so the collision checks compare one indexed column (index-only lookups) instead of an expression.
    natural_key      text GENERATED ALWAYS AS (entity_natural_key(entity_type, brand, jurisdiction, locale_id, slug, entity_key)) STORED,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       uuid,
    updated_by_email text,
    CONSTRAINT entity_versions_type_valid CHECK (entity_type IN ('page', 'article', 'translation', 'feature_flag', 'setting')),
    CONSTRAINT entity_versions_payload_object CHECK (jsonb_typeof(payload) = 'object'),
    CONSTRAINT entity_versions_payload_size CHECK (octet_length(payload::text) <= 262144),
    CONSTRAINT entity_versions_slug_format CHECK (slug IS NULL OR slug ~ '^[a-z0-9][a-z0-9/-]{0,199}$'),
    CONSTRAINT entity_versions_key_format CHECK (entity_key IS NULL OR entity_key ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$'),
    CONSTRAINT entity_versions_key_required CHECK (entity_type NOT IN ('translation', 'feature_flag', 'setting') OR entity_key IS NOT NULL),
    CONSTRAINT entity_versions_locale_required CHECK (entity_type <> 'translation' OR locale_id IS NOT NULL),
    CONSTRAINT entity_versions_slug_required CHECK (entity_type NOT IN ('page', 'article') OR slug IS NOT NULL),
    CONSTRAINT entity_versions_not_own_parent CHECK (parent_entity_id IS DISTINCT FROM entity_id),
    -- One version of an entity per release; also the entity's index for live-version and history lookups.
    CONSTRAINT idx_entity_versions_entity_release UNIQUE (entity_id, release_id)
);

-- The content uniqueness rules, per release (deleted versions do not count).
CREATE UNIQUE INDEX entity_versions_slug_unique ON entity_versions (release_id, brand, jurisdiction, locale_id, slug) NULLS NOT DISTINCT
    WHERE entity_type IN ('page', 'article') AND NOT is_deleted;
CREATE UNIQUE INDEX entity_versions_translation_unique ON entity_versions (release_id, entity_key, locale_id)
    WHERE entity_type = 'translation' AND NOT is_deleted;
CREATE UNIQUE INDEX entity_versions_flag_unique ON entity_versions (release_id, entity_key)
    WHERE entity_type = 'feature_flag' AND NOT is_deleted;

-- v_entities' DISTINCT ON order: a type+key+locale lookup reads only that entity's versions.
CREATE INDEX entity_versions_lookup_idx ON entity_versions (entity_type, entity_key, locale_id, entity_id);
CREATE INDEX entity_versions_release_idx ON entity_versions (release_id, entity_id);
CREATE INDEX idx_entity_versions_parent ON entity_versions (parent_entity_id) WHERE parent_entity_id IS NOT NULL;
CREATE INDEX idx_entity_versions_translation_payload_gin ON entity_versions USING gin (payload jsonb_path_ops) WHERE entity_type = 'translation';
CREATE INDEX entity_versions_slug_idx ON entity_versions (slug) WHERE slug IS NOT NULL;
CREATE INDEX entity_versions_deleted_idx ON entity_versions (entity_id) WHERE is_deleted;


-- ---------------------------------------------------------------------------------------------------------
-- Release context: "live as if release R were deployed" for this session (or transaction).
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION active_release_id() RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.release_id', true), '')::bigint $$;

CREATE FUNCTION set_active_release(p_release bigint, p_local boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    IF p_release IS NOT NULL AND NOT EXISTS (SELECT 1 FROM releases WHERE id = p_release) THEN
        RAISE EXCEPTION 'Release % does not exist.', p_release USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'releases_context_exists';
    END IF;
    PERFORM set_config('app.release_id', coalesce(p_release::text, ''), p_local);
    RETURN p_release;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Live state. DISTINCT ON over (type, key, locale, entity): type, key and locale are fixed for an entity's life
-- (entity_versions_identity trigger), so a filter on them is pushed into the subquery and a lookup reads only the
-- matching entities' versions; the release-context release ranks above every deployed one. No anti-join.
-- ---------------------------------------------------------------------------------------------------------
CREATE VIEW v_entity_heads AS
SELECT DISTINCT ON (ev.entity_type, ev.entity_key, ev.locale_id, ev.entity_id)
       ev.entity_id, ev.entity_type, ev.entity_key, ev.locale_id, ev.brand, ev.jurisdiction, ev.slug, ev.entity_name,
       ev.payload, ev.parent_entity_id, ev.is_deleted, ev.id AS version_id, ev.release_id, r.name AS release_name,
       r.deploy_seq, ev.updated_at, ev.updated_by_email
FROM entity_versions ev
JOIN releases r ON r.id = ev.release_id
WHERE r.status = 'DEPLOYED' OR r.id = active_release_id()
ORDER BY ev.entity_type, ev.entity_key, ev.locale_id, ev.entity_id, (r.id = active_release_id()) DESC, r.deploy_seq DESC NULLS LAST;

CREATE VIEW v_entities AS
SELECT entity_id, entity_type, entity_key, locale_id, brand, jurisdiction, slug, entity_name, payload, parent_entity_id,
       version_id, release_id, release_name, deploy_seq, updated_at, updated_by_email
FROM v_entity_heads
WHERE NOT is_deleted;

CREATE VIEW v_active_translations AS
SELECT entity_id, entity_key, locale_id, brand, jurisdiction, payload ->> 'value' AS value, release_id, deploy_seq
FROM v_entities
WHERE entity_type = 'translation';

-- The state as of release R: for a deployed R, what was live right after R's deploy; for any other R, the live
-- state with R's changes on top. Deleted entities are left out.
CREATE FUNCTION get_entities_for_release(p_release bigint)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, brand text, jurisdiction text, slug text,
               entity_name text, payload jsonb, parent_entity_id uuid, version_id bigint, release_id bigint, deploy_seq bigint)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH target AS (SELECT id, deploy_seq FROM releases WHERE id = p_release)
    SELECT h.entity_id, h.entity_type, h.entity_key, h.locale_id, h.brand, h.jurisdiction, h.slug, h.entity_name, h.payload,
           h.parent_entity_id, h.version_id, h.release_id, h.deploy_seq
    FROM (
        SELECT DISTINCT ON (ev.entity_id) ev.*, ev.id AS version_id, r.deploy_seq
        FROM target t
        JOIN releases r ON (r.status = 'DEPLOYED' AND (t.deploy_seq IS NULL OR r.deploy_seq <= t.deploy_seq)) OR r.id = t.id
        JOIN entity_versions ev ON ev.release_id = r.id
        ORDER BY ev.entity_id, (r.id = t.id) DESC, r.deploy_seq DESC NULLS LAST
    ) h
    WHERE NOT h.is_deleted
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Diff
-- ---------------------------------------------------------------------------------------------------------
-- JSON paths ($.a.b) whose values differ between two documents; objects are compared key by key.
CREATE FUNCTION jsonb_changed_paths(a jsonb, b jsonb, prefix text DEFAULT '$') RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    result text[] := '{}';
    k text;
BEGIN
    IF a IS NOT DISTINCT FROM b THEN RETURN result; END IF;
    IF jsonb_typeof(a) = 'object' AND jsonb_typeof(b) = 'object' THEN
        FOR k IN SELECT x FROM jsonb_object_keys(a) x UNION SELECT y FROM jsonb_object_keys(b) y ORDER BY 1 LOOP
            IF (a -> k) IS DISTINCT FROM (b -> k) THEN
                result := result || jsonb_changed_paths(a -> k, b -> k, prefix || '.' || k);
            END IF;
        END LOOP;
        RETURN result;
    END IF;
    RETURN ARRAY[prefix];
END $$;

-- The paths (columns and payload paths) that differ between two versions of an entity.
CREATE FUNCTION entity_changed_paths(
    old_slug text, new_slug text, old_name text, new_name text, old_parent uuid, new_parent uuid,
    old_brand text, new_brand text, old_jurisdiction text, new_jurisdiction text, old_payload jsonb, new_payload jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_remove(ARRAY[
               CASE WHEN old_slug IS DISTINCT FROM new_slug THEN 'slug' END,
               CASE WHEN old_name IS DISTINCT FROM new_name THEN 'name' END,
               CASE WHEN old_parent IS DISTINCT FROM new_parent THEN 'parent' END,
               CASE WHEN old_brand IS DISTINCT FROM new_brand THEN 'brand' END,
               CASE WHEN old_jurisdiction IS DISTINCT FROM new_jurisdiction THEN 'jurisdiction' END], NULL)
           || jsonb_changed_paths(old_payload, new_payload)
$$;

-- What release R changes, or (with p_from) how the state as of R differs from the state as of p_from.
-- Without p_from, R is compared with what it is applied on: the live state for an undeployed R, the state just
-- before R's deploy for a deployed one. change is 'added', 'modified' (with changed_paths) or 'removed'.
CREATE FUNCTION calculate_release_diff(p_release bigint, p_from bigint DEFAULT NULL)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_slug text, new_slug text, old_payload jsonb, new_payload jsonb,
               old_release_id bigint, new_release_id bigint)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    target releases;
BEGIN
    SELECT * INTO target FROM releases WHERE id = p_release;
    IF NOT FOUND THEN RETURN; END IF;

    IF p_from IS NOT NULL THEN
        RETURN QUERY
        SELECT coalesce(n.entity_id, o.entity_id), coalesce(n.entity_type, o.entity_type), coalesce(n.entity_key, o.entity_key),
               coalesce(n.locale_id, o.locale_id), coalesce(n.entity_name, o.entity_name),
               CASE WHEN o.entity_id IS NULL THEN 'added' WHEN n.entity_id IS NULL THEN 'removed' ELSE 'modified' END,
               CASE WHEN o.entity_id IS NOT NULL AND n.entity_id IS NOT NULL
                    THEN entity_changed_paths(o.slug, n.slug, o.entity_name, n.entity_name, o.parent_entity_id, n.parent_entity_id,
                                              o.brand, n.brand, o.jurisdiction, n.jurisdiction, o.payload, n.payload)
                    ELSE '{}'::text[] END,
               o.slug, n.slug, o.payload, n.payload, o.release_id, n.release_id
        FROM get_entities_for_release(p_from) o
        FULL JOIN get_entities_for_release(p_release) n ON n.entity_id = o.entity_id
        WHERE o.version_id IS DISTINCT FROM n.version_id
          AND (o.entity_id IS NULL OR n.entity_id IS NULL
               OR (o.slug, o.entity_name, o.parent_entity_id, o.brand, o.jurisdiction, o.payload)
                  IS DISTINCT FROM (n.slug, n.entity_name, n.parent_entity_id, n.brand, n.jurisdiction, n.payload))
        ORDER BY 2, 5, 1;
        RETURN;
    END IF;

    RETURN QUERY
    SELECT d.entity_id, d.entity_type, d.entity_key, d.locale_id, d.entity_name, d.change, d.paths,
           d.old_slug, d.new_slug, d.old_payload, d.new_payload, d.old_release_id, d.new_release_id
    FROM (
        SELECT ev.entity_id, ev.entity_type, ev.entity_key, ev.locale_id,
               CASE WHEN ev.is_deleted THEN coalesce(live.entity_name, ev.entity_name) ELSE ev.entity_name END AS entity_name,
               CASE WHEN ev.is_deleted THEN CASE WHEN live.id IS NULL OR live.is_deleted THEN NULL ELSE 'removed' END
                    WHEN live.id IS NULL OR live.is_deleted THEN 'added'
                    ELSE 'modified' END AS change,
               CASE WHEN NOT ev.is_deleted AND live.id IS NOT NULL AND NOT live.is_deleted
                    THEN entity_changed_paths(live.slug, ev.slug, live.entity_name, ev.entity_name, live.parent_entity_id, ev.parent_entity_id,
                                              live.brand, ev.brand, live.jurisdiction, ev.jurisdiction, live.payload, ev.payload)
                    ELSE '{}'::text[] END AS paths,
               CASE WHEN live.is_deleted THEN NULL ELSE live.slug END AS old_slug,
               CASE WHEN ev.is_deleted THEN NULL ELSE ev.slug END AS new_slug,
               CASE WHEN live.is_deleted THEN NULL ELSE live.payload END AS old_payload,
               CASE WHEN ev.is_deleted THEN NULL ELSE ev.payload END AS new_payload,
               live.release_id AS old_release_id, ev.release_id AS new_release_id
        FROM entity_versions ev
        -- Which release holds the live version: index-only over (entity_id, release_id), no row is read; then only
        -- the winning version is fetched (reading all ~10 versions of each entity cost three times as much).
        LEFT JOIN LATERAL (
            SELECT x.release_id
            FROM entity_versions x
            JOIN releases lr ON lr.id = x.release_id
            WHERE x.entity_id = ev.entity_id AND lr.status = 'DEPLOYED' AND lr.id <> target.id
              AND (target.deploy_seq IS NULL OR lr.deploy_seq < target.deploy_seq)
            ORDER BY lr.deploy_seq DESC
            LIMIT 1
        ) holder ON true
        LEFT JOIN entity_versions live ON live.entity_id = ev.entity_id AND live.release_id = holder.release_id
        WHERE ev.release_id = p_release
    ) d
    WHERE d.change IS NOT NULL AND (d.change <> 'modified' OR cardinality(d.paths) > 0)
    ORDER BY d.entity_type, d.entity_name, d.entity_id;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Conflicts: each explained in plain words. 'blocking' ones stop a deploy (unless overridden with a reason).
-- These functions run with jit = off: their plans are cheap index work, and JIT compilation (which generic plpgsql
-- plans with large row estimates trigger) cost about 400 ms per call on the large data set.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION check_release_conflicts(p_release bigint, p_blocking_only boolean DEFAULT false)
RETURNS TABLE (kind text, severity text, entity_id uuid, entity_type text, entity_name text, other_release_id bigint,
               other_release_name text, other_entity_id uuid, message text)
LANGUAGE plpgsql STABLE SET jit = off AS $$
DECLARE
    target releases;
BEGIN
    SELECT * INTO target FROM releases WHERE id = p_release;
    IF NOT FOUND OR target.status NOT IN ('DRAFT', 'IN_REVIEW', 'APPROVED') THEN RETURN; END IF;

    IF NOT p_blocking_only THEN
        -- The same entity changed in another open release: whichever deploys second overwrites the first.
        -- Driven from the other open releases' rows (few), each probing this release by (entity_id, release_id).
        RETURN QUERY
        SELECT 'parallel_work', 'warning', ev.entity_id, ev.entity_type, ev.entity_name, o.id, o.name, NULL::uuid,
               format('%s "%s" is also changed in release #%s "%s" (%s). Whichever release deploys second replaces the other''s version; agree on one.',
                      initcap(replace(ev.entity_type, '_', ' ')), ev.entity_name, o.id, o.name, lower(replace(o.status, '_', ' ')))
        FROM releases o
        JOIN entity_versions ov ON ov.release_id = o.id
        JOIN entity_versions ev ON ev.entity_id = ov.entity_id AND ev.release_id = p_release
        WHERE o.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED') AND o.id <> p_release;

        -- The same slug or key as a different entity in another open release.
        RETURN QUERY
        SELECT 'collision_open', 'warning', ev.entity_id, ev.entity_type, ev.entity_name, o.id, o.name, ov.entity_id,
               format('%s "%s" uses %s, and release #%s "%s" adds a different %s with the same one. The second to deploy will be blocked.',
                      initcap(replace(ev.entity_type, '_', ' ')), ev.entity_name,
                      CASE WHEN ev.entity_type IN ('page', 'article') THEN 'slug "' || ev.slug || '"' ELSE 'key "' || ev.entity_key || '"' END,
                      o.id, o.name, replace(ov.entity_type, '_', ' '))
        FROM releases o
        JOIN entity_versions ov ON ov.release_id = o.id AND NOT ov.is_deleted AND ov.natural_key IS NOT NULL
        JOIN entity_versions ev ON ev.natural_key = ov.natural_key AND ev.release_id = p_release AND NOT ev.is_deleted AND ev.entity_id <> ov.entity_id
        WHERE o.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED') AND o.id <> p_release;
    END IF;

    -- An entity changed by a release deployed after this one's base: deploying would undo that newer change.
    RETURN QUERY
    SELECT 'stale_base', 'blocking', ev.entity_id, ev.entity_type, ev.entity_name, s.release_id, s.name, NULL::uuid,
           format('%s "%s" was changed by release #%s "%s", deployed after this release was started. Deploying would undo that change: check this release''s version, then rebase.',
                  initcap(replace(ev.entity_type, '_', ' ')), ev.entity_name, s.release_id, s.name)
    FROM entity_versions ev
    CROSS JOIN LATERAL (
        SELECT lv.release_id, lr.name
        FROM entity_versions lv
        JOIN releases lr ON lr.id = lv.release_id
        WHERE lv.entity_id = ev.entity_id AND lr.status = 'DEPLOYED' AND lr.deploy_seq > target.base_deploy_seq
        ORDER BY lr.deploy_seq DESC
        LIMIT 1
    ) s
    WHERE ev.release_id = p_release;

    -- The same slug or key as a different entity that is live (and that this release does not change).
    -- MATERIALIZED and OFFSET 0: this release's rows first, then one index-only lookup each, whatever the generic
    -- plan's estimates say; duplicates (several versions of one candidate) are removed from the few results.
    RETURN QUERY
    WITH own AS MATERIALIZED (SELECT * FROM entity_versions WHERE release_id = p_release AND NOT is_deleted AND natural_key IS NOT NULL)
    SELECT DISTINCT 'collision_live', 'blocking', ev.entity_id, ev.entity_type, ev.entity_name, live.release_id, lr.name, live.entity_id,
           format('%s "%s" uses %s, which live %s "%s" already has. Change the slug or key, or delete the live one in this release.',
                  initcap(replace(ev.entity_type, '_', ' ')), ev.entity_name,
                  CASE WHEN ev.entity_type IN ('page', 'article') THEN 'slug "' || ev.slug || '"' ELSE 'key "' || ev.entity_key || '"' END,
                  replace(live.entity_type, '_', ' '), live.entity_name)
    FROM own ev
    CROSS JOIN LATERAL (
        SELECT c.entity_id FROM entity_versions c
        WHERE c.natural_key = ev.natural_key AND c.entity_id <> ev.entity_id AND NOT c.is_deleted
        OFFSET 0
    ) cand
    CROSS JOIN LATERAL (
        SELECT lv.*
        FROM entity_versions lv
        JOIN releases r2 ON r2.id = lv.release_id AND r2.status = 'DEPLOYED'
        WHERE lv.entity_id = cand.entity_id
        ORDER BY r2.deploy_seq DESC
        LIMIT 1
    ) live
    JOIN releases lr ON lr.id = live.release_id
    WHERE NOT live.is_deleted AND live.natural_key = ev.natural_key
      AND NOT EXISTS (SELECT 1 FROM entity_versions changed WHERE changed.entity_id = cand.entity_id AND changed.release_id = p_release);

    -- Fields the type needs that are missing or empty.
    RETURN QUERY
    SELECT 'missing_required', 'blocking', m.entity_id, m.entity_type, m.entity_name, NULL::bigint, NULL::text, NULL::uuid,
           format('%s "%s" has no %s.', initcap(replace(m.entity_type, '_', ' ')), m.entity_name, array_to_string(m.fields, ' and no '))
    FROM (
        SELECT ev.entity_id, ev.entity_type, ev.entity_name, array_remove(ARRAY[
                   CASE WHEN ev.entity_type IN ('page', 'article') AND coalesce(btrim(ev.payload ->> 'title'), '') = '' THEN 'title' END,
                   CASE WHEN ev.entity_type = 'article' AND coalesce(btrim(ev.payload ->> 'body'), '') = '' THEN 'body' END,
                   CASE WHEN ev.entity_type = 'translation' AND coalesce(btrim(ev.payload ->> 'value'), '') = '' THEN 'value' END,
                   CASE WHEN ev.entity_type = 'feature_flag' AND jsonb_typeof(ev.payload -> 'enabled') IS DISTINCT FROM 'boolean' THEN 'enabled (true or false)' END,
                   CASE WHEN ev.entity_type = 'setting' AND NOT ev.payload ? 'value' THEN 'value' END], NULL) AS fields
        FROM entity_versions ev
        WHERE ev.release_id = p_release AND NOT ev.is_deleted
    ) m
    WHERE cardinality(m.fields) > 0;
END $$;

CREATE INDEX entity_versions_natural_key_idx ON entity_versions (natural_key, entity_id) WHERE NOT is_deleted AND natural_key IS NOT NULL;

-- What rolling back R would change: its entities whose live version is R's, with what they go back to
-- (restored_payload NULL and restored_release_id NULL: the entity disappears).
CREATE FUNCTION release_rollback_preview(p_release bigint)
RETURNS TABLE (entity_id uuid, entity_type text, entity_name text, change text, current_payload jsonb, restored_payload jsonb,
               restored_release_id bigint)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT ev.entity_id, ev.entity_type, coalesce(prev.entity_name, ev.entity_name),
           CASE WHEN ev.is_deleted THEN 'restored' WHEN prev.id IS NULL OR prev.is_deleted THEN 'removed' ELSE 'reverted' END,
           CASE WHEN ev.is_deleted THEN NULL ELSE ev.payload END,
           CASE WHEN prev.is_deleted THEN NULL ELSE prev.payload END,
           prev.release_id
    FROM releases r
    JOIN entity_versions ev ON ev.release_id = r.id
    LEFT JOIN LATERAL (
        SELECT lv.id, lv.entity_name, lv.payload, lv.is_deleted, lv.release_id
        FROM entity_versions lv
        JOIN releases lr ON lr.id = lv.release_id
        WHERE lv.entity_id = ev.entity_id AND lr.status = 'DEPLOYED' AND lr.deploy_seq < r.deploy_seq
        ORDER BY lr.deploy_seq DESC
        LIMIT 1
    ) prev ON true
    WHERE r.id = p_release AND r.status = 'DEPLOYED'
      -- Only where R's version is the live one: a later release's version of the entity stays live.
      AND NOT EXISTS (SELECT 1 FROM entity_versions later JOIN releases lr2 ON lr2.id = later.release_id
                      WHERE later.entity_id = ev.entity_id AND lr2.status = 'DEPLOYED' AND lr2.deploy_seq > r.deploy_seq)
      AND NOT (ev.is_deleted AND (prev.id IS NULL OR prev.is_deleted))
    ORDER BY 2, 3
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Rules as triggers: whoever changes the rows (app, plain SQL), the same checks and audit apply.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION releases_may_manage() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT app_has_role('ReleaseManager') OR app_has_role('Admin') $$;

CREATE FUNCTION releases_before_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'DRAFT' THEN
        RAISE EXCEPTION 'A new release starts as a draft.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_starts_as_draft';
    END IF;
    NEW.author_id := coalesce(NEW.author_id, app_user_id());
    NEW.author_email := coalesce(NEW.author_email, app_user_email());
    NEW.base_deploy_seq := coalesce((SELECT max(deploy_seq) FROM releases), 0);
    NEW.name := btrim(NEW.name);
    NEW.rolled_back_seq := NULL; NEW.checked_epoch := NULL; NEW.checked_blocking := NULL;
    RETURN NEW;
END $$;

CREATE TRIGGER releases_before_insert BEFORE INSERT ON releases FOR EACH ROW EXECUTE FUNCTION releases_before_insert();

CREATE FUNCTION releases_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    blocking int;
BEGIN
    NEW.updated_at := now();
    IF NEW.author_id IS DISTINCT FROM OLD.author_id OR NEW.author_email IS DISTINCT FROM OLD.author_email OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'The author of a release cannot be changed.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_author_fixed';
    END IF;

    -- Kept by this trigger only (a forged check result would let a deploy skip its conflict check).
    IF (NEW.checked_epoch, NEW.checked_blocking, NEW.rolled_back_seq) IS DISTINCT FROM (OLD.checked_epoch, OLD.checked_blocking, OLD.rolled_back_seq) THEN
        RAISE EXCEPTION 'checked_epoch, checked_blocking and rolled_back_seq are kept by the database.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_check_fixed';
    END IF;

    IF NEW.status = OLD.status THEN
        IF NEW.deploy_seq IS DISTINCT FROM OLD.deploy_seq THEN
            RAISE EXCEPTION 'deploy_seq changes only by deploying or rolling back.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_deploy_seq_fixed';
        END IF;
        IF (NEW.name, NEW.description) IS DISTINCT FROM (OLD.name, OLD.description) AND OLD.status <> 'DRAFT' THEN
            RAISE EXCEPTION 'Release #% is %: only a draft can be edited.', OLD.id, lower(replace(OLD.status, '_', ' '))
                USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_only_draft_editable';
        END IF;
        IF NEW.base_deploy_seq IS DISTINCT FROM OLD.base_deploy_seq AND OLD.status NOT IN ('DRAFT', 'IN_REVIEW') THEN
            RAISE EXCEPTION 'Release #% is %: only a draft or a release in review can be rebased.', OLD.id, lower(replace(OLD.status, '_', ' '))
                USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_only_open_rebase';
        END IF;
        RETURN NEW;
    END IF;

    -- Status transitions.
    IF NOT ((OLD.status, NEW.status) IN (('DRAFT', 'IN_REVIEW'), ('DRAFT', 'ABANDONED'), ('IN_REVIEW', 'APPROVED'), ('IN_REVIEW', 'DRAFT'),
                                         ('IN_REVIEW', 'ABANDONED'), ('APPROVED', 'DEPLOYED'), ('APPROVED', 'DRAFT'), ('APPROVED', 'ABANDONED'),
                                         ('DEPLOYED', 'ROLLED_BACK'))) THEN
        RAISE EXCEPTION 'Release #% is %; it cannot become %.', OLD.id, lower(replace(OLD.status, '_', ' ')), lower(replace(NEW.status, '_', ' '))
            USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_transition';
    END IF;

    IF NEW.status = 'IN_REVIEW' THEN
        IF NOT (releases_may_manage() OR app_has_role('Editor')) THEN
            RAISE EXCEPTION 'Submitting for review needs the Editor, ReleaseManager or Admin role.' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'releases_role';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM entity_versions WHERE release_id = OLD.id) THEN
            RAISE EXCEPTION 'Release #% has no changes to review.', OLD.id USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_not_empty';
        END IF;
        NEW.submitted_at := now();
    ELSIF NEW.status = 'DRAFT' THEN
        IF NOT (releases_may_manage() OR (app_user_id() IS NOT NULL AND app_user_id() = OLD.author_id)) THEN
            RAISE EXCEPTION 'Only the author, a ReleaseManager or an Admin can send a release back to draft.' USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'releases_role';
        END IF;
        NEW.approver_id := NULL; NEW.approver_email := NULL; NEW.approved_at := NULL; NEW.submitted_at := NULL;
        NEW.checked_epoch := NULL; NEW.checked_blocking := NULL;
    ELSIF NOT releases_may_manage() THEN
        RAISE EXCEPTION 'Only a ReleaseManager or an Admin can mark a release %.', lower(replace(NEW.status, '_', ' '))
            USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'releases_role';
    END IF;

    IF NEW.status = 'APPROVED' THEN
        NEW.approver_id := app_user_id();
        NEW.approver_email := app_user_email();
        -- Four eyes: the approver is a known user and never the author.
        IF NEW.approver_id IS NULL OR NEW.approver_id = OLD.author_id THEN
            RAISE EXCEPTION 'Four eyes: release #% must be approved by someone other than its author (%).', OLD.id, coalesce(OLD.author_email, 'unknown')
                USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_four_eyes';
        END IF;
        NEW.approved_at := now();
        -- The epoch first: a deploy committing during the check makes the recorded epoch stale, never wrong.
        NEW.checked_epoch := release_live_epoch();
        SELECT count(*) INTO NEW.checked_blocking FROM check_release_conflicts(OLD.id, true) c WHERE c.severity = 'blocking';
    ELSIF NEW.status = 'DEPLOYED' THEN
        -- Deploys queue here: checks see every earlier deploy, and deploy_seq follows commit order.
        PERFORM pg_advisory_xact_lock(hashtext('releases:deploy'));
        IF OLD.checked_epoch IS NOT NULL AND OLD.checked_epoch = release_live_epoch() THEN
            blocking := OLD.checked_blocking;
        ELSE
            SELECT count(*) INTO blocking FROM check_release_conflicts(OLD.id, true) c WHERE c.severity = 'blocking';
        END IF;
        IF blocking > 0 AND coalesce(btrim(NEW.override_reason), '') = '' THEN
            RAISE EXCEPTION 'Release #% has % blocking conflict(s); resolve them or deploy with an override reason.', OLD.id, blocking
                USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_blocking_conflicts';
        END IF;
        IF blocking = 0 THEN NEW.override_reason := NULL; END IF;
        NEW.deploy_seq := nextval('release_deploy_seq');
        NEW.deployer_id := app_user_id();
        NEW.deployer_email := app_user_email();
        NEW.deployed_at := now();
    ELSIF NEW.status = 'ROLLED_BACK' THEN
        PERFORM pg_advisory_xact_lock(hashtext('releases:deploy'));
        IF coalesce(btrim(NEW.close_reason), '') = '' THEN
            RAISE EXCEPTION 'A rollback needs a reason.' USING ERRCODE = 'check_violation', CONSTRAINT = 'releases_rollback_reason';
        END IF;
        NEW.deploy_seq := NULL;
        NEW.rolled_back_seq := nextval('release_deploy_seq');
    END IF;

    IF NEW.status IN ('ABANDONED', 'ROLLED_BACK') THEN
        NEW.closed_by_id := app_user_id();
        NEW.closed_by_email := app_user_email();
        NEW.closed_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER releases_before_update BEFORE UPDATE ON releases FOR EACH ROW EXECUTE FUNCTION releases_before_update();

CREATE FUNCTION releases_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    action text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        action := 'release.created';
    ELSIF TG_OP = 'DELETE' THEN
        action := 'release.deleted';
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        action := 'release.' || CASE NEW.status
            WHEN 'IN_REVIEW' THEN 'submitted' WHEN 'APPROVED' THEN 'approved' WHEN 'DRAFT' THEN 'reopened'
            WHEN 'DEPLOYED' THEN CASE WHEN NEW.override_reason IS NOT NULL THEN 'deployed_with_override' ELSE 'deployed' END
            WHEN 'ROLLED_BACK' THEN 'rolled_back' ELSE 'abandoned' END;
    ELSIF NEW.base_deploy_seq IS DISTINCT FROM OLD.base_deploy_seq THEN
        action := 'release.rebased';
    ELSE
        action := 'release.updated';
    END IF;
    PERFORM audit_write(action, 'releases', coalesce(NEW.id, OLD.id)::text,
                        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    PERFORM live_notify('releases', coalesce(NEW.id, OLD.id)::text, action);
    RETURN NULL;
END $$;

CREATE TRIGGER releases_audit AFTER INSERT OR UPDATE OR DELETE ON releases FOR EACH ROW EXECUTE FUNCTION releases_audit();

-- Entity versions: only a DRAFT release takes changes; identity (type, key, locale) never changes; the name follows
-- the title, key or payload.
CREATE FUNCTION entity_versions_before_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    release_status text;
BEGIN
    -- FOR SHARE: a concurrent submit waits for this change to commit (and vice versa).
    SELECT status INTO release_status FROM releases WHERE id = coalesce(NEW.release_id, OLD.release_id) FOR SHARE;
    IF release_status IS DISTINCT FROM 'DRAFT' THEN
        RAISE EXCEPTION 'Release #% is %: only a draft release takes changes.', coalesce(NEW.release_id, OLD.release_id),
            coalesce(lower(replace(release_status, '_', ' ')), 'missing') USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_versions_release_draft';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.release_id <> OLD.release_id THEN
        SELECT status INTO release_status FROM releases WHERE id = OLD.release_id FOR SHARE;
        IF release_status <> 'DRAFT' THEN
            RAISE EXCEPTION 'Release #% is not a draft.', OLD.release_id USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_versions_release_draft';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;

    IF EXISTS (SELECT 1 FROM entity_versions o
               WHERE o.entity_id = NEW.entity_id AND o.id IS DISTINCT FROM NEW.id
                 AND (o.entity_type, o.entity_key, o.locale_id) IS DISTINCT FROM (NEW.entity_type, NEW.entity_key, NEW.locale_id)) THEN
        RAISE EXCEPTION 'An entity keeps its type, key and locale in every version; create a new entity instead.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_versions_identity_fixed';
    END IF;
    NEW.entity_name := left(coalesce(nullif(btrim(NEW.payload ->> 'title'), ''), nullif(btrim(NEW.payload ->> 'name'), ''),
                                     NEW.entity_key, NEW.slug, nullif(left(NEW.payload::text, 80), '{}'), NEW.entity_type), 200);
    NEW.updated_at := now();
    NEW.updated_by := app_user_id();
    NEW.updated_by_email := app_user_email();
    RETURN NEW;
END $$;

CREATE TRIGGER entity_versions_before_change BEFORE INSERT OR UPDATE OR DELETE ON entity_versions
    FOR EACH ROW EXECUTE FUNCTION entity_versions_before_change();

CREATE FUNCTION entity_versions_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM audit_write('release.entity_' || CASE TG_OP WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'changed' ELSE 'removed' END,
                        'entity_versions', coalesce(NEW.id, OLD.id)::text,
                        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    RETURN NULL;
END $$;

CREATE TRIGGER entity_versions_audit AFTER INSERT OR UPDATE OR DELETE ON entity_versions
    FOR EACH ROW EXECUTE FUNCTION entity_versions_audit();

-- One NOTIFY per statement and release, not per row (a bulk change is one event).
CREATE FUNCTION entity_versions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM live_notify('releases', r::text, 'entities') FROM (SELECT DISTINCT release_id AS r FROM old_rows) x;
    ELSE
        PERFORM live_notify('releases', r::text, 'entities') FROM (SELECT DISTINCT release_id AS r FROM new_rows) x;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER entity_versions_notify_insert AFTER INSERT ON entity_versions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_versions_notify();
CREATE TRIGGER entity_versions_notify_update AFTER UPDATE ON entity_versions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_versions_notify();
CREATE TRIGGER entity_versions_notify_delete AFTER DELETE ON entity_versions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION entity_versions_notify();

-- ---------------------------------------------------------------------------------------------------------
-- Grants. Deleting releases is not granted: they end as ABANDONED or ROLLED_BACK.
-- ---------------------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON releases TO admin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON entity_versions TO admin_app;
GRANT SELECT ON v_entity_heads, v_entities, v_active_translations TO admin_app;
GRANT USAGE ON SEQUENCE release_deploy_seq TO admin_app;
