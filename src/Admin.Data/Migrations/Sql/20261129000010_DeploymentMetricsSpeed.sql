-- 20261129000010_DeploymentMetricsSpeed
-- The DORA dashboard over all 50,000 deployments of the large seed took 175-500 ms: it recomputed every
-- deployment's figures with numeric extract(), materialised the range (spilled to disk), and sorted all outcomes
-- per pipeline with a window function to find each failure's restore. Now each deployment carries its own figures,
-- so the dashboard is one pass of plain aggregates (and a hash aggregate per day) over the rows in range:
--   created_day, lead_time_s, duration_s, failed_at: generated from the row itself (always right, whoever writes);
--   restored_at: when the same service in the same environment next succeeded after this failure, kept by
--                deploy_apply and an insert trigger below (a failure looks up its restore; a success restores the
--                failures before it).
-- The functions that read or write other rows of a pipeline are SECURITY DEFINER so that row-level security on
-- deployments (issue #7) can never hide them: the figures stay the same whoever reports the status.

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

-- Backfill (also the statement to run after changing statuses by hand, outside deploy_apply).
UPDATE deployments SET restored_at = deploy_restored_at(service, environment, failed_at)
WHERE status IN ('failed', 'rolled_back');

-- ---------------------------------------------------------------------------------------------------------
-- Keeping restored_at. Status changes go through deploy_apply (the API and the console's approvals), which does it
-- in the same transaction; rows inserted with an outcome already (the demo seed, tests) are handled by the statement
-- trigger further down. Row triggers on UPDATE would cost every progress note (the status-post hot path) a fetch of
-- the old row, and a BEFORE trigger also a row lock: about 10 % and 30 % fewer posts a second when tried.
-- ---------------------------------------------------------------------------------------------------------

-- A failure and a success of one pipeline written at the same time must still see each other: deploy_apply takes
-- this transaction-level lock on the pipeline before it writes an outcome, so the second waits for the first to
-- commit, and its later statements (new snapshots) see it. Starts, approvals and progress notes never take it.
CREATE FUNCTION deploy_restore_lock(p_service text, p_environment text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('deploy-restore'), hashtext(p_service || '/' || p_environment))
$$;

-- A success at p_at restores the failures of its pipeline before it that have no restore yet (or a later one, for
-- rows written out of time order).
CREATE FUNCTION deploy_restore_pipeline(p_service text, p_environment text, p_at timestamptz) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE deployments f SET restored_at = p_at
    WHERE f.service = p_service AND f.environment = p_environment AND f.status IN ('failed', 'rolled_back')
      AND f.failed_at < p_at AND (f.restored_at IS NULL OR f.restored_at > p_at)
$$;

-- Applies a transition to a locked row: timestamps, history, live event. The caller has checked it is allowed.
-- As in 20261122000006, plus: one timestamp for the whole transition, and for an outcome the pipeline lock, the
-- failure's own restore (NULL unless rows were written out of time order) and a success's restores.
CREATE OR REPLACE FUNCTION deploy_apply(p_id bigint, p_to text, p_message text, p_actor text) RETURNS deployments
LANGUAGE plpgsql AS $$
DECLARE
    d deployments;
    now_at timestamptz;
BEGIN
    IF p_to IN ('succeeded', 'failed', 'rolled_back') THEN
        SELECT * INTO d FROM deployments WHERE id = p_id;
        PERFORM deploy_restore_lock(d.service, d.environment);
    END IF;
    now_at := clock_timestamp();
    UPDATE deployments SET
        status = p_to,
        started_at = CASE WHEN p_to = 'in_progress' THEN coalesce(started_at, now_at) ELSE started_at END,
        finished_at = CASE WHEN p_to IN ('succeeded', 'failed', 'cancelled') THEN now_at ELSE finished_at END,
        rolled_back_at = CASE WHEN p_to = 'rolled_back' THEN now_at ELSE rolled_back_at END,
        restored_at = CASE WHEN p_to IN ('failed', 'rolled_back') THEN deploy_restored_at(service, environment, now_at) ELSE restored_at END,
        updated_at = now_at
    WHERE id = p_id
    RETURNING * INTO d;
    IF p_to = 'succeeded' THEN
        PERFORM deploy_restore_pipeline(d.service, d.environment, d.finished_at);
    END IF;
    INSERT INTO deployment_status_history (deployment_id, status, message, actor) VALUES (p_id, p_to, p_message, p_actor);
    PERFORM live_notify('deployments', p_id::text, p_to, p_actor);
    RETURN d;
END $$;

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
