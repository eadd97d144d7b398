-- 20261205000501_AuditTraceIds
-- Audit rows carry the OpenTelemetry trace id beside the request id, so an audited action leads to its trace (and
-- logs and problem details carry both). The app sets app.trace_id on each connection with the rest of the session
-- context. The trace id is a pointer for operators, not evidence: it is not part of the hash chain (the chain covers
-- the request id), so the canonical form of existing rows is unchanged.
CREATE FUNCTION app_trace_id() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('app.trace_id', true), '') $$;

ALTER TABLE audit_events ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$');

CREATE OR REPLACE FUNCTION audit_write(
    p_action         text,
    p_table_name     text    DEFAULT NULL,
    p_record_id      text    DEFAULT NULL,
    p_old_data       jsonb   DEFAULT NULL,
    p_new_data       jsonb   DEFAULT NULL,
    p_actor_id       uuid    DEFAULT NULL,
    p_actor_email    text    DEFAULT NULL,
    p_actor_roles    text[]  DEFAULT NULL,
    p_request_id     text    DEFAULT NULL,
    p_client_address inet    DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_signed_in   boolean := app_user_id() IS NOT NULL;
    v_actor_id    uuid    := CASE WHEN v_signed_in THEN app_user_id() ELSE p_actor_id END;
    v_actor_email text    := CASE WHEN v_signed_in THEN app_user_email() ELSE coalesce(p_actor_email, app_user_email()) END;
    v_actor_roles text[]  := CASE WHEN v_signed_in THEN app_roles() ELSE coalesce(p_actor_roles, app_roles()) END;
    v_trace_id    text    := CASE WHEN app_trace_id() ~ '^[0-9a-f]{32}$' THEN app_trace_id() END;
    new_id        bigint;
BEGIN
    INSERT INTO audit_events (actor_id, actor_email, actor_roles, action, table_name, record_id,
                              old_data, new_data, request_id, client_address, trace_id)
    VALUES (v_actor_id, v_actor_email, v_actor_roles, p_action, p_table_name, p_record_id, p_old_data, p_new_data,
            coalesce(p_request_id, app_request_id()), p_client_address, v_trace_id)
    RETURNING id INTO new_id;
    PERFORM live_notify('audit', new_id::text, p_action, v_actor_email);
    RETURN new_id;
END $$;
