-- Environment rules (issue 18, first half), like GitHub environments and Argo CD sync windows: per environment, required
-- Tested by tests/Admin.Data.Tests/Deployments/EnvironmentRulesTests; documented in docs/deployments.md (Environment rules).
-- approval (was there), a wait timer, freeze windows (weekly allow/deny windows in a time zone, with an audited
-- override per deployment) and required external checks reported through the API. They are enforced where the
-- transition happens: deploy_rule_refusal is asked by the status post (a 409 naming the rule), by deploy_decide (a
-- freeze refuses approval too) and by a trigger on deployments, so a direct write obeys them as well.

ALTER TABLE deploy_environments
    ADD COLUMN wait_minutes integer NOT NULL DEFAULT 0 CHECK (wait_minutes BETWEEN 0 AND 43200),
    ADD COLUMN required_checks text[] NOT NULL DEFAULT '{}'
        CHECK (required_checks = '{}' OR api_scope_valid(required_checks, '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}$'));

-- Weekly windows in a zone: from (start_day, start_time) to (end_day, end_time), ISO days (1 Monday .. 7 Sunday), local
-- wall-clock time, so a window keeps its local hours across daylight-saving changes. An end before the start wraps
-- over the week's end (Fri 16:00 - Mon 08:00). deny: no deploy starts inside; allow: if an environment has any allow
-- window, deploys start only inside one.
CREATE TABLE deploy_windows (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment text NOT NULL REFERENCES deploy_environments (name) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('deny', 'allow')),
    label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    start_day   smallint NOT NULL CHECK (start_day BETWEEN 1 AND 7),
    start_time  time NOT NULL,
    end_day     smallint NOT NULL CHECK (end_day BETWEEN 1 AND 7),
    end_time    time NOT NULL,
    time_zone   text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    CHECK ((start_day, start_time) <> (end_day, end_time))
);
CREATE INDEX deploy_windows_environment_idx ON deploy_windows (environment);

-- A release manager's or admin's override of the freeze for one deployment (reason required, audited).
CREATE TABLE deployment_rule_overrides (
    deployment_id bigint PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    reason        text NOT NULL CHECK (length(btrim(reason)) BETWEEN 3 AND 1000),
    by_user       uuid,
    by_email      text NOT NULL,
    at            timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- External checks reported by CI or another system through the API, per deployment and name.
CREATE TABLE deployment_checks (
    deployment_id bigint NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}$'),
    state         text NOT NULL CHECK (state IN ('pending', 'success', 'failure')),
    detail        text CHECK (detail IS NULL OR length(detail) <= 1000),
    reported_by   text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (deployment_id, name)
);

-- Remembered rollbacks: the last rollback of a (service, version) or of a release payload is one index probe.
CREATE INDEX deployments_rolled_back_version_idx ON deployments (service, version, rolled_back_at DESC) WHERE status = 'rolled_back';
CREATE INDEX deployments_rolled_back_release_idx ON deployments (release_id, rolled_back_at DESC) WHERE status = 'rolled_back' AND release_id IS NOT NULL;

GRANT UPDATE ON deploy_environments TO admin_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON deploy_windows, deployment_rule_overrides, deployment_checks TO admin_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['deploy_windows', 'deployment_rule_overrides', 'deployment_checks']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true) WITH CHECK (true)', t || '_owner', t, current_user);
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO admin_app USING ((SELECT rls_role_in(''Admin'', ''ReleaseManager'', ''DeployApi'', ''System'')))',
                       t || '_read', t);
    END LOOP;
END $$;
-- Who writes: rules and windows Admin; overrides release managers and admins; checks the ingestion API.
CREATE POLICY deploy_environments_update ON deploy_environments FOR UPDATE TO admin_app
    USING ((SELECT rls_role_in('Admin'))) WITH CHECK ((SELECT rls_role_in('Admin')));
CREATE POLICY deploy_windows_write ON deploy_windows FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin'))) WITH CHECK ((SELECT rls_role_in('Admin')));
CREATE POLICY deployment_rule_overrides_write ON deployment_rule_overrides FOR ALL TO admin_app
    USING ((SELECT rls_role_in('Admin', 'ReleaseManager'))) WITH CHECK ((SELECT rls_role_in('Admin', 'ReleaseManager')));
CREATE POLICY deployment_checks_write ON deployment_checks FOR ALL TO admin_app
    USING ((SELECT rls_role_in('DeployApi'))) WITH CHECK ((SELECT rls_role_in('DeployApi')));

-- ---------------------------------------------------------------------------------------------------------
-- Evaluation
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION deploy_day_name(p_day integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (ARRAY['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'])[p_day] $$;

-- "Fri 16:00 - Mon 08:00 Europe/London"
CREATE FUNCTION deploy_window_text(w deploy_windows) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('%s %s - %s %s %s', deploy_day_name(w.start_day), to_char(w.start_time, 'HH24:MI'),
                  deploy_day_name(w.end_day), to_char(w.end_time, 'HH24:MI'), w.time_zone)
$$;

-- When the window holds the instant, the instant it ends (else NULL). Minutes of the local week, wrapping at its end.
CREATE FUNCTION deploy_window_end(w deploy_windows, p_at timestamptz) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
    local_at timestamp := date_trunc('minute', p_at AT TIME ZONE w.time_zone);
    m integer := (extract(isodow FROM local_at)::integer - 1) * 1440 + extract(hour FROM local_at)::integer * 60 + extract(minute FROM local_at)::integer;
    s integer := (w.start_day - 1) * 1440 + extract(hour FROM w.start_time)::integer * 60 + extract(minute FROM w.start_time)::integer;
    e integer := (w.end_day - 1) * 1440 + extract(hour FROM w.end_time)::integer * 60 + extract(minute FROM w.end_time)::integer;
BEGIN
    IF (s < e AND m >= s AND m < e) OR (s > e AND (m >= s OR m < e)) THEN
        RETURN (local_at + make_interval(mins => ((e - m + 10080) % 10080))) AT TIME ZONE w.time_zone;
    END IF;
    RETURN NULL;
END $$;

-- Why the environment's windows forbid a deploy at p_at (NULL: they allow it), ignoring any override.
CREATE FUNCTION deploy_freeze_refusal(p_environment text, p_at timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    w deploy_windows;
    ends timestamptz;
    allows boolean := false;
    has_allow boolean := false;
BEGIN
    FOR w IN SELECT * FROM deploy_windows x WHERE x.environment = p_environment ORDER BY x.kind DESC, x.id LOOP
        ends := deploy_window_end(w, p_at);
        IF w.kind = 'deny' AND ends IS NOT NULL THEN
            RETURN jsonb_build_object('rule', 'freeze', 'window', w.label, 'until', ends,
                'detail', format('%s is frozen: deny window "%s" (%s) until %s UTC; a release manager can override it with a reason',
                                 p_environment, w.label, deploy_window_text(w), to_char(ends AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')));
        ELSIF w.kind = 'allow' THEN
            has_allow := true;
            allows := allows OR ends IS NOT NULL;
        END IF;
    END LOOP;
    IF has_allow AND NOT allows THEN
        RETURN jsonb_build_object('rule', 'freeze', 'window', NULL,
            'detail', format('%s deploys only inside its allow windows (%s); a release manager can override it with a reason', p_environment,
                             (SELECT string_agg(format('"%s" %s', x.label, deploy_window_text(x)), ', ' ORDER BY x.id)
                              FROM deploy_windows x WHERE x.environment = p_environment AND x.kind = 'allow')));
    END IF;
    RETURN NULL;
END $$;

-- Why a deployment may not start at p_at (NULL: it may): the freeze (unless overridden), the wait timer (from its
-- approval, or from its creation where no approval is required), then the required checks. jsonb with rule and detail.
CREATE FUNCTION deploy_rule_refusal(p_id bigint, p_at timestamptz DEFAULT clock_timestamp()) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    d deployments;
    env deploy_environments;
    r jsonb;
    since timestamptz;
    not_before timestamptz;
    missing text;
BEGIN
    SELECT * INTO d FROM deployments x WHERE x.id = p_id;
    SELECT * INTO env FROM deploy_environments e WHERE e.name = d.environment;
    IF NOT EXISTS (SELECT 1 FROM deployment_rule_overrides o WHERE o.deployment_id = p_id) THEN
        r := deploy_freeze_refusal(d.environment, p_at);
        IF r IS NOT NULL THEN RETURN r; END IF;
    END IF;
    IF env.wait_minutes > 0 THEN
        since := CASE WHEN env.requires_approval
            THEN (SELECT max(h.occurred_at) FROM deployment_status_history h WHERE h.deployment_id = p_id AND h.status = 'approved')
            ELSE d.created_at END;
        not_before := coalesce(since, p_at) + make_interval(mins => env.wait_minutes);
        IF p_at < not_before THEN
            RETURN jsonb_build_object('rule', 'wait_timer', 'notBefore', not_before,
                'detail', format('wait timer: %s waits %s minutes after %s; this deployment may start at %s UTC (in %s min)',
                                 env.name, env.wait_minutes, CASE WHEN env.requires_approval THEN 'approval' ELSE 'it is reported' END,
                                 to_char(not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
                                 ceil(extract(epoch FROM not_before - p_at) / 60)::bigint));
        END IF;
    END IF;
    IF env.required_checks <> '{}' THEN
        SELECT string_agg(format('%s is %s', n, coalesce(c.state, 'not reported')), ', ' ORDER BY o)
        INTO missing
        FROM unnest(env.required_checks) WITH ORDINALITY AS u(n, o)
        LEFT JOIN deployment_checks c ON c.deployment_id = p_id AND c.name = u.n
        WHERE c.state IS DISTINCT FROM 'success';
        IF missing IS NOT NULL THEN
            RETURN jsonb_build_object('rule', 'required_checks', 'requiredChecks', to_jsonb(env.required_checks),
                'detail', format('required checks of %s have not passed: %s', env.name, missing));
        END IF;
    END IF;
    RETURN NULL;
END $$;

-- Any write that starts a deployment (queued/approved -> in_progress) or approves one obeys the rules, whoever makes it.
CREATE FUNCTION deploy_rules_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    IF NEW.status = 'approved' THEN
        IF NOT EXISTS (SELECT 1 FROM deployment_rule_overrides o WHERE o.deployment_id = NEW.id) THEN
            r := deploy_freeze_refusal(NEW.environment, clock_timestamp());
        END IF;
    ELSE
        r := deploy_rule_refusal(NEW.id, clock_timestamp());
    END IF;
    IF r IS NOT NULL THEN
        RAISE EXCEPTION 'deployment %: %', NEW.id, r ->> 'detail' USING ERRCODE = 'P0001', HINT = 'environment rule ' || (r ->> 'rule');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER deployments_rules_guard BEFORE UPDATE OF status ON deployments FOR EACH ROW
    WHEN ((NEW.status = 'in_progress' AND OLD.status IN ('queued', 'approved'))
          OR (NEW.status = 'approved' AND OLD.status = 'awaiting_approval'))
    EXECUTE FUNCTION deploy_rules_guard();

-- ---------------------------------------------------------------------------------------------------------
-- Editing (Admin) and overriding (release managers, admins), audited.
-- ---------------------------------------------------------------------------------------------------------
-- Replaces an environment's rules and windows in one step; p_windows is a JSON array of
-- {kind, label, startDay, startTime, endDay, endTime, timeZone}. Returns NULL or the reason it is refused.
CREATE FUNCTION deploy_rules_save(p_environment text, p_requires_approval boolean, p_wait_minutes integer,
    p_required_checks text[], p_windows jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    before jsonb;
    w jsonb;
    bad text;
BEGIN
    IF NOT app_has_role('Admin') THEN RETURN 'only admins change environment rules'; END IF;
    SELECT jsonb_build_object('requiresApproval', e.requires_approval, 'waitMinutes', e.wait_minutes, 'requiredChecks', to_jsonb(e.required_checks),
                              'windows', coalesce((SELECT jsonb_agg(to_jsonb(x) - 'id' - 'environment' ORDER BY x.id) FROM deploy_windows x WHERE x.environment = e.name), '[]'))
    INTO before FROM deploy_environments e WHERE e.name = p_environment FOR UPDATE;
    IF NOT FOUND THEN RETURN format('unknown environment %s', p_environment); END IF;
    IF p_wait_minutes IS NULL OR p_wait_minutes NOT BETWEEN 0 AND 43200 THEN RETURN 'the wait timer is 0 to 43,200 minutes (30 days)'; END IF;
    p_required_checks := coalesce(p_required_checks, '{}');
    IF p_required_checks <> '{}' AND NOT api_scope_valid(p_required_checks, '^[A-Za-z0-9][A-Za-z0-9._/:-]{0,99}$') THEN
        RETURN 'check names are distinct, start with a letter or digit and use letters, digits and . _ / : - (up to 100 characters)';
    END IF;
    SELECT string_agg(DISTINCT x ->> 'timeZone', ', ') INTO bad FROM jsonb_array_elements(coalesce(p_windows, '[]')) x
    WHERE NOT EXISTS (SELECT 1 FROM pg_timezone_names z WHERE z.name = x ->> 'timeZone');
    IF bad IS NOT NULL THEN RETURN format('unknown time zone: %s (use an IANA name such as Europe/London)', bad); END IF;

    UPDATE deploy_environments SET requires_approval = p_requires_approval, wait_minutes = p_wait_minutes, required_checks = p_required_checks
    WHERE name = p_environment;
    DELETE FROM deploy_windows WHERE environment = p_environment;
    FOR w IN SELECT * FROM jsonb_array_elements(coalesce(p_windows, '[]')) LOOP
        INSERT INTO deploy_windows (environment, kind, label, start_day, start_time, end_day, end_time, time_zone)
        VALUES (p_environment, w ->> 'kind', btrim(w ->> 'label'), (w ->> 'startDay')::smallint, (w ->> 'startTime')::time,
                (w ->> 'endDay')::smallint, (w ->> 'endTime')::time, w ->> 'timeZone');
    END LOOP;
    PERFORM audit_write('deployment.rules_changed', 'deploy_environments', p_environment, before,
        jsonb_build_object('requiresApproval', p_requires_approval, 'waitMinutes', p_wait_minutes, 'requiredChecks', to_jsonb(p_required_checks),
                           'windows', coalesce((SELECT jsonb_agg(to_jsonb(x) - 'id' - 'environment' ORDER BY x.id) FROM deploy_windows x WHERE x.environment = p_environment), '[]')));
    RETURN NULL;
END $$;

-- Overrides the freeze for one deployment that has not started. Returns NULL or the reason it is refused.
CREATE FUNCTION deploy_override_freeze(p_id bigint, p_reason text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    d deployments;
BEGIN
    IF NOT (app_has_role('ReleaseManager') OR app_has_role('Admin')) THEN
        RETURN 'only release managers and admins override a freeze';
    END IF;
    IF length(btrim(coalesce(p_reason, ''))) < 3 THEN RETURN 'an override needs a reason (at least 3 characters)'; END IF;
    IF length(p_reason) > 1000 THEN RETURN 'the reason is limited to 1,000 characters'; END IF;
    SELECT * INTO d FROM deployments WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN RETURN 'that deployment does not exist'; END IF;
    IF d.status NOT IN ('queued', 'awaiting_approval', 'approved') THEN
        RETURN format('the deployment is %s; only a deployment that has not started can be let through a freeze', d.status);
    END IF;
    INSERT INTO deployment_rule_overrides (deployment_id, reason, by_user, by_email)
    VALUES (p_id, btrim(p_reason), app_user_id(), app_user_email())
    ON CONFLICT (deployment_id) DO UPDATE SET reason = EXCLUDED.reason, by_user = EXCLUDED.by_user, by_email = EXCLUDED.by_email, at = clock_timestamp();
    PERFORM audit_write('deployment.freeze_overridden', 'deployments', p_id::text, NULL,
        jsonb_build_object('reason', btrim(p_reason), 'service', d.service, 'environment', d.environment, 'version', d.version,
                           'freeze', deploy_freeze_refusal(d.environment, clock_timestamp()) ->> 'detail'));
    RETURN NULL;
END $$;

-- ---------------------------------------------------------------------------------------------------------
-- External checks through the API (token-scoped like a status post). Answers as the other API functions do.
-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION deploy_api_check(p_token_hash bytea, p_ref text, p_name text, p_state text, p_detail text,
    OUT http_status integer, OUT body text)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    d deployments;
    reason text;
    c deployment_checks;
BEGIN
    SELECT * INTO t FROM api_token_authenticate(p_token_hash);
    IF NOT FOUND THEN
        http_status := 401;
        RETURN;
    END IF;
    SELECT * INTO d FROM deployments x WHERE x.external_id = p_ref FOR UPDATE;
    IF NOT FOUND AND p_ref ~ '^[0-9]{1,18}$' THEN
        SELECT * INTO d FROM deployments x WHERE x.id = p_ref::bigint FOR UPDATE;
    END IF;
    IF d.id IS NULL THEN
        http_status := 404;
        body := deploy_problem(404, 'Unknown deployment', format('No deployment has the external id or id ''%s''.', p_ref))::text;
        RETURN;
    END IF;
    reason := api_token_scope_refusal(t.services, t.environments, d.service, d.environment);
    IF reason IS NOT NULL THEN
        http_status := 403;
        body := deploy_api_refuse(t.id, t.name, t.services, t.environments, NULL, 403, 'Outside the token''s scope',
            format('%s (deployment %s is %s in %s)', reason, d.id, d.service, d.environment), jsonb_build_object('id', d.id),
            jsonb_build_object('action', 'check', 'id', d.id::text, 'externalId', d.external_id, 'service', d.service,
                               'environment', d.environment, 'check', p_name, 'state', p_state))::text;
        RETURN;
    END IF;
    IF d.status NOT IN ('queued', 'awaiting_approval', 'approved') THEN
        http_status := 409;
        body := deploy_problem(409, 'Deployment has started', format('checks gate the start; deployment %s is %s', d.id, d.status),
            jsonb_build_object('id', d.id, 'rule', 'required_checks'))::text;
        RETURN;
    END IF;
    INSERT INTO deployment_checks (deployment_id, name, state, detail, reported_by)
    VALUES (d.id, p_name, p_state, p_detail, 'api:' || t.name)
    ON CONFLICT (deployment_id, name) DO UPDATE SET state = EXCLUDED.state, detail = EXCLUDED.detail,
        reported_by = EXCLUDED.reported_by, updated_at = clock_timestamp()
    RETURNING * INTO c;
    PERFORM live_notify('deployments', d.id::text, 'check', 'api:' || t.name);
    http_status := 200;
    body := jsonb_build_object('deploymentId', d.id, 'externalId', d.external_id, 'name', c.name, 'state', c.state,
        'detail', c.detail, 'updatedAt', c.updated_at,
        'required', (SELECT c.name = ANY (e.required_checks) FROM deploy_environments e WHERE e.name = d.environment))::text;
END $$;

-- The last rollback of the same service and version, or of the same release payload (NULL: none).
CREATE FUNCTION deploy_rollback_memory(p_service text, p_version text, p_release_id bigint, p_except bigint DEFAULT NULL) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('deploymentId', d.id, 'service', d.service, 'version', d.version, 'releaseId', d.release_id,
               'environment', d.environment, 'matched', CASE WHEN d.service = p_service AND d.version = p_version THEN 'version' ELSE 'release' END,
               'reason', h.message, 'by', h.actor, 'at', d.rolled_back_at)
    FROM (
        (SELECT x.* FROM deployments x WHERE x.status = 'rolled_back' AND x.service = p_service AND x.version = p_version
           AND x.id IS DISTINCT FROM p_except ORDER BY x.rolled_back_at DESC LIMIT 1)
        UNION ALL
        (SELECT x.* FROM deployments x WHERE x.status = 'rolled_back' AND p_release_id IS NOT NULL AND x.release_id = p_release_id
           AND x.id IS DISTINCT FROM p_except ORDER BY x.rolled_back_at DESC LIMIT 1)
    ) d
    LEFT JOIN LATERAL (SELECT y.message, y.actor FROM deployment_status_history y
                       WHERE y.deployment_id = d.id AND y.status = 'rolled_back' ORDER BY y.id DESC LIMIT 1) h ON true
    ORDER BY d.rolled_back_at DESC NULLS LAST LIMIT 1
$$;

-- ---------------------------------------------------------------------------------------------------------
-- The transition points: the status post (as in 20261205000600, plus the rules: a 409 naming the rule that gives the
-- Idempotency-Key back, so a retry after the wait or the checks is applied) and approval (as in 20261205000300,
-- plus the freeze).
-- ---------------------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION deploy_api_status_by_token(
    p_token_hash bytea, p_idempotency_key text, p_request_hash bytea, p_ref text, p_status text, p_message text,
    OUT http_status integer, OUT body text, OUT replayed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    d deployments;
    env_requires boolean;
    reason text;
    rule jsonb;
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
        IF reason IS NULL AND p_status = 'in_progress' AND d.status IN ('queued', 'approved') THEN
            rule := deploy_rule_refusal(d.id, clock_timestamp());
        END IF;
        IF reason IS NOT NULL THEN
            http_status := 409;
            result := deploy_problem(409, 'Invalid transition', format('%s -> %s: %s', d.status, p_status, reason),
                jsonb_build_object('from', d.status, 'to', p_status, 'id', d.id));
        ELSIF rule IS NOT NULL THEN
            IF p_idempotency_key IS NOT NULL THEN
                DELETE FROM api_idempotency_keys k WHERE k.token_id = t.id AND k.key = p_idempotency_key;
            END IF;
            http_status := 409;
            body := deploy_problem(409, 'Blocked by an environment rule', format('%s -> %s: %s', d.status, p_status, rule ->> 'detail'),
                (rule - 'detail') || jsonb_build_object('from', d.status, 'to', p_status, 'id', d.id, 'environment', d.environment))::text;
            RETURN;
        ELSE
            d := deploy_apply(d.id, p_status, p_message, 'api:' || t.name);
            http_status := 200;
            result := deploy_json(d);
        END IF;
    END IF;
    body := result::text;
    PERFORM api_idempotency_store(t.id, p_idempotency_key, http_status, result);
END $$;

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
    IF p_approve AND NOT EXISTS (SELECT 1 FROM deployment_rule_overrides o WHERE o.deployment_id = p_id) THEN
        reason := deploy_freeze_refusal(d.environment, clock_timestamp()) ->> 'detail';
        IF reason IS NOT NULL THEN RETURN reason; END IF;
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
