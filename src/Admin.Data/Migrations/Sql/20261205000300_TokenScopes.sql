-- 20261205000300_TokenScopes
-- Deployment API tokens are scoped, and four eyes cannot be satisfied by a requester name the token holder chose.
--
-- 1. Each token names the services it may report (a list, or every service with the explicit '*') and the
--    environments (a list, or '*'). The ingestion functions read the scope from the token's row themselves, so no app
--    code can widen it: a call outside it answers 403 with the reason and applies nothing (no deployment, no history,
--    no stored Idempotency-Key; one audit row, deployment.api_refused, says what was refused). Both creating a
--    deployment and moving its status are checked, against the deployment's own service and environment.
--    Tokens that exist when this runs keep working: they get '*' and '*' and are flagged scope_by_migration, which the
--    tokens page shows as a warning until an admin narrows or replaces them (why: docs/decisions.md).
-- 2. The requester of a deployment to an environment that requires approval must be a known, enabled console user:
--    the requestedBy e-mail, or when there is none the token's creator (else 422, nothing applied).
-- 3. Each deployment records the token that reported it and that token's creator (the token holder); deploy_decide
--    refuses the requester and the token holder, and refuses to approve a deployment whose requester is not a console
--    user (rows reported before this migration), so neither a chosen name nor the token lets anyone approve their own.
--
-- The status post stays one database call (deploy_api_status_by_token) reading the token once, as before (its token
-- check now returns the scope too); the scope check adds a comparison of two short arrays.

-- ---------------------------------------------------------------------------------------------------------
-- Scopes on the token.
-- ---------------------------------------------------------------------------------------------------------

-- A scope list: 1 to 100 distinct names of the given shape, or exactly '{*}'.
CREATE FUNCTION api_scope_valid(p_items text[], p_pattern text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_ndims(p_items) = 1 AND cardinality(p_items) BETWEEN 1 AND 100
       AND (p_items = ARRAY['*']
            OR (SELECT bool_and(x IS NOT NULL AND x ~ p_pattern) AND count(DISTINCT x) = count(*) FROM unnest(p_items) x))
$$;

-- Existing rows get '*' through the defaults, which are then dropped: a token created from now on must state its scope.
ALTER TABLE api_tokens
    ADD COLUMN services text[] NOT NULL DEFAULT ARRAY['*'],
    ADD COLUMN environments text[] NOT NULL DEFAULT ARRAY['*'],
    ADD COLUMN scope_by_migration boolean NOT NULL DEFAULT true;
ALTER TABLE api_tokens
    ALTER COLUMN services DROP DEFAULT,
    ALTER COLUMN environments DROP DEFAULT,
    ALTER COLUMN scope_by_migration SET DEFAULT false,
    ADD CONSTRAINT api_tokens_services_check CHECK (api_scope_valid(services, '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$')),
    ADD CONSTRAINT api_tokens_environments_check CHECK (api_scope_valid(environments, '^[a-z0-9][a-z0-9-]{0,39}$'));

-- The ingestion pool (DeployApi) may update api_tokens to record last use; only an Admin (or the owner) changes what a
-- token may report or whose it is. UPDATE OF: the trigger fires only when one of these columns is assigned, so the
-- last-use update of the status-post path never runs it.
CREATE FUNCTION api_tokens_scope_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_user = 'admin_app' AND NOT app_has_role('Admin') THEN
        RAISE EXCEPTION 'only an admin changes what an API token may report or who holds it'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER api_tokens_scope_guard BEFORE UPDATE OF services, environments, created_by, created_by_email, token_hash
    ON api_tokens FOR EACH ROW EXECUTE FUNCTION api_tokens_scope_guard();

-- Why the token may not report this service in this environment, in plain words, or NULL when it may.
-- e.g. 'this token may report services [web, api] in environments [staging]; not production'.
-- PL/pgSQL rather than SQL: its plan is cached per connection (see 20261129000102_IngestionPlans).
CREATE FUNCTION api_token_scope_refusal(p_services text[], p_environments text[], p_service text, p_environment text)
RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    service_ok boolean := p_services = ARRAY['*'] OR p_service = ANY (p_services);
    environment_ok boolean := p_environments = ARRAY['*'] OR p_environment = ANY (p_environments);
BEGIN
    IF service_ok AND environment_ok THEN RETURN NULL; END IF;
    RETURN format('this token may report %s in %s; not %s',
        CASE WHEN p_services = ARRAY['*'] THEN 'any service' ELSE format('services [%s]', array_to_string(p_services, ', ')) END,
        CASE WHEN p_environments = ARRAY['*'] THEN 'any environment' ELSE format('environments [%s]', array_to_string(p_environments, ', ')) END,
        concat_ws(' in ', CASE WHEN NOT service_ok THEN p_service END, CASE WHEN NOT environment_ok THEN p_environment END));
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Which token reported a deployment, and who holds that token (its creator). Deployments reported before this
-- migration (and the demo seed) have none.
-- ---------------------------------------------------------------------------------------------------------
ALTER TABLE deployments
    ADD COLUMN created_by_token uuid CONSTRAINT deployments_created_by_token_fk REFERENCES api_tokens (id),
    ADD COLUMN token_holder uuid,
    ADD COLUMN token_holder_email text;

-- The token check of the status post (20261129000102's version) also returns the token's scope, so the post reads the
-- token once. Same probe, same once-a-minute last_used_at update.
DROP FUNCTION api_token_authenticate(bytea);

CREATE FUNCTION api_token_authenticate(p_hash bytea)
RETURNS TABLE (id uuid, name text, created_by uuid, created_by_email text, services text[], environments text[])
LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens;
BEGIN
    SELECT * INTO t FROM api_tokens x WHERE x.token_hash = p_hash AND x.revoked_at IS NULL;
    IF NOT FOUND THEN RETURN; END IF;
    IF t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' THEN
        UPDATE api_tokens u SET last_used_at = now() WHERE u.id = t.id;
    END IF;
    id := t.id;
    name := t.name;
    created_by := t.created_by;
    created_by_email := t.created_by_email;
    services := t.services;
    environments := t.environments;
    RETURN NEXT;
END $$;

-- A refusal of the ingestion API (403 out of scope, 422 unknown requester): the Idempotency-Key claimed for this
-- request is given back (so a retry after the admin widens the scope, or with a known requester, is applied), and one
-- audit row records what was refused. Returns the problem details to answer.
CREATE FUNCTION deploy_api_refuse(p_token_id uuid, p_token_name text, p_services text[], p_environments text[],
    p_idempotency_key text, p_status integer, p_title text, p_detail text, p_extra jsonb, p_attempt jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF p_idempotency_key IS NOT NULL THEN
        DELETE FROM api_idempotency_keys k WHERE k.token_id = p_token_id AND k.key = p_idempotency_key;
    END IF;
    PERFORM audit_write('deployment.api_refused', 'deployments', p_attempt ->> 'id', NULL,
        p_attempt || jsonb_build_object('status', p_status, 'reason', p_detail, 'tokenId', p_token_id, 'tokenName', p_token_name,
                                        'tokenServices', to_jsonb(p_services), 'tokenEnvironments', to_jsonb(p_environments)),
        NULL, 'api:' || p_token_name);
    RETURN deploy_problem(p_status, p_title, p_detail,
        p_extra || CASE WHEN p_status = 403 THEN jsonb_build_object('tokenServices', to_jsonb(p_services), 'tokenEnvironments', to_jsonb(p_environments))
                        ELSE '{}' END);
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- Creating a deployment. Replaces the version of 20261122000006, which took the token's creator as parameters; the
-- token id is all the caller passes now, and everything about the token is read from its row (revoked: 401).
-- ---------------------------------------------------------------------------------------------------------
DROP FUNCTION deploy_api_create(uuid, uuid, text, text, bytea, text, text, text, text, text, timestamptz, bigint, text, text);

CREATE FUNCTION deploy_api_create(
    p_token_id uuid, p_idempotency_key text, p_request_hash bytea,
    p_external_id text, p_service text, p_environment text, p_version text, p_commit_sha text, p_commit_at timestamptz,
    p_release_id bigint, p_requested_by text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    t api_tokens;
    env deploy_environments;
    d deployments;
    requester uuid;
    requester_email text;
    requester_disabled boolean;
    existing bigint;
    reason text;
    result jsonb;
BEGIN
    replayed := false;
    SELECT * INTO t FROM api_tokens x WHERE x.id = p_token_id AND x.revoked_at IS NULL;
    IF NOT FOUND THEN
        http_status := 401;
        RETURN;
    END IF;
    SELECT c.http_status, c.body INTO http_status, body FROM api_idempotency_claim(t.id, p_idempotency_key, p_request_hash) c;
    replayed := http_status IS NOT NULL;
    IF replayed THEN RETURN; END IF;

    SELECT * INTO env FROM deploy_environments e WHERE e.name = p_environment;
    IF NOT FOUND THEN
        http_status := 400;
        result := deploy_problem(400, 'Invalid field', format('environment: unknown environment ''%s''; use one of: %s', p_environment,
            (SELECT string_agg(e.name, ', ' ORDER BY e.display_order) FROM deploy_environments e)), jsonb_build_object('field', 'environment'));
        body := result::text;
        PERFORM api_idempotency_store(t.id, p_idempotency_key, http_status, result);
        RETURN;
    END IF;

    reason := api_token_scope_refusal(t.services, t.environments, p_service, p_environment);
    IF reason IS NOT NULL THEN
        http_status := 403;
        body := deploy_api_refuse(t.id, t.name, t.services, t.environments, p_idempotency_key, 403, 'Outside the token''s scope', reason,
            jsonb_build_object('field', CASE WHEN t.services = ARRAY['*'] OR p_service = ANY (t.services) THEN 'environment' ELSE 'service' END),
            jsonb_build_object('action', 'create', 'externalId', p_external_id, 'service', p_service, 'environment', p_environment))::text;
        RETURN;
    END IF;

    -- The requester: the named person, or the token's creator. Where approval is required it must be a known,
    -- enabled console user, so that "not the requester" compares two real people.
    IF p_requested_by IS NULL THEN
        requester := t.created_by;
        requester_email := t.created_by_email;
        SELECT u.is_disabled INTO requester_disabled FROM users u WHERE u.id = t.created_by;
    ELSE
        requester_email := lower(p_requested_by);
        SELECT u.id, u.is_disabled INTO requester, requester_disabled FROM users u
        WHERE u.normalized_email = upper(p_requested_by) ORDER BY u.is_disabled LIMIT 1;
    END IF;
    IF env.requires_approval AND requester_disabled IS DISTINCT FROM false THEN
        http_status := 422;
        body := deploy_api_refuse(t.id, t.name, t.services, t.environments, p_idempotency_key, 422, 'Unknown requester',
            CASE WHEN p_requested_by IS NULL
                THEN format('requestedBy: %s requires approval, so the requester must be an enabled console user, and this token''s creator (%s) is not one; name the requester in requestedBy',
                            env.name, t.created_by_email)
                ELSE format('requestedBy: %s requires approval, so the requester must be an enabled console user, and ''%s'' is %s; name a console user''s e-mail, or leave requestedBy out to make the token''s creator the requester',
                            env.name, requester_email, CASE WHEN requester_disabled THEN 'disabled' ELSE 'not a console user' END)
            END,
            jsonb_build_object('field', 'requestedBy'),
            jsonb_build_object('action', 'create', 'externalId', p_external_id, 'service', p_service, 'environment', p_environment,
                               'requestedBy', requester_email))::text;
        RETURN;
    END IF;

    INSERT INTO deployments (external_id, service, environment, version, commit_sha, commit_at, release_id,
                             requested_by, requested_by_email, status, created_by_token, token_holder, token_holder_email)
    VALUES (p_external_id, p_service, p_environment, p_version, lower(p_commit_sha), p_commit_at, p_release_id,
            requester, requester_email, 'queued', t.id, t.created_by, t.created_by_email)
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
    body := result::text;
    PERFORM api_idempotency_store(t.id, p_idempotency_key, http_status, result);
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- A status post, in one database call (20261129000103): now the token's scope is checked against the deployment's
-- service and environment, with the token read once (api_token_authenticate returns the scope). The body is the
-- former deploy_api_status, which trusted an actor and a token id from the caller and never looked at the token.
-- ---------------------------------------------------------------------------------------------------------
DROP FUNCTION deploy_api_status(uuid, text, text, bytea, text, text, text);

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
    -- Asynchronous commit, as before: see 20261122000006 and docs/deployments.md.
    PERFORM set_config('synchronous_commit', 'off', true);
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

-- The same post for a caller that holds the token's id rather than its secret (DeploymentIngestion.PostStatusAsync with an
-- ApiCaller). Same checks: the id only finds the token, whose row decides the rest (unknown or revoked: 401).
CREATE FUNCTION deploy_api_status(
    p_token_id uuid, p_idempotency_key text, p_request_hash bytea, p_ref text, p_status text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE sql AS $$
    SELECT s.http_status, s.body, s.replayed
    FROM deploy_api_status_by_token((SELECT x.token_hash FROM api_tokens x WHERE x.id = p_token_id),
                                    p_idempotency_key, p_request_hash, p_ref, p_status, p_message) s
$$;

-- ---------------------------------------------------------------------------------------------------------
-- Approvals: as in 20261122000006, plus the token holder may not decide either, and a deployment whose requester is
-- not a console user cannot be approved (only rejected): four eyes need two known people.
-- ---------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION deploy_decide(p_id bigint, p_approve boolean, p_comment text) RETURNS text
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
    IF d.token_holder = app_user_id() OR lower(d.token_holder_email) = lower(app_user_email()) THEN
        RETURN 'you created the API token that reported this deployment; someone else must approve or reject it';
    END IF;
    IF p_approve AND d.requested_by IS NULL THEN
        RETURN format('the requester (%s) is not a console user, so four eyes cannot be checked; reject it and have it reported again with a console user as requester',
                      d.requested_by_email);
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
                           'version', d.version, 'requestedBy', d.requested_by_email, 'tokenHolder', d.token_holder_email));
    RETURN NULL;
END $$;
