-- Durable status posts (issue 15). deploy_api_status_by_token committed with synchronous_commit = off, so a post answered
-- 200 could vanish in a server crash. Now every post commits durably, and the throughput comes from committing many
-- concurrent posts in one transaction: deploy_api_status_batch runs a batch of posts (DeploymentIngestion's group
-- commit collects the posts that arrive while the previous batch commits) and answers each one separately.

-- The same post as in 20261205000300_TokenScopes, without the asynchronous commit.
CREATE OR REPLACE FUNCTION deploy_api_status_by_token(
    p_token_hash bytea, p_idempotency_key text, p_request_hash bytea, p_ref text, p_status text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    d deployments;
    env_requires boolean;
    reason text;
    result jsonb;
BEGIN
    replayed := false;
    SELECT * INTO t FROM api_token_authenticate(p_token_hash);
    IF NOT FOUND THEN
        http_status := 401;
        RETURN;
    END IF;
    SELECT c.http_status, c.body INTO http_status, body FROM api_idempotency_claim(t.id, p_idempotency_key, p_request_hash) c;
    replayed := http_status IS NOT NULL;
    IF replayed THEN RETURN; END IF;

    SELECT * INTO d FROM deployments x WHERE x.external_id = p_ref FOR UPDATE;
    IF NOT FOUND AND p_ref ~ '^[0-9]{1,18}$' THEN
        SELECT * INTO d FROM deployments x WHERE x.id = p_ref::bigint FOR UPDATE;
    END IF;
    IF d.id IS NULL THEN
        http_status := 404;
        result := deploy_problem(404, 'Unknown deployment', format('No deployment has the external id or id ''%s''.', p_ref));
    ELSE
        reason := api_token_scope_refusal(t.services, t.environments, d.service, d.environment);
        IF reason IS NOT NULL THEN
            http_status := 403;
            body := deploy_api_refuse(t.id, t.name, t.services, t.environments, p_idempotency_key, 403, 'Outside the token''s scope',
                format('%s (deployment %s is %s in %s)', reason, d.id, d.service, d.environment),
                jsonb_build_object('id', d.id),
                jsonb_build_object('action', 'status', 'id', d.id::text, 'externalId', d.external_id, 'service', d.service,
                                   'environment', d.environment, 'from', d.status, 'to', p_status))::text;
            RETURN;
        END IF;
        SELECT e.requires_approval INTO env_requires FROM deploy_environments e WHERE e.name = d.environment;
        reason := deploy_transition_error(d.status, p_status, env_requires, 'api');
        IF reason IS NOT NULL THEN
            http_status := 409;
            result := deploy_problem(409, 'Invalid transition', format('%s -> %s: %s', d.status, p_status, reason),
                jsonb_build_object('from', d.status, 'to', p_status, 'id', d.id));
        ELSE
            d := deploy_apply(d.id, p_status, p_message, 'api:' || t.name);
            http_status := 200;
            result := deploy_json(d);
        END IF;
    END IF;
    body := result::text;
    PERFORM api_idempotency_store(t.id, p_idempotency_key, http_status, result);
END $$;

-- A batch of status posts in one transaction, one commit (one WAL flush, one turn at the commit lock that notifying
-- transactions queue for). Each post runs in its own subtransaction: a post that raises (a deadlock, an unexpected
-- error) is rolled back alone and answered with its SQLSTATE, which the caller retries on its own; the others commit.
-- Posts come sorted by reference, so two batches lock deployments in the same order.
CREATE FUNCTION deploy_api_status_batch(
    p_token_hash bytea[], p_idempotency_key text[], p_request_hash bytea[], p_ref text[], p_status text[], p_message text[])
RETURNS TABLE (ord integer, http_status integer, body text, replayed boolean, error_state text)
LANGUAGE plpgsql AS $$
DECLARE
    n integer := coalesce(array_length(p_ref, 1), 0);
BEGIN
    IF array_length(p_token_hash, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_idempotency_key, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_request_hash, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_status, 1) IS DISTINCT FROM array_length(p_ref, 1)
       OR array_length(p_message, 1) IS DISTINCT FROM array_length(p_ref, 1) THEN
        RAISE EXCEPTION 'deploy_api_status_batch: the arrays differ in length' USING ERRCODE = '22023';
    END IF;
    FOR i IN 1..n LOOP
        ord := i;
        error_state := NULL;
        BEGIN
            SELECT s.http_status, s.body, s.replayed INTO http_status, body, replayed
            FROM deploy_api_status_by_token(p_token_hash[i], p_idempotency_key[i], p_request_hash[i], p_ref[i], p_status[i], p_message[i]) s;
        EXCEPTION WHEN OTHERS THEN
            http_status := NULL;
            body := NULL;
            replayed := false;
            error_state := SQLSTATE;
        END;
        RETURN NEXT;
    END LOOP;
END $$;
