-- 20261206003000_DoraIncidentsCommits (issue 18)
-- DORA that tells the truth (issue 18, second half): incidents as a failure source, commits per deployment for a
-- lead time per change, and (in DeploymentMetrics, no schema needed) content release deploys counted as deployments
-- of the content service. Definitions: docs/deployments.md, "DORA definitions".
--
--   deploy_incidents          one incident of a service in an environment: started, resolved (or open), severity,
--                             and the deployment that fixed it when it was fixed by rolling forward;
--   deploy_incident_causes    the deployments that caused it (a succeeded deployment linked here is a change failure);
--   deployment_commits        the commits a deployment ships (listed on create or later, idempotent per sha);
--   deploy_commit_leads       per (service, environment, sha): the first successful deployment that shipped the commit
--                             and its lead time, kept by triggers so the dashboard reads one row per commit and never
--                             searches for "the first deploy that included it" at read time.

CREATE TABLE deploy_incidents (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id      text UNIQUE CHECK (external_id IS NULL OR length(external_id) BETWEEN 1 AND 200),
    title            text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    severity         text NOT NULL CHECK (severity IN ('sev1', 'sev2', 'sev3', 'sev4')),
    service          text NOT NULL CHECK (service ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    environment      text NOT NULL REFERENCES deploy_environments (name),
    started_at       timestamptz NOT NULL,
    resolved_at      timestamptz,
    fixed_by         bigint REFERENCES deployments (id),
    created_by_email text NOT NULL CHECK (length(created_by_email) BETWEEN 1 AND 256),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    restore_s        double precision GENERATED ALWAYS AS (date_part('epoch', resolved_at - started_at)) STORED,
    CONSTRAINT deploy_incidents_resolved_after_start CHECK (resolved_at IS NULL OR resolved_at >= started_at)
);
-- The dashboard's range (started_at) with or without filters, and the page's list (newest first).
CREATE INDEX deploy_incidents_started_idx ON deploy_incidents (started_at) INCLUDE (environment, service, restore_s);
CREATE INDEX deploy_incidents_open_idx ON deploy_incidents (started_at) WHERE resolved_at IS NULL;

CREATE TABLE deploy_incident_causes (
    incident_id   bigint NOT NULL REFERENCES deploy_incidents (id) ON DELETE CASCADE,
    deployment_id bigint NOT NULL REFERENCES deployments (id),
    PRIMARY KEY (incident_id, deployment_id)
);
CREATE INDEX deploy_incident_causes_deployment_idx ON deploy_incident_causes (deployment_id);

CREATE TABLE deployment_commits (
    deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    sha           text NOT NULL CHECK (sha ~ '^[0-9a-f]{7,40}$'),
    authored_at   timestamptz,
    committed_at  timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, sha)
);

-- Whether the deployment lists commits: without them its lead time stays the deployment's own (commit_at -> finish).
ALTER TABLE deployments ADD COLUMN has_commits boolean NOT NULL DEFAULT false;

CREATE TABLE deploy_commit_leads (
    service       text NOT NULL,
    environment   text NOT NULL,
    sha           text NOT NULL,
    deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    deployed_created_at timestamptz NOT NULL,   -- the shipping deployment's created_at: the dashboard's range
    committed_at  timestamptz NOT NULL,
    shipped_at    timestamptz NOT NULL,         -- the shipping deployment's finished_at
    lead_time_s   double precision GENERATED ALWAYS AS (date_part('epoch', shipped_at - committed_at)) STORED,
    PRIMARY KEY (service, environment, sha)
);
CREATE INDEX deploy_commit_leads_range_idx ON deploy_commit_leads (environment, deployed_created_at) INCLUDE (service, lead_time_s);
CREATE INDEX deploy_commit_leads_deployment_idx ON deploy_commit_leads (deployment_id);

-- The commits of these deployments, for those that reached their environment, become (or stay) first-shipped
-- where no earlier success of the same pipeline shipped them. SECURITY DEFINER: row-level security never hides the
-- rows it compares, whoever reports.
CREATE FUNCTION deploy_commit_leads_refresh(p_ids bigint[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    INSERT INTO deploy_commit_leads AS l (service, environment, sha, deployment_id, deployed_created_at, committed_at, shipped_at)
    SELECT DISTINCT ON (d.service, d.environment, c.sha)
           d.service, d.environment, c.sha, d.id, d.created_at, c.committed_at, d.finished_at
    FROM deployments d JOIN deployment_commits c ON c.deployment_id = d.id
    WHERE d.id = ANY (p_ids) AND d.status IN ('succeeded', 'rolled_back') AND d.finished_at IS NOT NULL
    ORDER BY d.service, d.environment, c.sha, d.finished_at, d.id
    ON CONFLICT (service, environment, sha) DO UPDATE SET
        deployment_id = excluded.deployment_id, deployed_created_at = excluded.deployed_created_at,
        committed_at = excluded.committed_at, shipped_at = excluded.shipped_at
    WHERE excluded.shipped_at < l.shipped_at
$$;

-- Commits listed (on create or later): mark their deployments and refresh the leads of those that already succeeded.
CREATE FUNCTION deployment_commits_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(DISTINCT deployment_id) INTO ids FROM inserted;
    IF ids IS NULL THEN RETURN NULL; END IF;
    UPDATE deployments SET has_commits = true WHERE id = ANY (ids) AND NOT has_commits;
    PERFORM deploy_commit_leads_refresh(ids);
    RETURN NULL;
END $$;
CREATE TRIGGER deployment_commits_inserted AFTER INSERT ON deployment_commits
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION deployment_commits_inserted();

-- A deployment with commits that succeeds ships them. The WHEN clause keeps the status-post hot path free: progress
-- notes and deployments without commits queue no trigger event at all.
CREATE FUNCTION deployment_commits_shipped() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM deploy_commit_leads_refresh(ARRAY[NEW.id]);
    RETURN NULL;
END $$;
CREATE TRIGGER deployment_commits_shipped AFTER UPDATE OF status ON deployments
    FOR EACH ROW WHEN (NEW.has_commits AND NEW.status = 'succeeded' AND OLD.status IS DISTINCT FROM 'succeeded')
    EXECUTE FUNCTION deployment_commits_shipped();

-- Row-level security as for deployments: release managers, admins and the API read and write; the System job reads.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['deploy_incidents', 'deploy_incident_causes', 'deployment_commits', 'deploy_commit_leads']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true) WITH CHECK (true)', t || '_owner', t, current_user);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO admin_app USING ((SELECT rls_role_in(''Admin'', ''ReleaseManager'', ''DeployApi'', ''System'')))', t || '_read', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['deploy_incidents', 'deploy_incident_causes', 'deployment_commits']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR INSERT TO admin_app WITH CHECK ((SELECT rls_role_in(''Admin'', ''ReleaseManager'', ''DeployApi'')))', t || '_insert', t);
        EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE TO admin_app USING ((SELECT rls_role_in(''Admin'', ''ReleaseManager'', ''DeployApi''))) WITH CHECK ((SELECT rls_role_in(''Admin'', ''ReleaseManager'', ''DeployApi'')))', t || '_update', t);
    END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON deploy_incidents, deploy_incident_causes, deployment_commits TO admin_app;
GRANT SELECT ON deploy_commit_leads TO admin_app;
-- Definer functions: never PUBLIC (DefinerFunctionTests). The refresh is called by the triggers only.
REVOKE ALL ON FUNCTION deploy_commit_leads_refresh(bigint[]), deployment_commits_inserted(), deployment_commits_shipped() FROM PUBLIC;
