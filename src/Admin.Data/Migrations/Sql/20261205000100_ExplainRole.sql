-- 20261205000100_ExplainRole
-- What EXPLAIN may read: the role admin_explain (created by src/Admin.Data/Setup/roles.sql) reads exactly what a DBA
-- reads in the console and nothing else. Its policies name the role and read no setting: the app role's policies
-- trust app.roles, which any statement may change with set_config, so they are no guard for a statement a person
-- typed. Tables a DBA does not read (deployments, API tokens, identity: password hashes, security stamps, tokens) get
-- no grant at all, so EXPLAIN of a statement that touches them is refused with 42501 before anything runs.
-- No write grant anywhere, no sequence, no function beyond PUBLIC's (SECURITY DEFINER functions are not PUBLIC:
-- migration 20261205000101). tests/Admin.Data.Tests/Monitoring/ExplainRoleTests keeps this list and the DBA's in step.

GRANT SELECT ON
    brands, locales, jurisdictions,
    products, categories, homepage_sections, section_versions, section_schedules, section_products, section_categories,
    releases, entity_versions, entity_version_bases, v_entities, v_entity_heads, v_active_translations,
    audit_events, rls_denials, audit_chain_head, audit_archives,
    monitoring_sampler_runs, monitoring_statements, monitoring_statement_deltas, monitoring_table_samples
TO admin_explain;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'products', 'categories', 'homepage_sections', 'section_versions', 'section_schedules', 'section_products',
        'section_categories', 'releases', 'entity_versions', 'entity_version_bases', 'rls_denials', 'audit_chain_head',
        'audit_archives']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO admin_explain USING (true)', t || '_explain', t);
    END LOOP;
END $$;

-- Like a DBA in the console: the database.* actions only (sign-ins, content and user changes stay hidden).
CREATE POLICY audit_events_explain ON audit_events FOR SELECT TO admin_explain USING (action LIKE 'database.%');
