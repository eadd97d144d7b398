-- 20261129000100_RowLevelSecurity
-- Row-level security on the content, release, deployment and audit tables, enforced by PostgreSQL for the app role
-- whatever the UI does. Policies read the session context the app sets on every connection (app_roles(),
-- app_brands(), app_locales(), app_user_id()); without a context no policy matches, so no rows.
--
-- Roles in the context: the four people roles (Admin, Editor, ReleaseManager, Dba) and two machine identities the app
-- sets for its own work: System (background jobs: the schedule worker, retention, the audit verifier) and DeployApi
-- (the CI/CD ingestion API, authenticated by API token).
--
-- FORCE ROW LEVEL SECURITY binds the tables' owner too. The owner (the role that runs this migration) runs the
-- migrations, the seeds and the SECURITY DEFINER functions (audit_write, denial_write, the delivery API's read); it
-- gets one explicit policy per table, `<table>_owner`, that lets it do everything. Nothing else bypasses the policies.
-- The matrix is documented in docs/security.md and proven by tests/Admin.Data.Tests/Security/RlsMatrixTests.
--
-- Errors: a write outside the writer's scope fails a RESTRICTIVE policy, so PostgreSQL names the policy in its 42501
-- ("new row violates row-level security policy "entity_versions_insert_scope" ..."); the app turns the name into a
-- hint in plain words (RlsHints). A role with no write policy at all gets the unnamed form of the same error.

-- ---------------------------------------------------------------------------------------------------------
-- Helpers. Policies call the role test as a scalar subquery, `(SELECT rls_role_in(...))`, so PostgreSQL evaluates
-- it once per statement (an InitPlan), not once per row.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION rls_role_in(VARIADIC roles text[]) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT app_roles() && roles $$;

-- Whether the session may write a row of this brand and locale. Admin and System write everywhere; everyone else
-- within their brand and locale scopes. A row without a brand (or locale) belongs to all brands (or locales): the
-- scope in that dimension does not restrict it (global flags, settings, brand-less translations).
CREATE FUNCTION rls_scope_allows(p_brand text, p_locale text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT app_roles() && ARRAY['Admin', 'System']
        OR ((p_brand IS NULL OR p_brand = ANY (app_brands())) AND (p_locale IS NULL OR p_locale = ANY (app_locales())))
$$;

-- The scope test for rows that hang off a homepage section (versions, schedules, links): the section's locale.
CREATE FUNCTION rls_section_scope_allows(p_section uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT app_roles() && ARRAY['Admin', 'System']
        OR EXISTS (SELECT 1 FROM homepage_sections s WHERE s.id = p_section AND s.locale = ANY (app_locales()))
$$;

GRANT EXECUTE ON FUNCTION rls_role_in(text[]), rls_scope_allows(text, text), rls_section_scope_allows(uuid) TO admin_app;

-- Enable and force RLS, and give the owner its one policy, on every table below.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'products', 'categories', 'homepage_sections', 'section_versions', 'section_schedules', 'section_products', 'section_categories',
        'releases', 'entity_versions',
        'deploy_environments', 'deployments', 'deployment_status_history', 'api_tokens', 'api_idempotency_keys', 'deployment_exports',
        'audit_events', 'rls_denials', 'audit_chain_head', 'audit_archives']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true) WITH CHECK (true)', t || '_owner', t, current_user);
    END LOOP;
END $$;

-- Views read the tables with the querying user's rights and policies, not the view owner's.
ALTER VIEW v_entity_heads SET (security_invoker = true);
ALTER VIEW v_entities SET (security_invoker = true);
ALTER VIEW v_active_translations SET (security_invoker = true);

-- ---------------------------------------------------------------------------------------------------------
-- Content: every staff role reads; Admin, Editor and System write; editors only in their locales.
-- ---------------------------------------------------------------------------------------------------------
CREATE POLICY products_read ON products FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY categories_read ON categories FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));

CREATE POLICY homepage_sections_read ON homepage_sections FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY homepage_sections_insert ON homepage_sections FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY homepage_sections_update ON homepage_sections FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'System'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY homepage_sections_insert_scope ON homepage_sections AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_scope_allows(NULL, locale));
-- USING (true): an update of a section outside the editor's locales fails loudly (42501), it is not silently skipped.
-- A section never changes locale (trigger below), so checking the new row is checking the old one.
CREATE POLICY homepage_sections_update_scope ON homepage_sections AS RESTRICTIVE FOR UPDATE TO admin_app
    USING (true) WITH CHECK (rls_scope_allows(NULL, locale));

CREATE FUNCTION homepage_sections_locale_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.locale IS DISTINCT FROM OLD.locale THEN
        RAISE EXCEPTION 'A section keeps its locale; duplicate it into the other locale instead.'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'homepage_sections_locale_fixed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER homepage_sections_locale_fixed BEFORE UPDATE OF locale ON homepage_sections
    FOR EACH ROW EXECUTE FUNCTION homepage_sections_locale_fixed();

CREATE POLICY section_versions_read ON section_versions FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY section_versions_insert ON section_versions FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_versions_update ON section_versions FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'System'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_versions_insert_scope ON section_versions AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_section_scope_allows(section_id));
CREATE POLICY section_versions_update_scope ON section_versions AS RESTRICTIVE FOR UPDATE TO admin_app
    USING (true) WITH CHECK (rls_section_scope_allows(section_id));

CREATE POLICY section_schedules_read ON section_schedules FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY section_schedules_insert ON section_schedules FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_schedules_update ON section_schedules FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'System'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_schedules_insert_scope ON section_schedules AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_section_scope_allows(section_id));
CREATE POLICY section_schedules_update_scope ON section_schedules AS RESTRICTIVE FOR UPDATE TO admin_app
    USING (true) WITH CHECK (rls_section_scope_allows(section_id));

CREATE POLICY section_products_read ON section_products FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY section_products_write ON section_products FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'System'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_products_insert_scope ON section_products AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_section_scope_allows(section_id));
CREATE POLICY section_products_delete_scope ON section_products AS RESTRICTIVE FOR DELETE TO admin_app
    USING (rls_section_scope_allows(section_id));

CREATE POLICY section_categories_read ON section_categories FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY section_categories_write ON section_categories FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'System'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'System')));
CREATE POLICY section_categories_insert_scope ON section_categories AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_section_scope_allows(section_id));
CREATE POLICY section_categories_delete_scope ON section_categories AS RESTRICTIVE FOR DELETE TO admin_app
    USING (rls_section_scope_allows(section_id));

-- ---------------------------------------------------------------------------------------------------------
-- Releases: every staff role reads. Editors, release managers and admins prepare releases and their changes (within
-- their brand and locale scopes); editors move a release only between draft and review; approving, deploying,
-- rolling back and abandoning are for release managers and admins (the triggers add four eyes and the transitions).
-- ---------------------------------------------------------------------------------------------------------
CREATE POLICY releases_read ON releases FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY releases_insert ON releases FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager')));
CREATE POLICY releases_manage ON releases FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager'))) WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager')));
-- An editor may touch a draft or a release in review, and the approved release they wrote (to send it back); the
-- result must be a draft or in review. Also what the entity triggers' FOR SHARE lock on the release needs.
CREATE POLICY releases_prepare ON releases FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Editor')) AND (status IN ('DRAFT', 'IN_REVIEW') OR (status = 'APPROVED' AND author_id = app_user_id())))
    WITH CHECK ((SELECT rls_role_in('Editor')) AND status IN ('DRAFT', 'IN_REVIEW'));

-- A change to a release's entities locks the release FOR SHARE, which row-level security allows only to those who may
-- update the release. When the lock finds nothing, that is a refusal (42501) whether the release is out of reach or
-- does not exist (row-level security makes the two look alike), not a "release missing". Otherwise as in migration
-- Releases.
CREATE OR REPLACE FUNCTION entity_versions_before_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    release_status text;
    target bigint := coalesce(NEW.release_id, OLD.release_id);
BEGIN
    -- FOR SHARE: a concurrent submit waits for this change to commit (and vice versa).
    SELECT status INTO release_status FROM releases WHERE id = target FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'Release #% does not exist, or your roles [%] may not change its entities.', target, array_to_string(app_roles(), ', ')
            USING ERRCODE = 'insufficient_privilege', TABLE = 'entity_versions';
    END IF;
    IF release_status IS DISTINCT FROM 'DRAFT' THEN
        RAISE EXCEPTION 'Release #% is %: only a draft release takes changes.', target,
            coalesce(lower(replace(release_status, '_', ' ')), 'missing') USING ERRCODE = 'check_violation', CONSTRAINT = 'entity_versions_release_draft';
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.release_id <> OLD.release_id THEN
        SELECT status INTO release_status FROM releases WHERE id = OLD.release_id FOR SHARE;
        IF release_status IS DISTINCT FROM 'DRAFT' THEN
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

CREATE POLICY entity_versions_read ON entity_versions FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager', 'Dba', 'System')));
CREATE POLICY entity_versions_write ON entity_versions FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager'))) WITH CHECK ((SELECT rls_role_in('Admin', 'Editor', 'ReleaseManager')));
CREATE POLICY entity_versions_insert_scope ON entity_versions AS RESTRICTIVE FOR INSERT TO admin_app
    WITH CHECK (rls_scope_allows(brand, locale_id));
-- Checks the old row too: nobody moves another brand's change into their own brand. In an upsert (the app's save)
-- a failing old row is an error, in a plain UPDATE it is skipped.
CREATE POLICY entity_versions_update_scope ON entity_versions AS RESTRICTIVE FOR UPDATE TO admin_app
    USING (rls_scope_allows(brand, locale_id)) WITH CHECK (rls_scope_allows(brand, locale_id));
CREATE POLICY entity_versions_delete_scope ON entity_versions AS RESTRICTIVE FOR DELETE TO admin_app
    USING (rls_scope_allows(brand, locale_id));

-- ---------------------------------------------------------------------------------------------------------
-- Deployments: release managers and admins (the console), DeployApi (CI/CD through the ingestion API) and System.
-- ---------------------------------------------------------------------------------------------------------
CREATE POLICY deploy_environments_read ON deploy_environments FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));

CREATE POLICY deployments_read ON deployments FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));
CREATE POLICY deployments_insert ON deployments FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'DeployApi')));
CREATE POLICY deployments_update ON deployments FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi'))) WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi')));

CREATE POLICY deployment_status_history_read ON deployment_status_history FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));
CREATE POLICY deployment_status_history_insert ON deployment_status_history FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi')));

CREATE POLICY api_tokens_read ON api_tokens FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'DeployApi')));
CREATE POLICY api_tokens_insert ON api_tokens FOR INSERT TO admin_app
    WITH CHECK ((SELECT rls_role_in('Admin')));
CREATE POLICY api_tokens_update ON api_tokens FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin', 'DeployApi'))) WITH CHECK ((SELECT rls_role_in('Admin', 'DeployApi')));

CREATE POLICY api_idempotency_keys_all ON api_idempotency_keys FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')))
    WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));
CREATE POLICY deployment_exports_all ON deployment_exports FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')))
    WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));

-- ---------------------------------------------------------------------------------------------------------
-- Audit: admins read everything, DBAs the database actions (and every denial); System reads for the verifier and
-- the workers' logs. Rows come in only through the SECURITY DEFINER functions (the app role has no INSERT grant),
-- and nobody but the owner updates or deletes them.
-- ---------------------------------------------------------------------------------------------------------
CREATE POLICY audit_events_read ON audit_events FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'System')));
CREATE POLICY audit_events_read_database ON audit_events FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Dba')) AND action LIKE 'database.%');

CREATE POLICY rls_denials_read ON rls_denials FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Dba', 'System')));
CREATE POLICY audit_chain_head_read ON audit_chain_head FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Dba', 'System')));
CREATE POLICY audit_archives_read ON audit_archives FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'Dba', 'System')));
