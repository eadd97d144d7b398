-- 20261129000102_IngestionPlans
-- The two SQL-language functions on every status post, api_token_authenticate and api_idempotency_store, could not
-- be inlined (one has a data-modifying CTE, the other is a bare UPDATE), and PostgreSQL 15 plans a non-inlined SQL
-- function's statements afresh on every call: 0.33 ms of planning around a 0.025 ms token probe, 0.18 ms around a
-- 0.09 ms UPDATE (pg_stat_statements with track = all). PL/pgSQL keeps each statement's plan for the session, so the
-- same work as PL/pgSQL roughly doubled what the server sustains (pgbench, a post and a token check per client,
-- 2 cores: 1,386/s -> 2,657/s on 4 connections, 950/s -> 1,350/s on 16). Same results and the same once-a-minute
-- last_used_at update.

CREATE OR REPLACE FUNCTION api_token_authenticate(p_hash bytea)
RETURNS TABLE (id uuid, name text, created_by uuid, created_by_email text)
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
    RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION api_idempotency_store(p_token_id uuid, p_key text, p_status integer, p_body jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_key IS NULL THEN RETURN; END IF;
    UPDATE api_idempotency_keys SET response_status = p_status, response_body = p_body::text
    WHERE token_id = p_token_id AND key = p_key;
END $$;
