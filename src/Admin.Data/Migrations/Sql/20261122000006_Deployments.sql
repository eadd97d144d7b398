-- 20261122000006_Deployments
-- Deployments reported by CI/CD systems, their status history, environments (some need approval), the API tokens
-- those systems use, and the idempotency records of their POSTs. The state machine lives in one function,
-- deploy_transition_error, which the API, the console's approvals and the C# mirror (DeploymentStateMachine) agree on.
-- releases(id) comes from issue #4: deployments.release_id has no foreign key yet (the integrator adds it).

CREATE TABLE deploy_environments (
    name              text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    requires_approval boolean NOT NULL DEFAULT false,
    display_order     integer NOT NULL DEFAULT 0
);

INSERT INTO deploy_environments (name, requires_approval, display_order) VALUES
    ('development', false, 0), ('staging', false, 1), ('production', true, 2);

CREATE TABLE deployments (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id        text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    service            text NOT NULL CHECK (service ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$'),
    environment        text NOT NULL REFERENCES deploy_environments (name),
    version            text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
    commit_sha         text NOT NULL CHECK (commit_sha ~ '^[0-9a-f]{7,40}$'),
    commit_at          timestamptz,
    release_id         bigint,
    requested_by       uuid,
    requested_by_email text NOT NULL CHECK (length(requested_by_email) BETWEEN 1 AND 256),
    status             text NOT NULL CHECK (status IN ('queued', 'awaiting_approval', 'approved', 'in_progress',
                                                       'succeeded', 'failed', 'cancelled', 'rolled_back')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    started_at         timestamptz,
    finished_at        timestamptz,
    rolled_back_at     timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deployments_external_id_key UNIQUE (external_id)
);

-- The list (newest first, keyset on created_at, id), the dashboard's range scans with or without filters, approvals.
CREATE INDEX deployments_created_idx ON deployments (created_at DESC, id DESC);
CREATE INDEX deployments_env_service_created_idx ON deployments (environment, service, created_at);
CREATE INDEX deployments_service_created_idx ON deployments (service, created_at);
CREATE INDEX deployments_waiting_idx ON deployments (created_at) WHERE status = 'awaiting_approval';

CREATE TABLE deployment_status_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    status        text NOT NULL,
    message       text CHECK (message IS NULL OR length(message) <= 2000),
    actor         text,
    occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX deployment_status_history_deployment_idx ON deployment_status_history (deployment_id, id);

-- Tokens are shown once and stored as SHA-256 of the secret: a lookup is one unique-index probe.
CREATE TABLE api_tokens (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash       bytea NOT NULL UNIQUE,
    token_prefix     text NOT NULL,
    created_by       uuid NOT NULL,
    created_by_email text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    revoked_at       timestamptz,
    revoked_by_email text,
    last_used_at     timestamptz
);

-- Idempotency-Key of the ingestion POSTs, per token. The row is claimed (inserted) before the work, in the same
-- transaction, so a concurrent request with the same key waits on the unique index and then replays.
CREATE TABLE api_idempotency_keys (
    token_id        uuid NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash    bytea NOT NULL,
    response_status integer,
    response_body   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
CREATE INDEX api_idempotency_keys_created_idx ON api_idempotency_keys (created_at);

-- An export's snapshot bound under its Idempotency-Key: a repeated export re-runs the same filter up to the same
-- deployment and history ids, so it returns the same content however much has changed since.
CREATE TABLE deployment_exports (
    owner           text NOT NULL,
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash    bytea NOT NULL,
    max_deployment_id bigint NOT NULL,
    max_history_id  bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner, key)
);

-- ---------------------------------------------------------------------------------------------------------
-- The state machine. Returns why a transition is not allowed, or NULL when it is. via: 'api' (CI/CD) or 'console'.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION deploy_transition_error(p_from text, p_to text, p_requires_approval boolean, p_via text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
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
    END
$$;

CREATE FUNCTION deploy_problem(p_status integer, p_title text, p_detail text, p_extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('type', 'about:blank', 'title', p_title, 'status', p_status, 'detail', p_detail) || p_extra
$$;

CREATE FUNCTION deploy_json(d deployments) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'id', d.id, 'externalId', d.external_id, 'service', d.service, 'environment', d.environment,
        'version', d.version, 'commitSha', d.commit_sha, 'commitAt', d.commit_at, 'releaseId', d.release_id,
        'requestedBy', d.requested_by_email, 'status', d.status, 'createdAt', d.created_at,
        'startedAt', d.started_at, 'finishedAt', d.finished_at, 'rolledBackAt', d.rolled_back_at)
$$;

-- Applies a transition to a locked row: timestamps, history, live event. The caller has checked it is allowed.
CREATE FUNCTION deploy_apply(p_id bigint, p_to text, p_message text, p_actor text) RETURNS deployments
LANGUAGE plpgsql AS $$
DECLARE
    d deployments;
BEGIN
    UPDATE deployments SET
        status = p_to,
        started_at = CASE WHEN p_to = 'in_progress' THEN coalesce(started_at, clock_timestamp()) ELSE started_at END,
        finished_at = CASE WHEN p_to IN ('succeeded', 'failed', 'cancelled') THEN clock_timestamp() ELSE finished_at END,
        rolled_back_at = CASE WHEN p_to = 'rolled_back' THEN clock_timestamp() ELSE rolled_back_at END,
        updated_at = clock_timestamp()
    WHERE id = p_id
    RETURNING * INTO d;
    INSERT INTO deployment_status_history (deployment_id, status, message, actor) VALUES (p_id, p_to, p_message, p_actor);
    PERFORM live_notify('deployments', p_id::text, p_to, p_actor);
    RETURN d;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Ingestion API: one round trip each. Tokens first (also marks last use, at most once a minute per token).
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION api_token_authenticate(p_hash bytea)
RETURNS TABLE (id uuid, name text, created_by uuid, created_by_email text)
LANGUAGE sql AS $$
    WITH t AS (
        SELECT t.id, t.name, t.created_by, t.created_by_email, t.last_used_at FROM api_tokens t
        WHERE t.token_hash = p_hash AND t.revoked_at IS NULL
    ), used AS (
        UPDATE api_tokens u SET last_used_at = now() FROM t
        WHERE u.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')
    )
    SELECT t.id, t.name, t.created_by, t.created_by_email FROM t
$$;

-- Claims an idempotency key or finds it used: NULL when the caller should do the work, else the stored response
-- (or a 422 when the key was used for another request).
CREATE FUNCTION api_idempotency_claim(p_token_id uuid, p_key text, p_request_hash bytea, OUT http_status integer, OUT body text)
LANGUAGE plpgsql AS $$
DECLARE
    used api_idempotency_keys;
BEGIN
    IF p_key IS NULL THEN RETURN; END IF;
    INSERT INTO api_idempotency_keys (token_id, key, request_hash) VALUES (p_token_id, p_key, p_request_hash)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN RETURN; END IF;
    SELECT * INTO used FROM api_idempotency_keys k WHERE k.token_id = p_token_id AND k.key = p_key;
    IF used.request_hash <> p_request_hash THEN
        http_status := 422;
        body := deploy_problem(422, 'Idempotency-Key reused',
            'This Idempotency-Key was already used for a different request; use a new key for a new request.',
            jsonb_build_object('field', 'Idempotency-Key'))::text;
    ELSE
        http_status := used.response_status;
        body := used.response_body;
    END IF;
END $$;

CREATE FUNCTION api_idempotency_store(p_token_id uuid, p_key text, p_status integer, p_body jsonb) RETURNS void
LANGUAGE sql AS $$
    UPDATE api_idempotency_keys SET response_status = p_status, response_body = p_body::text
    WHERE p_key IS NOT NULL AND token_id = p_token_id AND key = p_key
$$;

CREATE FUNCTION deploy_api_create(
    p_token_id uuid, p_token_user uuid, p_token_email text, p_idempotency_key text, p_request_hash bytea,
    p_external_id text, p_service text, p_environment text, p_version text, p_commit_sha text, p_commit_at timestamptz,
    p_release_id bigint, p_requested_by text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    env deploy_environments;
    d deployments;
    requester uuid;
    requester_email text;
    existing bigint;
    result jsonb;
BEGIN
    SELECT c.http_status, c.body INTO http_status, body FROM api_idempotency_claim(p_token_id, p_idempotency_key, p_request_hash) c;
    replayed := http_status IS NOT NULL;
    IF replayed THEN RETURN; END IF;

    SELECT * INTO env FROM deploy_environments e WHERE e.name = p_environment;
    IF NOT FOUND THEN
        http_status := 400;
        result := deploy_problem(400, 'Invalid field', format('environment: unknown environment ''%s''; use one of: %s', p_environment,
            (SELECT string_agg(e.name, ', ' ORDER BY e.display_order) FROM deploy_environments e)), jsonb_build_object('field', 'environment'));
    ELSE
        IF p_requested_by IS NULL THEN
            requester := p_token_user;
            requester_email := p_token_email;
        ELSE
            requester_email := lower(p_requested_by);
            SELECT u.id INTO requester FROM users u WHERE u.normalized_email = upper(p_requested_by);
        END IF;
        INSERT INTO deployments (external_id, service, environment, version, commit_sha, commit_at, release_id,
                                 requested_by, requested_by_email, status)
        VALUES (p_external_id, p_service, p_environment, p_version, lower(p_commit_sha), p_commit_at, p_release_id,
                requester, requester_email, 'queued')
        ON CONFLICT (external_id) DO NOTHING
        RETURNING * INTO d;
        IF NOT FOUND THEN
            SELECT x.id INTO existing FROM deployments x WHERE x.external_id = p_external_id;
            http_status := 409;
            result := deploy_problem(409, 'Deployment exists',
                format('externalId: a deployment with external id ''%s'' already exists (id %s)', p_external_id, existing),
                jsonb_build_object('field', 'externalId', 'id', existing));
        ELSE
            INSERT INTO deployment_status_history (deployment_id, status, message, actor)
            VALUES (d.id, 'queued', p_message, requester_email);
            IF env.requires_approval THEN
                d := deploy_apply(d.id, 'awaiting_approval', format('%s requires approval', env.name), 'console');
            ELSE
                PERFORM live_notify('deployments', d.id::text, 'queued', requester_email);
            END IF;
            http_status := 201;
            result := deploy_json(d);
        END IF;
    END IF;
    body := result::text;
    PERFORM api_idempotency_store(p_token_id, p_idempotency_key, http_status, result);
END $$;

-- p_ref: the deployment's external id, or (when no external id matches and it is all digits) the console's id.
CREATE FUNCTION deploy_api_status(
    p_token_id uuid, p_actor text, p_idempotency_key text, p_request_hash bytea,
    p_ref text, p_status text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    d deployments;
    env_requires boolean;
    reason text;
    result jsonb;
BEGIN
    -- NOTIFY serialises committing transactions (a database-wide lock held through the commit's WAL flush), which
    -- caps durable commits at one flush each. A status post commits asynchronously instead: the flush follows within
    -- wal_writer_delay, and a crash inside that window loses the post, which the CI system then repeats (same key).
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT c.http_status, c.body INTO http_status, body FROM api_idempotency_claim(p_token_id, p_idempotency_key, p_request_hash) c;
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
        SELECT e.requires_approval INTO env_requires FROM deploy_environments e WHERE e.name = d.environment;
        reason := deploy_transition_error(d.status, p_status, env_requires, 'api');
        IF reason IS NOT NULL THEN
            http_status := 409;
            result := deploy_problem(409, 'Invalid transition', format('%s -> %s: %s', d.status, p_status, reason),
                jsonb_build_object('from', d.status, 'to', p_status, 'id', d.id));
        ELSE
            d := deploy_apply(d.id, p_status, p_message, p_actor);
            http_status := 200;
            result := deploy_json(d);
        END IF;
    END IF;
    body := result::text;
    PERFORM api_idempotency_store(p_token_id, p_idempotency_key, http_status, result);
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Console: approve or reject a waiting deployment. Release managers and admins, never the requester; audited.
-- Returns NULL on success, else the reason.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION deploy_decide(p_id bigint, p_approve boolean, p_comment text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d deployments;
    reason text;
    target text := CASE WHEN p_approve THEN 'approved' ELSE 'cancelled' END;
BEGIN
    IF NOT (app_has_role('ReleaseManager') OR app_has_role('Admin')) THEN
        RETURN 'only release managers and admins approve or reject deployments';
    END IF;
    SELECT * INTO d FROM deployments WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN RETURN 'that deployment does not exist'; END IF;
    IF d.status <> 'awaiting_approval' THEN
        RETURN format('the deployment is %s, not awaiting approval', d.status);
    END IF;
    IF d.requested_by = app_user_id() OR lower(d.requested_by_email) = lower(app_user_email()) THEN
        RETURN 'you requested this deployment; someone else must approve or reject it';
    END IF;
    IF NOT p_approve AND coalesce(btrim(p_comment), '') = '' THEN
        RETURN 'a rejection needs a comment saying why';
    END IF;
    reason := deploy_transition_error(d.status, target, true, 'console');
    IF reason IS NOT NULL THEN RETURN reason; END IF;
    PERFORM deploy_apply(p_id, target,
        CASE WHEN p_approve THEN nullif(btrim(p_comment), '') ELSE 'Rejected: ' || btrim(p_comment) END, app_user_email());
    PERFORM audit_write(CASE WHEN p_approve THEN 'deployment.approved' ELSE 'deployment.rejected' END,
        'deployments', p_id::text, jsonb_build_object('status', d.status),
        jsonb_build_object('status', target, 'comment', p_comment, 'service', d.service, 'environment', d.environment,
                           'version', d.version, 'requestedBy', d.requested_by_email));
    RETURN NULL;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Export: fixes (or, for a repeated Idempotency-Key, finds) the snapshot bound and writes the audit row, in one
-- round trip. The export then reads only deployments and history rows up to the bound, so it is repeatable.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION deploy_export_begin(p_owner text, p_key text, p_request_hash bytea, p_filter jsonb,
    OUT max_deployment_id bigint, OUT max_history_id bigint, OUT mismatch boolean, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    e deployment_exports;
BEGIN
    mismatch := false;
    replayed := false;
    IF p_key IS NOT NULL THEN
        INSERT INTO deployment_exports (owner, key, request_hash, max_deployment_id, max_history_id)
        VALUES (p_owner, p_key, p_request_hash, coalesce((SELECT max(id) FROM deployments), 0),
                coalesce((SELECT max(id) FROM deployment_status_history), 0))
        ON CONFLICT DO NOTHING
        RETURNING * INTO e;
        IF e.owner IS NULL THEN
            SELECT * INTO e FROM deployment_exports x WHERE x.owner = p_owner AND x.key = p_key;
            replayed := true;
            IF e.request_hash <> p_request_hash THEN
                mismatch := true;
                RETURN;
            END IF;
        END IF;
        max_deployment_id := e.max_deployment_id;
        max_history_id := e.max_history_id;
    ELSE
        max_deployment_id := coalesce((SELECT max(id) FROM deployments), 0);
        max_history_id := coalesce((SELECT max(id) FROM deployment_status_history), 0);
    END IF;
    PERFORM audit_write('deployment.exported', 'deployments', NULL, NULL,
        p_filter || jsonb_build_object('maxDeploymentId', max_deployment_id, 'maxHistoryId', max_history_id, 'replayed', replayed));
END $$;

GRANT SELECT ON deploy_environments TO admin_app;
GRANT SELECT, INSERT, UPDATE ON deployments, api_tokens TO admin_app;
GRANT SELECT, INSERT ON deployment_status_history TO admin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_idempotency_keys, deployment_exports TO admin_app;
