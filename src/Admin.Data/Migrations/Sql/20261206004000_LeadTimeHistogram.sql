-- 20261206004000_LeadTimeHistogram (issue 18)
-- The dashboard's per-commit lead time over a long range sorted every commit of the range for its percentiles
-- (45,000 for 180 days of production on the large seed: the largest part of the 180-day dashboard). Now the leads of
-- each UTC day are also counted in log-spaced buckets per (environment, day, service), kept by statement triggers on
-- deploy_commit_leads in the same transaction as the leads themselves; the dashboard sums the buckets of the whole
-- days of its range, adds the few leads of partial days at its ends (and deployments without commits) bucketed on
-- the fly, and estimates each percentile from the buckets (docs/deployments.md, "Lead time from a histogram").
--
-- Buckets: 0 holds lead times under one second (a commit time after the deploy's finish, clock skew; estimated as
-- 0 s); then each of the segments [1 s, 1 min), [1 min, 1 h), [1 h, 1 d), [1 d, 1 w), [1 w, 30 d) is cut into equal
-- ratios of at most 1.05 (84, 84, 66, 40, 30 buckets), and from 30 days on the ratio is 1.05. The segments end on the
-- distribution's class limits, so the five class counts (< 1 h, < 1 d, < 1 w, < 30 d, longer) stay exact. An order
-- statistic is estimated as its bucket's geometric middle, at most sqrt(1.05) ≈ 2.47 % from the true value, and
-- percentile_cont's interpolation between two estimated order statistics keeps that bound.

CREATE FUNCTION deploy_lead_bucket(s double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN s IS NULL OR s < 1 THEN 0
                 WHEN s < 60 THEN 1 + least(83, floor(ln(s) / ln(60.0) * 84))
                 WHEN s < 3600 THEN 85 + least(83, floor(ln(s / 60) / ln(60.0) * 84))
                 WHEN s < 86400 THEN 169 + least(65, floor(ln(s / 3600) / ln(24.0) * 66))
                 WHEN s < 604800 THEN 235 + least(39, floor(ln(s / 86400) / ln(7.0) * 40))
                 WHEN s < 2592000 THEN 275 + least(29, floor(ln(s / 604800) / ln(30.0 / 7) * 30))
                 ELSE 305 + least(2000, floor(ln(s / 2592000) / ln(1.05))) END)::smallint
$$;

-- The lower bound of a bucket (0 for bucket 0); bucket b holds [low(b), low(b + 1)).
CREATE FUNCTION deploy_lead_bucket_low(b integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN b <= 0 THEN 0
                WHEN b < 85 THEN power(60.0::float8, (b - 1) / 84.0::float8)
                WHEN b < 169 THEN 60 * power(60.0::float8, (b - 85) / 84.0::float8)
                WHEN b < 235 THEN 3600 * power(24.0::float8, (b - 169) / 66.0::float8)
                WHEN b < 275 THEN 86400 * power(7.0::float8, (b - 235) / 40.0::float8)
                WHEN b < 305 THEN 604800 * power(30.0::float8 / 7, (b - 275) / 30.0::float8)
                ELSE 2592000 * power(1.05::float8, b - 305) END
$$;

-- The estimate of a value in bucket b: its geometric middle (0 for bucket 0).
CREATE FUNCTION deploy_lead_bucket_mid(b integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN b <= 0 THEN 0 ELSE sqrt(deploy_lead_bucket_low(b) * deploy_lead_bucket_low(b + 1)) END
$$;

CREATE TABLE deploy_lead_histogram (
    environment text NOT NULL,
    day         date NOT NULL,      -- UTC day of the shipping deployment's created_at (the dashboard's range)
    service     text NOT NULL,      -- '*': all services of the environment (the unfiltered dashboard reads these)
    bucket      smallint NOT NULL,
    n           bigint NOT NULL,    -- leads in the bucket; a row whose count falls to 0 is deleted
    PRIMARY KEY (environment, service, day, bucket) INCLUDE (n)   -- the dashboard reads index-only
);

CREATE INDEX deploy_lead_histogram_empty_idx ON deploy_lead_histogram (environment) WHERE n <= 0;

-- Statement triggers on deploy_commit_leads (one per event, each with its transition tables): one upsert of the
-- counts per statement, grouped by key and applied in key order, so two transactions that touch the same keys lock
-- them in the same order and neither loses the other's count (INSERT ... ON CONFLICT DO UPDATE n = n + delta).
-- The lead refresh's INSERT ... ON CONFLICT DO UPDATE fires both: its inserted leads here (+1), the leads it moved to
-- an earlier shipment in the UPDATE trigger (-1 old, +1 new). A deleted deployment's leads go by ON DELETE CASCADE.
CREATE FUNCTION deploy_commit_leads_counted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- Each lead counts in its service's row and in the environment's '*' row: +1 for a new lead, -1 for an old one
    -- (an UPDATE that moves a lead to an earlier shipment has both).
    IF TG_OP = 'INSERT' THEN
        -- The lead refresh's INSERT ... ON CONFLICT fires this trigger (and the UPDATE one) even when it changed nothing.
        IF NOT EXISTS (SELECT FROM new_leads) THEN RETURN NULL; END IF;
        INSERT INTO deploy_lead_histogram AS h (environment, service, day, bucket, n)
        SELECT l.environment, s.service, (l.deployed_created_at AT TIME ZONE 'UTC')::date, deploy_lead_bucket(l.lead_time_s), count(*)
        FROM new_leads l CROSS JOIN LATERAL (VALUES (l.service), ('*')) s(service)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (environment, service, day, bucket) DO UPDATE SET n = h.n + excluded.n;
        RETURN NULL;
    ELSIF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT FROM old_leads) THEN RETURN NULL; END IF;
        INSERT INTO deploy_lead_histogram AS h (environment, service, day, bucket, n)
        SELECT l.environment, s.service, l.day, l.bucket, sum(l.n)
        FROM (SELECT environment, service, (deployed_created_at AT TIME ZONE 'UTC')::date AS day, deploy_lead_bucket(lead_time_s) AS bucket, -1 AS n
              FROM old_leads
              UNION ALL
              SELECT environment, service, (deployed_created_at AT TIME ZONE 'UTC')::date, deploy_lead_bucket(lead_time_s), 1
              FROM new_leads) l
        CROSS JOIN LATERAL (VALUES (l.service), ('*')) s(service)
        GROUP BY 1, 2, 3, 4 HAVING sum(l.n) <> 0 ORDER BY 1, 2, 3, 4
        ON CONFLICT (environment, service, day, bucket) DO UPDATE SET n = h.n + excluded.n;
    ELSE
        IF NOT EXISTS (SELECT FROM old_leads) THEN RETURN NULL; END IF;
        INSERT INTO deploy_lead_histogram AS h (environment, service, day, bucket, n)
        SELECT l.environment, s.service, (l.deployed_created_at AT TIME ZONE 'UTC')::date, deploy_lead_bucket(l.lead_time_s), -count(*)
        FROM old_leads l CROSS JOIN LATERAL (VALUES (l.service), ('*')) s(service)
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (environment, service, day, bucket) DO UPDATE SET n = h.n + excluded.n;
    END IF;
    -- Buckets that fell to 0 (found through a partial index that holds only those).
    DELETE FROM deploy_lead_histogram WHERE n <= 0;
    RETURN NULL;
END $$;
CREATE TRIGGER deploy_commit_leads_counted_insert AFTER INSERT ON deploy_commit_leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION deploy_commit_leads_counted();
CREATE TRIGGER deploy_commit_leads_counted_update AFTER UPDATE ON deploy_commit_leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION deploy_commit_leads_counted();
CREATE TRIGGER deploy_commit_leads_counted_delete AFTER DELETE ON deploy_commit_leads
    REFERENCING OLD TABLE AS old_leads FOR EACH STATEMENT EXECUTE FUNCTION deploy_commit_leads_counted();

-- The leads there are now.
INSERT INTO deploy_lead_histogram (environment, service, day, bucket, n)
SELECT l.environment, s.service, (l.deployed_created_at AT TIME ZONE 'UTC')::date, deploy_lead_bucket(l.lead_time_s), count(*)
FROM deploy_commit_leads l CROSS JOIN LATERAL (VALUES (l.service), ('*')) s(service)
GROUP BY 1, 2, 3, 4;

-- Row-level security as for deploy_commit_leads: the console roles, the API and the System job read; only the
-- triggers (definer) write.
ALTER TABLE deploy_lead_histogram ENABLE ROW LEVEL SECURITY;
ALTER TABLE deploy_lead_histogram FORCE ROW LEVEL SECURITY;
DO $$
BEGIN
    EXECUTE format('CREATE POLICY deploy_lead_histogram_owner ON deploy_lead_histogram TO %I USING (true) WITH CHECK (true)', current_user);
END $$;
CREATE POLICY deploy_lead_histogram_read ON deploy_lead_histogram FOR SELECT TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager', 'DeployApi', 'System')));
GRANT SELECT ON deploy_lead_histogram TO admin_app;
REVOKE ALL ON FUNCTION deploy_commit_leads_counted() FROM PUBLIC;
