-- Status posts set-based (issue 15). Durable group commit (20261205000600) made a post cost one turn at the commit, but
-- each post still ran alone inside the batch: about a dozen statements and three PL/pgSQL calls, 1.2 ms of server time,
-- which caps two cores near the goal before the app takes its share. Now the common post (an in_progress start or progress
-- note) is applied for the whole batch by one UPDATE, one history INSERT and one key INSERT; measured with 16 posts a
-- batch: 0.23 ms a post instead of 1.2 ms. The rest still runs post by post, with the same answers as a single call.

-- A transaction that NOTIFYs holds a server-wide lock from its commit until the commit's WAL flush is done, so the
-- commits of all notifying transactions queue one flush after another (measured: 3 concurrent batches of 5 posts, 144
-- transactions/s with the NOTIFY in the batch, 180–219/s without). The set-based posts are therefore announced after the
-- batch commits: the function returns each one's payload and the caller sends them in a statement of its own, which
-- writes no WAL. An announcement can be lost if the app dies between the two; the post cannot.
CREATE FUNCTION live_payload(topic text, id text DEFAULT NULL, kind text DEFAULT NULL, actor text DEFAULT NULL) RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT json_build_object(
        'topic', topic, 'id', id, 'kind', kind,
        'actor', coalesce(actor, app_user_email()), 'at', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
$$;

CREATE OR REPLACE FUNCTION live_notify(topic text, id text DEFAULT NULL, kind text DEFAULT NULL, actor text DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$ SELECT pg_notify('admin_live', live_payload(topic, id, kind, actor)) $$;

-- deploy_transition_error was an IMMUTABLE SQL function calling format() (STABLE), so PostgreSQL could not inline it and
-- planned its CASE again on every call: 0.28 ms each. In PL/pgSQL its plan is cached for the session. Same rules.
CREATE OR REPLACE FUNCTION deploy_transition_error(p_from text, p_to text, p_requires_approval boolean, p_via text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN CASE
        WHEN p_to NOT IN ('queued', 'awaiting_approval', 'approved', 'in_progress', 'succeeded', 'failed', 'cancelled', 'rolled_back')
            THEN format('unknown status %s', p_to)
        -- A repeated in_progress is a progress note (a step of a long deployment): it only adds to the history.
        WHEN p_from = 'in_progress' AND p_to = 'in_progress' THEN NULL
        WHEN p_from = p_to THEN format('the deployment is already %s', p_from)
        WHEN p_from IN ('failed', 'cancelled', 'rolled_back') THEN format('the deployment is %s, which is final', p_from)
        WHEN p_to IN ('queued', 'awaiting_approval') THEN format('%s is set by the console when a deployment is created', p_to)
        WHEN p_to = 'approved' AND p_via <> 'console' THEN 'approval is given in the console by a release manager'
        WHEN p_to = 'approved' AND p_from <> 'awaiting_approval' THEN format('only a deployment awaiting approval can be approved (it is %s)', p_from)
        WHEN p_to = 'in_progress' AND p_from = 'queued' AND p_requires_approval THEN 'this environment requires approval before the deployment starts'
        WHEN p_to = 'in_progress' AND p_from = 'awaiting_approval' THEN 'the deployment is awaiting approval'
        WHEN p_to = 'in_progress' AND p_from NOT IN ('queued', 'approved') THEN format('a deployment that is %s cannot start', p_from)
        WHEN p_to IN ('succeeded', 'failed') AND p_from <> 'in_progress' THEN format('only a deployment in progress can become %s (it is %s)', p_to, p_from)
        WHEN p_to = 'cancelled' AND p_from NOT IN ('queued', 'awaiting_approval', 'approved', 'in_progress') THEN format('a deployment that is %s cannot be cancelled', p_from)
        WHEN p_to = 'rolled_back' AND p_from <> 'succeeded' THEN format('only a succeeded deployment can be rolled back (it is %s)', p_from)
        ELSE NULL
    END;
END $$;

-- A batch of status posts in one transaction (one commit, one flush), the common post set-based (see the top). announce
-- is the live event of a set-based post, for the caller to send once the batch has committed (null: sent already).
DROP FUNCTION deploy_api_status_batch(bytea[], text[], bytea[], text[], text[], text[]);
CREATE FUNCTION deploy_api_status_batch(
    p_token_hash bytea[], p_idempotency_key text[], p_request_hash bytea[], p_ref text[], p_status text[], p_message text[])
RETURNS TABLE (ord integer, http_status integer, body text, replayed boolean, error_state text, announce text)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(array_length(p_ref, 1), 0);
    token bytea;
    now_at timestamptz;
    fast_ord bigint[] := '{}';
    fast_body text[] := '{}';
    fast_announce text[] := '{}';
    at integer;
BEGIN
    IF array_length(p_token_hash, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_idempotency_key, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_request_hash, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_status, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_message, 1) IS DISTINCT FROM array_length(p_ref, 1) THEN
        RAISE EXCEPTION 'deploy_api_status_batch: the arrays differ in length' USING ERRCODE = '22023';
    END IF;
    IF n = 0 THEN RETURN; END IF;

    -- Every token once (it records its use), every deployment locked in one statement in the order of its reference.
    FOR token IN SELECT DISTINCT h FROM unnest(p_token_hash) h LOOP
        PERFORM * FROM api_token_authenticate(token);
    END LOOP;
    PERFORM 1 FROM deployments x WHERE x.external_id = ANY (p_ref) ORDER BY x.external_id FOR UPDATE;

    -- The common post set-based: a progress note or start (in_progress) by a valid token in its scope, to a deployment
    -- by external id, allowed by the transition rules, with a new Idempotency-Key or none, the only post of the batch
    -- for its deployment and its key. One UPDATE, one history INSERT and one key INSERT for all of them; the answer and
    -- the stored response are what deploy_api_status_by_token would give. Anything else (a replay, an error answer,
    -- a terminal status and its restore bookkeeping) runs below post by post. If the set-based pass raises (a key
    -- claimed meanwhile by a transaction in flight), it is rolled back whole and every post runs below.
    BEGIN
        now_at := clock_timestamp();
        WITH p AS (
            SELECT u.*, count(*) OVER (PARTITION BY u.ref) AS same_ref, count(*) OVER (PARTITION BY u.token_hash, u.key) AS same_key
            FROM unnest(p_token_hash, p_idempotency_key, p_request_hash, p_ref, p_status, p_message)
                 WITH ORDINALITY AS u(token_hash, key, request_hash, ref, status, message, ord)
        ),
        ok AS MATERIALIZED (
            SELECT p.ord, p.key, p.request_hash, p.message, d.id AS deployment_id, k.id AS token_id, 'api:' || k.name AS actor
            FROM p
            JOIN api_tokens k ON k.token_hash = p.token_hash AND k.revoked_at IS NULL
            JOIN deployments d ON d.external_id = p.ref
            JOIN deploy_environments e ON e.name = d.environment
            WHERE p.status = 'in_progress' AND p.same_ref = 1 AND (p.key IS NULL OR p.same_key = 1)
              AND api_token_scope_refusal(k.services, k.environments, d.service, d.environment) IS NULL
              AND deploy_transition_error(d.status, p.status, e.requires_approval, 'api') IS NULL
              AND NOT EXISTS (SELECT 1 FROM api_idempotency_keys i WHERE i.token_id = k.id AND i.key = p.key)
        ),
        started AS (
            UPDATE deployments d SET status = 'in_progress', started_at = coalesce(d.started_at, now_at), updated_at = now_at
            FROM ok WHERE d.id = ok.deployment_id
            RETURNING d.id, deploy_json(d) AS doc
        ),
        noted AS (
            INSERT INTO deployment_status_history (deployment_id, status, message, actor)
            SELECT ok.deployment_id, 'in_progress', ok.message, ok.actor FROM ok ORDER BY ok.ord
        ),
        answered AS MATERIALIZED (
            SELECT ok.*, s.doc FROM ok JOIN started s ON s.id = ok.deployment_id
        ),
        kept AS (
            INSERT INTO api_idempotency_keys (token_id, key, request_hash, response_status, response_body)
            SELECT a.token_id, a.key, a.request_hash, 200, a.doc::text FROM answered a WHERE a.key IS NOT NULL
        )
        SELECT coalesce(array_agg(a.ord), '{}'), coalesce(array_agg(a.doc::text), '{}'),
               coalesce(array_agg(live_payload('deployments', a.deployment_id::text, 'in_progress', a.actor)), '{}')
        INTO fast_ord, fast_body, fast_announce
        FROM answered a;
    EXCEPTION WHEN OTHERS THEN
        fast_ord := '{}';
    END;

    FOR i IN 1..n LOOP
        ord := i;
        error_state := NULL;
        announce := NULL;
        at := array_position(fast_ord, i::bigint);
        IF at IS NOT NULL THEN
            http_status := 200;
            body := fast_body[at];
            replayed := false;
            announce := fast_announce[at];
        ELSE
            BEGIN
                SELECT s.http_status, s.body, s.replayed INTO http_status, body, replayed
                FROM deploy_api_status_by_token(p_token_hash[i], p_idempotency_key[i], p_request_hash[i], p_ref[i], p_status[i], p_message[i]) s;
            EXCEPTION WHEN OTHERS THEN
                http_status := NULL;
                body := NULL;
                replayed := false;
                error_state := SQLSTATE;
            END;
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;
