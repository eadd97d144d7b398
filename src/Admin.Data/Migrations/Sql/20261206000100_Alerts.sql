-- Alerts (issue 16): rules over the Database area's health checks and figures, per monitoring target, evaluated by the
-- statistics sampler's leader after each sample; delivered in the console (a bell, live) and to webhooks, each delivery
-- attempt recorded, retried with backoff, claimed FOR UPDATE SKIP LOCKED so that several app instances send each once.
--
-- A rule compares one metric of a target with a threshold. Metrics are numbers: the figures of the health checks
-- (cache_hit_pct, connections_pct, blocked_sessions, …) and every check's verdict as 'check:<key>' (0 PASS, 1 WARN,
-- 2 FAIL), so "Blocked queries is FAIL" is check:blocked >= 2. An alert is pending while its rule is breached for less
-- than the rule's for_seconds, then firing until the rule is no longer breached (resolved); a pending alert that clears
-- first is dropped (it never fired). One open alert per rule and target: that is the de-duplication.

CREATE TABLE alert_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    -- NULL: every monitoring target.
    target       text CHECK (target IS NULL OR length(target) BETWEEN 1 AND 100),
    metric       text NOT NULL CHECK (metric ~ '^[a-z0-9_:-]{1,100}$'),
    comparator   text NOT NULL CHECK (comparator IN ('>', '>=', '<', '<=')),
    threshold    double precision NOT NULL CHECK (threshold = threshold AND threshold BETWEEN -1e15 AND 1e15),
    for_seconds  integer NOT NULL DEFAULT 0 CHECK (for_seconds BETWEEN 0 AND 86400),
    severity     text NOT NULL DEFAULT 'warning' CHECK (severity IN ('warning', 'critical')),
    enabled      boolean NOT NULL DEFAULT true,
    description  text CHECK (length(description) <= 2000),
    updated_by   text,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    target          text NOT NULL,
    state           text NOT NULL CHECK (state IN ('pending', 'firing', 'resolved')),
    severity        text NOT NULL,
    value           double precision,
    pending_since   timestamptz NOT NULL,
    fired_at        timestamptz,
    resolved_at     timestamptz,
    last_seen_at    timestamptz NOT NULL,
    -- Silenced when it fired or resolved: no notice went out for that event (the console still lists it).
    silenced        boolean NOT NULL DEFAULT false,
    acknowledged_by text,
    acknowledged_at timestamptz,
    CHECK (state = 'pending' OR fired_at IS NOT NULL),
    CHECK (state <> 'resolved' OR resolved_at IS NOT NULL)
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (rule_id, target) WHERE state IN ('pending', 'firing');
-- The bell and the alerts page: the newest events first.
CREATE INDEX alerts_fired_at ON alerts (fired_at DESC) WHERE fired_at IS NOT NULL;
CREATE INDEX alerts_resolved_at ON alerts (resolved_at DESC) WHERE resolved_at IS NOT NULL;

CREATE TABLE alert_silences (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id    bigint NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    -- NULL: the rule on every target.
    target     text,
    until      timestamptz NOT NULL,
    reason     text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 500),
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_silences_rule ON alert_silences (rule_id, until);

CREATE TABLE alert_webhooks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    url          text NOT NULL CHECK (url ~ '^https?://[^[:space:]]+$' AND length(url) <= 2000),
    -- 'json': the console's own body; 'slack': {"text": …} that Slack, Mattermost and Teams' Slack connector accept.
    format       text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'slack')),
    min_severity text NOT NULL DEFAULT 'warning' CHECK (min_severity IN ('warning', 'critical')),
    enabled      boolean NOT NULL DEFAULT true,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One notice per alert, webhook and event: the unique key is the de-duplication across evaluations and instances.
CREATE TABLE alert_deliveries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    webhook_id      bigint NOT NULL REFERENCES alert_webhooks (id) ON DELETE CASCADE,
    event           text NOT NULL CHECK (event IN ('firing', 'resolved')),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    -- An instance sending it now holds it until then; one that died mid-send leaves it to be retried after.
    claimed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (alert_id, webhook_id, event)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX alert_deliveries_webhook ON alert_deliveries (webhook_id, id DESC);

CREATE TABLE alert_delivery_attempts (
    delivery_id  bigint NOT NULL REFERENCES alert_deliveries (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    started_at   timestamptz NOT NULL,
    duration_ms  double precision NOT NULL,
    status_code  integer,
    error        text,
    instance     text NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Up to when each user has seen the alerts: the bell counts the events after it.
CREATE TABLE alert_reads (
    user_id uuid PRIMARY KEY,
    read_at timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rules, alerts, alert_silences, alert_webhooks, alert_deliveries,
    alert_delivery_attempts, alert_reads TO admin_app;

-- Alerts belong to the Database area: Admins and DBAs, and the system jobs that evaluate and deliver them. Webhook URLs
-- are secrets (a Slack URL is its own credential): nobody else reads them, EXPLAIN's role included (no grant at all).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['alert_rules', 'alerts', 'alert_silences', 'alert_webhooks', 'alert_deliveries', 'alert_delivery_attempts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO %I USING (true) WITH CHECK (true)', t || '_owner', t, current_user);
        EXECUTE format('CREATE POLICY %I ON %I FOR ALL TO admin_app USING ((SELECT rls_role_in(''Admin'', ''Dba'', ''System''))) '
                       'WITH CHECK ((SELECT rls_role_in(''Admin'', ''Dba'', ''System'')))', t || '_database', t);
    END LOOP;
END $$;

-- EXPLAIN's role reads what a DBA reads (20261205000100_ExplainRole.sql): the alerts, rules, silences and notices; not
-- the webhooks, whose addresses are credentials (the app shows DBAs a shortened address), nor anyone's read marks.
GRANT SELECT ON alert_rules, alerts, alert_silences, alert_deliveries, alert_delivery_attempts TO admin_explain;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['alert_rules', 'alerts', 'alert_silences', 'alert_deliveries', 'alert_delivery_attempts']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I FOR SELECT TO admin_explain USING (true)', t || '_explain', t);
    END LOOP;
END $$;

ALTER TABLE alert_reads ENABLE ROW LEVEL SECURITY;
ALTER TABLE alert_reads FORCE ROW LEVEL SECURITY;
CREATE POLICY alert_reads_owner ON alert_reads TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY alert_reads_own ON alert_reads FOR ALL TO admin_app
    USING (user_id = app_user_id() AND (SELECT rls_role_in('Admin', 'Dba')))
    WITH CHECK (user_id = app_user_id() AND (SELECT rls_role_in('Admin', 'Dba')));

CREATE FUNCTION alert_breached(p_comparator text, p_value double precision, p_threshold double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_comparator WHEN '>' THEN p_value > p_threshold WHEN '>=' THEN p_value >= p_threshold
                             WHEN '<' THEN p_value < p_threshold WHEN '<=' THEN p_value <= p_threshold END
$$;

CREATE FUNCTION alert_silenced(p_rule bigint, p_target text, p_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM alert_silences s
                   WHERE s.rule_id = p_rule AND (s.target IS NULL OR s.target = p_target) AND s.until > p_at)
$$;

-- The enabled rules for a target with their verdict on the observed metrics; breached is NULL for a rule whose metric
-- was not observed this time.
CREATE FUNCTION alert_verdicts(p_target text, p_values jsonb)
RETURNS TABLE (rule_id bigint, value double precision, breached boolean)
LANGUAGE sql STABLE AS $$
    SELECT r.id, (p_values ->> r.metric)::float8, alert_breached(r.comparator, (p_values ->> r.metric)::float8, r.threshold)
    FROM alert_rules r
    WHERE r.enabled AND (r.target IS NULL OR r.target = p_target)
$$;

-- One evaluation of a target's observed metrics (name → number; a metric that could not be read is absent, and leaves
-- the alerts on it as they are). Answers what changed: the alerts that fired and those that resolved. Notices are
-- queued for every enabled webhook whose minimum severity the alert reaches, unless a silence covers the alert.
CREATE FUNCTION alert_evaluate(p_target text, p_values jsonb, p_now timestamptz DEFAULT now())
RETURNS TABLE (alert_id bigint, event text, silenced boolean)
LANGUAGE plpgsql AS $$
DECLARE
    fired bigint[];
    resolved bigint[];
BEGIN
    -- No longer breached, or the rule was disabled or deleted: firing alerts resolve, pending ones are dropped.
    WITH v AS MATERIALIZED (SELECT * FROM alert_verdicts(p_target, p_values)), closed AS (
        UPDATE alerts a SET state = 'resolved', resolved_at = p_now, last_seen_at = p_now,
                            silenced = alert_silenced(a.rule_id, a.target, p_now),
                            value = coalesce((SELECT v.value FROM v WHERE v.rule_id = a.rule_id), a.value)
        WHERE a.target = p_target AND a.state = 'firing'
          AND NOT EXISTS (SELECT 1 FROM v WHERE v.rule_id = a.rule_id AND v.breached IS DISTINCT FROM false)
        RETURNING a.id)
    SELECT array_agg(id) INTO resolved FROM closed;
    WITH v AS MATERIALIZED (SELECT * FROM alert_verdicts(p_target, p_values))
    DELETE FROM alerts a
    WHERE a.target = p_target AND a.state = 'pending'
      AND NOT EXISTS (SELECT 1 FROM v WHERE v.rule_id = a.rule_id AND v.breached IS DISTINCT FROM false);

    INSERT INTO alerts AS a (rule_id, target, state, severity, value, pending_since, last_seen_at)
    SELECT v.rule_id, p_target, 'pending', r.severity, v.value, p_now, p_now
    FROM alert_verdicts(p_target, p_values) v JOIN alert_rules r ON r.id = v.rule_id
    WHERE v.breached
    ON CONFLICT (rule_id, target) WHERE state IN ('pending', 'firing')
    DO UPDATE SET value = excluded.value, last_seen_at = excluded.last_seen_at, severity = excluded.severity;

    WITH opened AS (
        UPDATE alerts a SET state = 'firing', fired_at = p_now, silenced = alert_silenced(a.rule_id, a.target, p_now)
        FROM alert_rules r, alert_verdicts(p_target, p_values) v
        WHERE r.id = a.rule_id AND v.rule_id = a.rule_id AND v.breached
          AND a.target = p_target AND a.state = 'pending'
          AND p_now - a.pending_since >= make_interval(secs => r.for_seconds)
        RETURNING a.id)
    SELECT array_agg(id) INTO fired FROM opened;

    INSERT INTO alert_deliveries (alert_id, webhook_id, event, next_attempt_at)
    SELECT a.id, w.id, 'firing', p_now
    FROM alerts a JOIN alert_webhooks w ON w.enabled AND (w.min_severity = 'warning' OR a.severity = 'critical')
    WHERE a.id = ANY (fired) AND NOT a.silenced
    ON CONFLICT DO NOTHING;
    -- A resolve notice goes where the firing notice went.
    INSERT INTO alert_deliveries (alert_id, webhook_id, event, next_attempt_at)
    SELECT d.alert_id, d.webhook_id, 'resolved', p_now
    FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id JOIN alert_webhooks w ON w.id = d.webhook_id AND w.enabled
    WHERE d.alert_id = ANY (resolved) AND d.event = 'firing' AND NOT a.silenced
    ON CONFLICT DO NOTHING;

    IF fired IS NOT NULL OR resolved IS NOT NULL THEN
        PERFORM live_notify('database', p_target, 'alert');
    END IF;
    RETURN QUERY
        SELECT a.id, CASE WHEN a.id = ANY (fired) THEN 'firing' ELSE 'resolved' END, a.silenced
        FROM alerts a WHERE a.id = ANY (coalesce(fired, '{}') || coalesce(resolved, '{}')) ORDER BY a.id;
END $$;

-- Defaults that make sense out of the box (each editable, or disabled, on the alerts page).
INSERT INTO alert_rules (name, metric, comparator, threshold, for_seconds, severity, description) VALUES
    ('Target unreachable', 'reachable', '<', 1, 120, 'critical',
     'The monitoring connection could not read the target for 2 minutes.'),
    ('Slower since a deployment', 'deploy_regressions', '>=', 1, 0, 'warning',
     'A deployment or release evaluated in the last 3 hours made statements slower or much busier: see Database, Regressions.'),
    ('Blocked queries', 'check:blocked', '>=', 2, 60, 'critical',
     'Sessions have waited on another session''s lock for a minute: a lock chain is holding up work.'),
    ('Connections near the limit', 'connections_pct', '>=', 80, 300, 'critical',
     'Over 80 % of max_connections for 5 minutes: new sessions will soon be refused.'),
    ('Idle in transaction over an hour', 'check:idle-in-transaction', '>=', 2, 0, 'warning',
     'A transaction has been open and idle for over an hour: it holds locks and stops vacuum.'),
    ('Queries over 5 minutes', 'check:long-queries', '>=', 1, 300, 'warning',
     'A query has run for over 5 minutes, for 5 minutes.'),
    ('Cache hit ratio low', 'cache_hit_pct', '<', 95, 900, 'warning',
     'Under 95 % of block reads served from memory for 15 minutes.'),
    ('Transaction id wraparound', 'check:wraparound', '>=', 1, 0, 'critical',
     'The oldest transaction id is past autovacuum_freeze_max_age: autovacuum must freeze before writes stop.'),
    ('Invalid indexes', 'check:invalid-indexes', '>=', 2, 0, 'warning',
     'An index is invalid (a failed CREATE INDEX CONCURRENTLY): never read, still written.'),
    ('Sequences near exhaustion', 'check:sequences', '>=', 2, 0, 'critical',
     'A sequence has used over 75 % of its range: inserts fail when it runs out.');
