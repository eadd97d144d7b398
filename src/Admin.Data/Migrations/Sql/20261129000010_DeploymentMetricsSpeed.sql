-- 20261129000010_DeploymentMetricsSpeed
-- The DORA dashboard over all 50,000 deployments of the large seed took 175-500 ms: it recomputed every
-- deployment's figures with numeric extract(), materialised the range (spilled to disk), and sorted all outcomes
-- per pipeline with a window function to find each failure's restore. Now each deployment carries its own figures,
-- so the dashboard is one pass of plain aggregates (and a hash aggregate per day) over the rows in range:
--   created_day, lead_time_s, duration_s, failed_at: generated from the row itself (always right, whoever writes);
--   restored_at: when the same service in the same environment next succeeded after this failure, kept by the
--                triggers below (a failure looks up its restore; a success restores the failures before it).
-- The trigger functions are SECURITY DEFINER so that row-level security on deployments (issue #7) can never hide
-- a pipeline's other rows from them: the figures stay the same whoever writes the status.

ALTER TABLE deployments
    ADD COLUMN created_day date GENERATED ALWAYS AS ((created_at AT TIME ZONE 'UTC')::date) STORED,
    -- commit -> success (kept when the deployment is rolled back later)
    ADD COLUMN lead_time_s double precision GENERATED ALWAYS AS (
        CASE WHEN status IN ('succeeded', 'rolled_back') THEN date_part('epoch', finished_at - commit_at) END) STORED,
    -- start -> finish of the deployments that finished with an outcome
    ADD COLUMN duration_s double precision GENERATED ALWAYS AS (
        CASE WHEN status IN ('succeeded', 'failed', 'rolled_back') THEN date_part('epoch', finished_at - started_at) END) STORED,
    -- when it became a failure: it failed, or it was rolled back
    ADD COLUMN failed_at timestamptz GENERATED ALWAYS AS (
        CASE status WHEN 'failed' THEN finished_at WHEN 'rolled_back' THEN rolled_back_at END) STORED,
    ADD COLUMN restored_at timestamptz;

-- Successes of a pipeline in time order (a failure's restore is the first one after it).
CREATE INDEX deployments_successes_idx ON deployments (service, environment, finished_at)
    WHERE status IN ('succeeded', 'rolled_back');
-- Failures of a pipeline not yet restored (restored_at IS NULL sorts last), in failure order.
CREATE INDEX deployments_failures_idx ON deployments (service, environment, restored_at, failed_at)
    WHERE status IN ('failed', 'rolled_back');

CREATE FUNCTION deploy_restored_at(p_service text, p_environment text, p_failed_at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT min(s.finished_at) FROM deployments s
    WHERE s.service = p_service AND s.environment = p_environment
      AND s.status IN ('succeeded', 'rolled_back') AND s.finished_at > p_failed_at
$$;

UPDATE deployments SET restored_at = deploy_restored_at(service, environment, failed_at)
WHERE status IN ('failed', 'rolled_back');

-- A failure and a success of one pipeline written at the same time must still see each other: both triggers take
-- this transaction-level lock on the pipeline first, so the second waits for the first to commit and then, in a new
-- statement snapshot, sees it. Only outcome transitions take it; progress notes never do.
CREATE FUNCTION deploy_restore_lock(p_service text, p_environment text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('deploy-restore'), hashtext(p_service || '/' || p_environment))
$$;

-- A status change (deploy_apply: one row at a time), BEFORE the row is written: a failure finds its own restore
-- (generated columns are not computed yet in a BEFORE trigger, hence the CASE); any other status has none.
CREATE FUNCTION deploy_restore_own() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.status IN ('failed', 'rolled_back') THEN
        PERFORM deploy_restore_lock(NEW.service, NEW.environment);
        NEW.restored_at := deploy_restored_at(NEW.service, NEW.environment,
            CASE NEW.status WHEN 'failed' THEN NEW.finished_at ELSE NEW.rolled_back_at END);
    ELSE
        NEW.restored_at := NULL;
    END IF;
    RETURN NEW;
END $$;

-- ... and AFTER a row becomes a success: it restores the failures of its pipeline before it that had no restore
-- yet (or a later one, for rows written out of time order).
CREATE FUNCTION deploy_restore_others() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM deploy_restore_lock(NEW.service, NEW.environment);
    UPDATE deployments f SET restored_at = NEW.finished_at
    WHERE f.service = NEW.service AND f.environment = NEW.environment AND f.status IN ('failed', 'rolled_back')
      AND f.failed_at < NEW.finished_at AND (f.restored_at IS NULL OR f.restored_at > NEW.finished_at);
    RETURN NULL;
END $$;

-- Neither fires for progress notes (the status-post hot path) or for starts: only when a row becomes, stops being or
-- changes as a failure, and when it becomes a success.
CREATE TRIGGER deployments_restore_own BEFORE UPDATE ON deployments
    FOR EACH ROW WHEN ((NEW.status IN ('failed', 'rolled_back') OR OLD.status IN ('failed', 'rolled_back'))
                       AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.finished_at IS DISTINCT FROM OLD.finished_at
                            OR NEW.rolled_back_at IS DISTINCT FROM OLD.rolled_back_at))
    EXECUTE FUNCTION deploy_restore_own();
CREATE TRIGGER deployments_restore_others AFTER UPDATE ON deployments
    FOR EACH ROW WHEN (NEW.status IN ('succeeded', 'rolled_back') AND NEW.finished_at IS NOT NULL
                       AND (OLD.status NOT IN ('succeeded', 'rolled_back') OR NEW.finished_at IS DISTINCT FROM OLD.finished_at))
    EXECUTE FUNCTION deploy_restore_others();

-- Rows inserted with an outcome already (the demo seed: 50,000 in one statement; tests), once per statement and set
-- based: the new failures, and the failures of pipelines a new success may restore, look their restore up again.
-- The API inserts queued deployments, for which this returns at once. Dynamic SQL, so the statement is planned with
-- the real number of rows rather than with a cached plan made for one.
CREATE FUNCTION deploy_restore_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM inserted WHERE status IN ('succeeded', 'failed', 'rolled_back')) THEN
        RETURN NULL;
    END IF;
    EXECUTE $sql$
        WITH successes AS (
            SELECT service, environment, min(finished_at) AS first_at, max(finished_at) AS last_at
            FROM inserted WHERE status IN ('succeeded', 'rolled_back') AND finished_at IS NOT NULL
            GROUP BY service, environment
        ), affected AS (
            SELECT id FROM inserted WHERE status IN ('failed', 'rolled_back')
            UNION
            SELECT f.id FROM successes s
            JOIN deployments f ON f.service = s.service AND f.environment = s.environment AND f.status IN ('failed', 'rolled_back')
            WHERE f.failed_at < s.last_at AND (f.restored_at IS NULL OR f.restored_at > s.first_at)
        )
        UPDATE deployments f SET restored_at = deploy_restored_at(f.service, f.environment, f.failed_at)
        FROM affected a
        WHERE f.id = a.id
    $sql$;
    RETURN NULL;
END $$;

CREATE TRIGGER deployments_restore_inserted AFTER INSERT ON deployments
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION deploy_restore_inserted();

ANALYZE deployments;
