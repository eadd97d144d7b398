-- 20261206007000_ReleaseSections
-- Homepage sections in releases (issue #17). A release carries, beside its entity versions, chosen versions of
-- homepage sections (or a section's take-down). Sections keep their own live state (homepage_sections
-- .published_version_id, which editors also move by publishing directly), so a section change records what it was
-- written against (the section's published version then) instead of an entity's deployed version:
-- * the diff compares with the section's published version (for a deployed release: the one it replaced);
-- * the conflict check blocks a change whose section was published since it was written (stale_base), a version
--   that review has not approved, an archived section and links to inactive products or categories, and warns of the
--   same section in another open release (parallel_work);
-- * deploying the release publishes every section in the deploy's transaction (all or nothing), and rolling it back
--   puts back the versions it replaced where the release's version is still the published one.
-- calculate_release_diff, check_release_conflicts and release_rollback_preview keep their names and signatures: the
-- entity parts are renamed (calculate_entity_diff, check_entity_conflicts, release_entity_rollback_preview) and the
-- new functions add the section rows to them.

CREATE TABLE release_sections (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id          bigint NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    section_id          uuid NOT NULL REFERENCES homepage_sections (id) ON DELETE CASCADE,
    -- The version the release publishes; NULL: the release takes the section down.
    version_id          uuid REFERENCES section_versions (id) ON DELETE CASCADE,
    -- Kept by the trigger from the section (its locale scopes who may write the change) and from the version (its
    -- number, and the products and categories it links to, parsed once: versions never change).
    locale              text NOT NULL,
    section_key         text NOT NULL,
    section_type        text NOT NULL,
    version_number      integer,
    product_ids         uuid[] NOT NULL DEFAULT '{}',
    category_ids        uuid[] NOT NULL DEFAULT '{}',
    -- Kept by the database: the section's published version when the change was written or the release rebased,
    -- and the paths between that version and this one (the diff's cache while the section stays as it was).
    base_version_id     uuid,
    base_paths          text[] NOT NULL DEFAULT '{}',
    -- Kept by the database: at deploy, what was published before (a rollback puts it back) and when.
    previous_version_id uuid,
    applied_at          timestamptz,
    restored_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    created_by          uuid,
    created_by_email    text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          uuid,
    updated_by_email    text,
    CONSTRAINT release_sections_one_per_release UNIQUE (release_id, section_id)
);
CREATE INDEX release_sections_section_idx ON release_sections (section_id, release_id);

-- The product and category ids a version links to; an id that is not a uuid comes back NULL (a dead link).
CREATE FUNCTION section_content_links(p_content jsonb) RETURNS TABLE (kind text, id uuid) LANGUAGE sql IMMUTABLE AS $$
    SELECT k.kind, CASE WHEN e.value ~* '^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$' THEN e.value::uuid END
    FROM (VALUES ('productIds'), ('categoryIds')) k(kind)
    CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(p_content -> k.kind) = 'array' THEN p_content -> k.kind END) e(value)
$$;

-- Whether any of these products or categories is gone or inactive (a publish must not show a dead link; an id that
-- was not a uuid is NULL, so gone).
CREATE FUNCTION section_links_inactive(p_products uuid[], p_categories uuid[]) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(p_products) l(id) WHERE NOT EXISTS (SELECT 1 FROM products x WHERE x.id = l.id AND x.is_active))
        OR EXISTS (SELECT 1 FROM unnest(p_categories) l(id) WHERE NOT EXISTS (SELECT 1 FROM categories x WHERE x.id = l.id AND x.is_active))
$$;

-- Only a draft takes section changes (as entity changes); the section's identity and the bookkeeping columns are
-- the database's. Writes from the release triggers (deploy, rollback, rebase: trigger depth > 1) only keep the books.
CREATE FUNCTION release_sections_before_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    release_status text;
    section homepage_sections;
    target bigint := coalesce(NEW.release_id, OLD.release_id);
BEGIN
    IF pg_trigger_depth() > 1 THEN RETURN coalesce(NEW, OLD); END IF;
    SELECT status INTO release_status FROM releases WHERE id = target FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Release #% does not exist, or your roles [%] may not change it.', target, array_to_string(app_roles(), ', ')
            USING ERRCODE = 'insufficient_privilege', TABLE = 'release_sections';
    END IF;
    IF release_status IS DISTINCT FROM 'DRAFT' THEN
        RAISE EXCEPTION 'Release #% is %: only a draft release takes changes.', target, lower(replace(release_status, '_', ' '))
            USING ERRCODE = 'check_violation', CONSTRAINT = 'release_sections_release_draft';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF TG_OP = 'UPDATE' AND (NEW.release_id, NEW.section_id) IS DISTINCT FROM (OLD.release_id, OLD.section_id) THEN
        RAISE EXCEPTION 'A section change stays with its release and section; take it out and add another.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'release_sections_identity_fixed';
    END IF;

    SELECT * INTO section FROM homepage_sections WHERE id = NEW.section_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'That homepage section does not exist.' USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'release_sections_section_id_fkey';
    END IF;
    IF NEW.version_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM section_versions v WHERE v.id = NEW.version_id AND v.section_id = NEW.section_id) THEN
        RAISE EXCEPTION 'That version is not a version of section "%".', section.section_key
            USING ERRCODE = 'check_violation', CONSTRAINT = 'release_sections_version_of_section';
    END IF;
    NEW.locale := section.locale;
    NEW.section_key := section.section_key;
    NEW.section_type := section.section_type;
    SELECT v.version_number,
           coalesce(ARRAY(SELECT l.id FROM section_content_links(v.content) l WHERE l.kind = 'productIds'), '{}'),
           coalesce(ARRAY(SELECT l.id FROM section_content_links(v.content) l WHERE l.kind = 'categoryIds'), '{}')
    INTO NEW.version_number, NEW.product_ids, NEW.category_ids
    FROM section_versions v WHERE v.id = NEW.version_id;
    IF NEW.version_id IS NULL THEN
        NEW.version_number := NULL; NEW.product_ids := '{}'; NEW.category_ids := '{}';
    END IF;
    -- What the change is written against: the section as it is published now.
    NEW.base_version_id := section.published_version_id;
    NEW.base_paths := coalesce((SELECT jsonb_changed_paths(b.content, v.content) FROM section_versions b, section_versions v
                                WHERE b.id = section.published_version_id AND v.id = NEW.version_id), '{}');
    NEW.previous_version_id := NULL; NEW.applied_at := NULL; NEW.restored_at := NULL;
    IF TG_OP = 'INSERT' THEN
        NEW.created_at := now(); NEW.created_by := app_user_id(); NEW.created_by_email := app_user_email();
    ELSE
        NEW.created_at := OLD.created_at; NEW.created_by := OLD.created_by; NEW.created_by_email := OLD.created_by_email;
    END IF;
    NEW.updated_at := now(); NEW.updated_by := app_user_id(); NEW.updated_by_email := app_user_email();
    RETURN NEW;
END $$;
CREATE TRIGGER release_sections_before_change BEFORE INSERT OR UPDATE OR DELETE ON release_sections
    FOR EACH ROW EXECUTE FUNCTION release_sections_before_change();

-- People's changes are audited and announced; the deploy's and rollback's bookkeeping is covered by their own rows.
CREATE FUNCTION release_sections_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
    PERFORM audit_write('release.section_' || CASE TG_OP WHEN 'INSERT' THEN 'added' WHEN 'UPDATE' THEN 'changed' ELSE 'removed' END,
                        'release_sections', coalesce(NEW.id, OLD.id)::text,
                        CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
    PERFORM live_notify('releases', coalesce(NEW.release_id, OLD.release_id)::text, 'sections');
    RETURN NULL;
END $$;
CREATE TRIGGER release_sections_audit AFTER INSERT OR UPDATE OR DELETE ON release_sections
    FOR EACH ROW EXECUTE FUNCTION release_sections_audit();

-- Reading: every staff role. Writing: those who prepare releases, within their locales (as section edits).
ALTER TABLE release_sections ENABLE ROW LEVEL SECURITY;
ALTER TABLE release_sections FORCE ROW LEVEL SECURITY;
DO $$ BEGIN EXECUTE format('CREATE POLICY release_sections_owner ON release_sections TO %I USING (true) WITH CHECK (true)', current_user); END $$;
CREATE POLICY release_sections_read ON release_sections FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY release_sections_write ON release_sections FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager')));
CREATE POLICY release_sections_insert_scope ON release_sections AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_scope_allows(NULL, locale));
CREATE POLICY release_sections_update_scope ON release_sections AS RESTRICTIVE FOR UPDATE TO admin_app
    USING (rls_scope_allows(NULL, locale)) WITH CHECK (rls_scope_allows(NULL, locale));
CREATE POLICY release_sections_delete_scope ON release_sections AS RESTRICTIVE FOR DELETE TO admin_app
    USING (rls_scope_allows(NULL, locale));
GRANT SELECT, INSERT, UPDATE, DELETE ON release_sections TO admin_app;
GRANT SELECT ON release_sections TO admin_explain;
CREATE POLICY release_sections_explain ON release_sections FOR SELECT TO admin_explain USING (true);

-- How many changes a release carries: entity versions and homepage sections (the list and the release page show it).
CREATE FUNCTION release_change_count(p_release bigint) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT (SELECT count(*) FROM entity_versions WHERE release_id = p_release)::int
         + (SELECT count(*) FROM release_sections WHERE release_id = p_release)::int
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The diff
-- ---------------------------------------------------------------------------------------------------------

-- R's section changes against what it applies on (the published versions now; for a deployed R the versions it
-- replaced), or with p_from, the sections either release carries as of R against as of p_from (a release that does
-- not carry a section shows it as published now: sections are also published outside releases). Version ids name
-- the two versions compared. A row whose section is still published at its base takes the recorded paths.
CREATE FUNCTION release_section_diff(p_release bigint, p_from bigint DEFAULT NULL)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_version_id uuid, new_version_id uuid)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH pairs AS (
        SELECT rs.section_id, rs.locale, rs.section_key,
               CASE WHEN t.status = 'DEPLOYED' THEN rs.previous_version_id ELSE hs.published_version_id END AS old_id,
               rs.version_id AS new_id,
               t.status <> 'DEPLOYED' AND hs.published_version_id IS NOT DISTINCT FROM rs.base_version_id AS fresh,
               rs.base_paths
        FROM releases t
        JOIN release_sections rs ON rs.release_id = t.id
        JOIN homepage_sections hs ON hs.id = rs.section_id
        WHERE t.id = p_release AND p_from IS NULL
        UNION ALL
        SELECT hs.id, hs.locale, hs.section_key,
               CASE WHEN o.section_id IS NOT NULL THEN o.version_id ELSE hs.published_version_id END,
               CASE WHEN n.section_id IS NOT NULL THEN n.version_id ELSE hs.published_version_id END,
               false, NULL
        FROM (SELECT DISTINCT section_id FROM release_sections WHERE p_from IS NOT NULL AND release_id IN (p_release, p_from)) s
        JOIN homepage_sections hs ON hs.id = s.section_id
        LEFT JOIN release_sections n ON n.release_id = p_release AND n.section_id = s.section_id
        LEFT JOIN release_sections o ON o.release_id = p_from AND o.section_id = s.section_id
    ), d AS (
        SELECT p.section_id, p.locale, p.section_key, p.old_id, p.new_id,
               CASE WHEN p.new_id IS NULL THEN CASE WHEN p.old_id IS NULL THEN NULL ELSE 'removed' END
                    WHEN p.old_id IS NULL THEN 'added'
                    WHEN p.old_id = p.new_id THEN NULL
                    ELSE 'modified' END AS change,
               CASE WHEN p.old_id IS NULL OR p.new_id IS NULL OR p.old_id = p.new_id THEN '{}'::text[]
                    WHEN p.fresh THEN p.base_paths
                    ELSE jsonb_changed_paths(o.content, n.content) END AS paths,
               n.version_number AS new_number, o.version_number AS old_number
        FROM pairs p
        LEFT JOIN section_versions o ON o.id = p.old_id
        LEFT JOIN section_versions n ON n.id = p.new_id
        OFFSET 0
    )
    SELECT d.section_id, 'homepage_section', d.section_key, d.locale,
           d.section_key || CASE WHEN d.new_number IS NOT NULL THEN ' (version ' || d.new_number || ')' ELSE ' (taken down)' END,
           d.change, d.paths, d.old_id, d.new_id
    FROM d
    WHERE d.change IS NOT NULL AND (d.change <> 'modified' OR cardinality(d.paths) > 0)
    ORDER BY d.section_key COLLATE "C", d.locale COLLATE "C", d.section_id
$$;

ALTER FUNCTION calculate_release_diff(bigint, bigint) RENAME TO calculate_entity_diff;

-- The entity diff (calculate_entity_diff, as in migration ReleaseDiffIndex) followed by the section rows, with payloads
-- (a section's payload is its version's content).
CREATE FUNCTION calculate_release_diff(p_release bigint, p_from bigint DEFAULT NULL)
RETURNS TABLE (entity_id uuid, entity_type text, entity_key text, locale_id text, entity_name text, change text,
               changed_paths text[], old_slug text, new_slug text, old_payload jsonb, new_payload jsonb,
               old_release_id bigint, new_release_id bigint)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT * FROM calculate_entity_diff(p_release, p_from)
    UNION ALL
    SELECT s.entity_id, s.entity_type, s.entity_key, s.locale_id, s.entity_name, s.change, s.changed_paths, NULL, NULL,
           o.content, n.content, NULL, CASE WHEN s.new_version_id IS NOT NULL OR s.change = 'removed' THEN p_release END
    FROM release_section_diff(p_release, p_from) s
    LEFT JOIN section_versions o ON o.id = s.old_version_id
    LEFT JOIN section_versions n ON n.id = s.new_version_id
$$;

-- As in migration ReleaseDiffIndex, plus the section rows (their payloads joined here: a release carries at most a
-- few thousand sections, against tens of thousands of entities).
CREATE OR REPLACE FUNCTION release_changes(p_release bigint, p_from bigint)
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
        RETURN QUERY
        SELECT s.entity_id, s.entity_type, s.entity_key, s.locale_id, s.entity_name, s.change, s.changed_paths, NULL::text, NULL::text,
               NULL::bigint, NULL::bigint, o.content, n.content, NULL::bigint, p_release
        FROM release_section_diff(p_release, NULL) s
        LEFT JOIN section_versions o ON o.id = s.old_version_id
        LEFT JOIN section_versions n ON n.id = s.new_version_id;
    ELSE
        RETURN QUERY
        SELECT d.entity_id, d.entity_type, d.entity_key, d.locale_id, d.entity_name, d.change, d.changed_paths, d.old_slug, d.new_slug,
               NULL::bigint, NULL::bigint, d.old_payload, d.new_payload, d.old_release_id, d.new_release_id
        FROM calculate_release_diff(p_release, p_from) d;
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- The conflict check
-- ---------------------------------------------------------------------------------------------------------

-- R's section conflicts, for an open R. Blocking: the section was published or taken down since the change was
-- written (stale_base: look at it, then rebase), review has not approved the version (review_required), the section
-- is archived (section_archived), the version links to inactive products or categories (inactive_link). Warning: the
-- same section in another open release (parallel_work).
CREATE FUNCTION release_section_conflicts(p_release bigint, p_blocking_only boolean DEFAULT false)
RETURNS TABLE (kind text, severity text, entity_id uuid, entity_type text, entity_name text, other_release_id bigint,
               other_release_name text, other_entity_id uuid, message text)
LANGUAGE sql STABLE SET jit = off AS $$
    WITH mine AS (
        SELECT rs.section_id, rs.release_id, rs.locale, rs.section_key, rs.version_id, rs.version_number, rs.base_version_id,
               rs.product_ids, rs.category_ids, hs.published_version_id AS published_id, hs.status AS section_status,
               coalesce(review.required, false) AS review_required
        FROM releases t
        JOIN release_sections rs ON rs.release_id = t.id
        JOIN homepage_sections hs ON hs.id = rs.section_id
        LEFT JOIN content_review_locales review ON review.locale = rs.locale
        WHERE t.id = p_release AND t.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED')
    )
    SELECT 'stale_base', 'blocking', m.section_id, 'homepage_section', m.section_key, pub.release_id, pub.name, NULL::uuid,
           format('Homepage section "%s" (%s) was %s after this change was written (against %s)%s: look at it, then rebase this release.',
                  m.section_key, m.locale,
                  CASE WHEN m.published_id IS NULL THEN 'taken down' ELSE 'published at version ' || pv.version_number END,
                  coalesce('version ' || bv.version_number, 'no published version'),
                  coalesce(' by release #' || pub.release_id || ' "' || pub.name || '"', ''))
    FROM mine m
    LEFT JOIN section_versions pv ON pv.id = m.published_id
    LEFT JOIN section_versions bv ON bv.id = m.base_version_id
    LEFT JOIN LATERAL (
        SELECT o.release_id, r.name FROM release_sections o JOIN releases r ON r.id = o.release_id
        WHERE o.section_id = m.section_id AND o.applied_at IS NOT NULL AND o.restored_at IS NULL AND r.status = 'DEPLOYED'
          AND o.version_id IS NOT DISTINCT FROM m.published_id
        ORDER BY o.applied_at DESC LIMIT 1
    ) pub ON true
    WHERE m.published_id IS DISTINCT FROM m.base_version_id
    UNION ALL
    SELECT 'review_required', 'blocking', m.section_id, 'homepage_section', m.section_key, NULL, NULL, NULL,
           format('Review is on for %s: version %s of homepage section "%s" goes live only once another editor or an admin has approved it.',
                  m.locale, m.version_number, m.section_key)
    -- section_review_allows_publish, with the locale's setting joined once instead of read per row.
    FROM mine m WHERE m.version_id IS NOT NULL AND m.review_required AND section_review_state(m.version_id) IS DISTINCT FROM 'approved'
    UNION ALL
    SELECT 'section_archived', 'blocking', m.section_id, 'homepage_section', m.section_key, NULL, NULL, NULL,
           format('Homepage section "%s" (%s) is archived: restore it, or take this change out.', m.section_key, m.locale)
    FROM mine m WHERE m.version_id IS NOT NULL AND m.section_status = 'archived'
    UNION ALL
    SELECT 'inactive_link', 'blocking', m.section_id, 'homepage_section', m.section_key, NULL, NULL, NULL,
           format('Version %s of homepage section "%s" (%s) links to products or categories that are gone or inactive: save a version without them.',
                  m.version_number, m.section_key, m.locale)
    FROM mine m
    WHERE m.version_id IS NOT NULL AND m.section_id IN (
        -- section_links_inactive, set-based: every link of the release probes its table once.
        SELECT l.section_id FROM mine l CROSS JOIN LATERAL unnest(l.product_ids) p(id)
        WHERE l.product_ids <> '{}' AND NOT EXISTS (SELECT 1 FROM products x WHERE x.id = p.id AND x.is_active)
        UNION
        SELECT l.section_id FROM mine l CROSS JOIN LATERAL unnest(l.category_ids) c(id)
        WHERE l.category_ids <> '{}' AND NOT EXISTS (SELECT 1 FROM categories x WHERE x.id = c.id AND x.is_active))
    UNION ALL
    SELECT 'parallel_work', 'warning', m.section_id, 'homepage_section', m.section_key, o.release_id, r.name, NULL,
           format('Homepage section "%s" (%s) is also changed in open release #%s "%s"; whichever deploys later wins.',
                  m.section_key, m.locale, o.release_id, r.name)
    -- Driven by the other open releases' section rows (few), as the entities' parallel work is.
    FROM releases r
    JOIN release_sections o ON o.release_id = r.id
    JOIN mine m ON m.section_id = o.section_id
    WHERE NOT p_blocking_only AND r.status IN ('DRAFT', 'IN_REVIEW', 'APPROVED') AND r.id <> p_release
$$;

ALTER FUNCTION check_release_conflicts(bigint, boolean) RENAME TO check_entity_conflicts;

CREATE FUNCTION check_release_conflicts(p_release bigint, p_blocking_only boolean DEFAULT false)
RETURNS TABLE (kind text, severity text, entity_id uuid, entity_type text, entity_name text, other_release_id bigint,
               other_release_name text, other_entity_id uuid, message text)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT * FROM check_entity_conflicts(p_release, p_blocking_only)
    UNION ALL
    SELECT * FROM release_section_conflicts(p_release, p_blocking_only)
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Rollback preview
-- ---------------------------------------------------------------------------------------------------------

ALTER FUNCTION release_rollback_preview(bigint) RENAME TO release_entity_rollback_preview;

-- Plus the sections whose published version is still the one R put there (or which R took down and are still down):
-- they go back to the version R replaced ('reverted'), or are taken down ('removed'), or come back ('restored').
CREATE FUNCTION release_rollback_preview(p_release bigint)
RETURNS TABLE (entity_id uuid, entity_type text, entity_name text, change text, current_payload jsonb, restored_payload jsonb,
               restored_release_id bigint)
LANGUAGE sql STABLE SET jit = off AS $$
    SELECT * FROM release_entity_rollback_preview(p_release)
    UNION ALL
    SELECT rs.section_id, 'homepage_section', rs.section_key || ' (' || rs.locale || ')',
           CASE WHEN rs.version_id IS NULL THEN 'restored' WHEN rs.previous_version_id IS NULL THEN 'removed' ELSE 'reverted' END,
           cur.content, prev.content, NULL::bigint
    FROM releases r
    JOIN release_sections rs ON rs.release_id = r.id
    JOIN homepage_sections hs ON hs.id = rs.section_id
    LEFT JOIN section_versions cur ON cur.id = rs.version_id
    LEFT JOIN section_versions prev ON prev.id = rs.previous_version_id
    WHERE r.id = p_release AND r.status = 'DEPLOYED' AND rs.applied_at IS NOT NULL AND rs.restored_at IS NULL
      AND hs.published_version_id IS NOT DISTINCT FROM rs.version_id
      AND rs.version_id IS DISTINCT FROM rs.previous_version_id
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Deploy, rollback, rebase
-- ---------------------------------------------------------------------------------------------------------

-- Publishes each of p_sections at the matching version of p_versions (NULL: takes it down), as a publish from the
-- section editor does: the published flags, the section's status and draft pointer, the delivery links rewritten,
-- and one audit row per section naming the release. The caller holds the sections' locks.
CREATE FUNCTION sections_set_published(p_sections uuid[], p_versions uuid[], p_release bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.section_targets (section_id uuid PRIMARY KEY, version_id uuid, was_id uuid) ON COMMIT DROP;
    TRUNCATE pg_temp.section_targets;
    INSERT INTO pg_temp.section_targets
    SELECT t.section_id, t.version_id, hs.published_version_id
    FROM unnest(p_sections, p_versions) t(section_id, version_id) JOIN homepage_sections hs ON hs.id = t.section_id
    WHERE hs.published_version_id IS DISTINCT FROM t.version_id;

    UPDATE section_versions v SET is_published = false
    FROM pg_temp.section_targets t WHERE v.section_id = t.section_id AND v.is_published AND v.id IS DISTINCT FROM t.version_id;
    UPDATE section_versions v SET is_published = true, published_at = coalesce(v.published_at, now())
    FROM pg_temp.section_targets t WHERE v.id = t.version_id;
    UPDATE homepage_sections hs
    SET published_version_id = t.version_id,
        status = CASE WHEN t.version_id IS NOT NULL THEN 'published' WHEN hs.status = 'archived' THEN 'archived' ELSE 'draft' END,
        is_active = hs.is_active OR t.version_id IS NOT NULL,
        draft_version_id = CASE WHEN t.version_id IS NOT NULL AND nv.version_number = hs.latest_version_number THEN NULL ELSE latest.id END,
        updated_at = now(), updated_by = app_user_id(), updated_by_email = coalesce(app_user_email(), 'release #' || p_release)
    FROM pg_temp.section_targets t
    LEFT JOIN section_versions nv ON nv.id = t.version_id
    CROSS JOIN LATERAL (SELECT l.id FROM section_versions l JOIN homepage_sections s ON s.id = t.section_id
                        WHERE l.section_id = t.section_id AND l.version_number = s.latest_version_number) latest
    WHERE hs.id = t.section_id;

    DELETE FROM section_products p USING pg_temp.section_targets t WHERE p.section_id = t.section_id;
    DELETE FROM section_categories c USING pg_temp.section_targets t WHERE c.section_id = t.section_id;
    INSERT INTO section_products (section_id, product_id, display_order)
    SELECT t.section_id, x.id::uuid, (x.n - 1)::int
    FROM pg_temp.section_targets t JOIN section_versions v ON v.id = t.version_id
    CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(v.content -> 'productIds') = 'array' THEN v.content -> 'productIds' END)
        WITH ORDINALITY x(id, n);
    INSERT INTO section_categories (section_id, category_id, display_order)
    SELECT t.section_id, x.id::uuid, (x.n - 1)::int
    FROM pg_temp.section_targets t JOIN section_versions v ON v.id = t.version_id
    CROSS JOIN LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof(v.content -> 'categoryIds') = 'array' THEN v.content -> 'categoryIds' END)
        WITH ORDINALITY x(id, n);

    PERFORM audit_write(CASE WHEN t.version_id IS NULL THEN 'content.unpublished' ELSE 'content.published' END,
                        'homepage_sections', t.section_id::text,
                        jsonb_build_object('version', wv.version_number),
                        jsonb_build_object('version', nv.version_number, 'release', p_release, 'by', p_reason))
    FROM pg_temp.section_targets t
    LEFT JOIN section_versions wv ON wv.id = t.was_id
    LEFT JOIN section_versions nv ON nv.id = t.version_id
    ORDER BY t.section_id;
END $$;
REVOKE ALL ON FUNCTION sections_set_published(uuid[], uuid[], bigint, text) FROM PUBLIC;

-- After a deploy: publish the release's sections (refusing, with the whole deploy, what no override may skip: an
-- archived section, an unapproved version where review is on, links to inactive products). After a rollback: put back
-- what the release replaced where its version is still the published one. SECURITY DEFINER: a release manager deploys
-- sections without the right to edit them; a trigger function cannot be called any other way.
CREATE FUNCTION release_sections_apply() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    problem record;
    sections uuid[];
    versions uuid[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM release_sections WHERE release_id = NEW.id) THEN RETURN NULL; END IF;
    -- Section edits and schedules queue behind this (and lock in the same order: by id).
    PERFORM 1 FROM homepage_sections WHERE id IN (SELECT section_id FROM release_sections WHERE release_id = NEW.id) ORDER BY id FOR UPDATE;

    IF NEW.status = 'DEPLOYED' THEN
        SELECT rs.section_key AS name,
               CASE WHEN hs.status = 'archived' THEN format('section "%s" (%s) is archived', rs.section_key, rs.locale)
                    WHEN NOT section_review_allows_publish(rs.version_id) THEN format('review is on for %s and version %s of "%s" is not approved', rs.locale, v.version_number, rs.section_key)
                    ELSE format('version %s of "%s" links to inactive products or categories', v.version_number, rs.section_key) END AS why
        INTO problem
        FROM release_sections rs JOIN homepage_sections hs ON hs.id = rs.section_id JOIN section_versions v ON v.id = rs.version_id
        WHERE rs.release_id = NEW.id
          AND (hs.status = 'archived' OR NOT section_review_allows_publish(rs.version_id) OR section_links_inactive(rs.product_ids, rs.category_ids))
        ORDER BY rs.section_key LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'Release #% cannot be deployed: %. No override skips this; fix the section or take its change out.', NEW.id, problem.why
                USING ERRCODE = 'check_violation', CONSTRAINT = 'release_sections_unpublishable';
        END IF;
        UPDATE release_sections rs SET previous_version_id = hs.published_version_id, applied_at = now(), restored_at = NULL
        FROM homepage_sections hs WHERE hs.id = rs.section_id AND rs.release_id = NEW.id;
        SELECT array_agg(section_id ORDER BY section_id), array_agg(version_id ORDER BY section_id) INTO sections, versions
        FROM release_sections WHERE release_id = NEW.id;
        PERFORM sections_set_published(sections, versions, NEW.id, 'release.deployed');
    ELSE
        SELECT array_agg(rs.section_id ORDER BY rs.section_id), array_agg(rs.previous_version_id ORDER BY rs.section_id) INTO sections, versions
        FROM release_sections rs JOIN homepage_sections hs ON hs.id = rs.section_id
        WHERE rs.release_id = NEW.id AND rs.applied_at IS NOT NULL AND rs.restored_at IS NULL
          AND hs.published_version_id IS NOT DISTINCT FROM rs.version_id;
        IF sections IS NOT NULL THEN
            PERFORM sections_set_published(sections, versions, NEW.id, 'release.rolled_back');
            UPDATE release_sections SET restored_at = now() WHERE release_id = NEW.id AND section_id = ANY (sections);
        END IF;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION release_sections_apply() FROM PUBLIC;
CREATE TRIGGER release_sections_apply AFTER UPDATE OF status ON releases FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('DEPLOYED', 'ROLLED_BACK'))
    EXECUTE FUNCTION release_sections_apply();

-- A rebase (base_deploy_seq set to the newest deploy, even when it already was) also takes the sections as they are
-- published now.
CREATE FUNCTION release_sections_rebase() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE release_sections rs
    SET base_version_id = hs.published_version_id,
        base_paths = coalesce((SELECT jsonb_changed_paths(b.content, v.content) FROM section_versions b, section_versions v
                               WHERE b.id = hs.published_version_id AND v.id = rs.version_id), '{}')
    FROM homepage_sections hs
    WHERE hs.id = rs.section_id AND rs.release_id = NEW.id AND rs.base_version_id IS DISTINCT FROM hs.published_version_id;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION release_sections_rebase() FROM PUBLIC;
CREATE TRIGGER release_sections_rebase AFTER UPDATE OF base_deploy_seq ON releases FOR EACH ROW
    WHEN (NEW.status IN ('DRAFT', 'IN_REVIEW'))
    EXECUTE FUNCTION release_sections_rebase();

-- The review gate (migration SectionReviews) holds for whoever publishes with their own rights. A release's deploy
-- checks review itself (above), and its rollback puts back versions that were live before, so inside a SECURITY
-- DEFINER function (current_user is then the owner, not the session's role) the gate defers to it.
CREATE OR REPLACE FUNCTION homepage_sections_review_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.published_version_id IS NOT NULL AND NEW.published_version_id IS DISTINCT FROM OLD.published_version_id
       AND current_user = session_user AND NOT section_review_allows_publish(NEW.published_version_id) THEN
        RAISE EXCEPTION 'Review is on for %: this version goes live only once another editor or an admin has approved it.', NEW.locale
            USING ERRCODE = 'check_violation', CONSTRAINT = 'section_review_required';
    END IF;
    RETURN NEW;
END $$;

-- As in migration Releases, except: a release with only section changes may be submitted, and the conflict check
-- stored at approval covers the entities while the sections are checked again at deploy.
CREATE OR REPLACE FUNCTION releases_before_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
        IF NOT EXISTS (SELECT 1 FROM entity_versions WHERE release_id = OLD.id) AND NOT EXISTS (SELECT 1 FROM release_sections WHERE release_id = OLD.id) THEN
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
        -- Entities only: a section can be published outside releases without moving the epoch, so sections are
        -- checked again at every deploy (a few rows, against thousands of entities).
        SELECT count(*) INTO NEW.checked_blocking FROM check_entity_conflicts(OLD.id, true) c WHERE c.severity = 'blocking';
    ELSIF NEW.status = 'DEPLOYED' THEN
        -- Deploys queue here: checks see every earlier deploy, and deploy_seq follows commit order.
        PERFORM pg_advisory_xact_lock(hashtext('releases:deploy'));
        IF OLD.checked_epoch IS NOT NULL AND OLD.checked_epoch = release_live_epoch() THEN
            blocking := OLD.checked_blocking;
        ELSE
            SELECT count(*) INTO blocking FROM check_entity_conflicts(OLD.id, true) c WHERE c.severity = 'blocking';
        END IF;
        blocking := blocking + (SELECT count(*) FROM release_section_conflicts(OLD.id, true) c WHERE c.severity = 'blocking');
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
