-- 20261205000101_DefinerFunctions
-- SECURITY DEFINER functions run with the owner's rights, so each is executable only by the roles that need it, never
-- by PUBLIC (tests/Admin.Data.Tests/Security/DefinerFunctionTests lists them all with their ACLs). The audit hash chain
-- no longer trusts settings a caller can set, and audit_write takes the actor from the session for signed-in work.

-- ---------------------------------------------------------------------------------------------------------
-- Grants. Trigger functions need no EXECUTE grant to fire; the others are for the app role only.
-- ---------------------------------------------------------------------------------------------------------
REVOKE ALL ON FUNCTION deploy_restore_inserted() FROM PUBLIC;
REVOKE ALL ON FUNCTION deploy_restored_at(text, text, timestamptz), deploy_restore_pipeline(text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION deploy_restored_at(text, text, timestamptz), deploy_restore_pipeline(text, text, timestamptz) TO admin_app;
REVOKE ALL ON FUNCTION entity_version_bases_refresh(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION entity_version_bases_refresh(bigint[]) TO admin_app;

-- ---------------------------------------------------------------------------------------------------------
-- The chain. A bulk insert still reads and locks the head once per transaction and carries the newest link from row
-- to row in a transaction-local setting, but the setting is now sealed: a SHA-256 over a key only the owner can read,
-- the transaction id, the link and a tick of an owner-only sequence, which must equal this session's currval of it.
-- A caller can read the setting but cannot forge one (no key), carry one into another transaction (xid), or replay an
-- older one of its own transaction (its tick is no longer the session's last); anything else means: lock and read the
-- head. The old audit.chain_seq / audit.chain_hash settings are ignored.
-- ---------------------------------------------------------------------------------------------------------
CREATE TABLE audit_chain_key (
    id     int   PRIMARY KEY CHECK (id = 1),
    secret bytea NOT NULL
);
INSERT INTO audit_chain_key (id, secret)
SELECT 1, sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8'));
REVOKE ALL ON audit_chain_key FROM PUBLIC;

CREATE SEQUENCE audit_chain_tick;
REVOKE ALL ON SEQUENCE audit_chain_tick FROM PUBLIC;

CREATE FUNCTION audit_chain_seal(p_seq bigint, p_hash bytea, p_tick bigint) RETURNS text
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT encode(sha256(k.secret || convert_to(concat_ws(':', pg_current_xact_id(), p_seq, encode(p_hash, 'hex'), p_tick), 'UTF8')), 'hex')
    FROM audit_chain_key k WHERE k.id = 1
$$;

-- The newest link this transaction wrote, when the sealed setting is genuine; no row otherwise.
CREATE FUNCTION audit_chain_cached(OUT seq bigint, OUT hash bytea) RETURNS SETOF record
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    parts text[] := string_to_array(nullif(current_setting('audit.chain', true), ''), ':');
BEGIN
    IF coalesce(array_length(parts, 1), 0) <> 4 OR parts[1] !~ '^\d{1,18}$' OR parts[3] !~ '^\d{1,18}$' OR parts[2] !~ '^[0-9a-f]{64}$' THEN
        RETURN;
    END IF;
    IF parts[4] IS DISTINCT FROM audit_chain_seal(parts[1]::bigint, decode(parts[2], 'hex'), parts[3]::bigint) THEN
        RETURN;
    END IF;
    -- Genuine, so this session has drawn a tick before: currval is defined.
    IF parts[3]::bigint <> currval('audit_chain_tick') THEN
        RETURN;
    END IF;
    seq := parts[1]::bigint;
    hash := decode(parts[2], 'hex');
    RETURN NEXT;
END $$;

CREATE OR REPLACE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    seq  bigint;
    prev bytea;
    tick bigint;
BEGIN
    SELECT c.seq, c.hash INTO seq, prev FROM audit_chain_cached() c;
    IF NOT FOUND THEN
        SELECT h.seq, h.hash INTO seq, prev FROM audit_chain_head h WHERE h.id = 1 FOR UPDATE;
    END IF;
    NEW.chain_seq := seq + 1;
    NEW.row_hash := sha256(prev || convert_to(audit_canonical(NEW.chain_seq, NEW.id, NEW.occurred_at, NEW.actor_id,
        NEW.actor_email, NEW.actor_roles, NEW.action, NEW.table_name, NEW.record_id, NEW.old_data, NEW.new_data,
        NEW.request_id, NEW.client_address), 'UTF8'));
    tick := nextval('audit_chain_tick');
    PERFORM set_config('audit.chain', concat_ws(':', NEW.chain_seq, encode(NEW.row_hash, 'hex'), tick,
                                               audit_chain_seal(NEW.chain_seq, NEW.row_hash, tick)), true);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION audit_chain_advance() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE audit_chain_head h SET seq = c.seq, hash = c.hash FROM audit_chain_cached() c WHERE h.id = 1 AND c.seq > h.seq;
    RETURN NULL;
END $$;

REVOKE ALL ON FUNCTION audit_chain_seal(bigint, bytea, bigint), audit_chain_cached() FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_chain_link(), audit_chain_advance() FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------------
-- The actor. Signed-in work is recorded as the person the session says it is, whatever the caller passes; a caller
-- names the actor only where nobody is signed in (sign-in attempts, CI tokens, background jobs).
-- ---------------------------------------------------------------------------------------------------------
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
    new_id        bigint;
BEGIN
    INSERT INTO audit_events (actor_id, actor_email, actor_roles, action, table_name, record_id,
                              old_data, new_data, request_id, client_address)
    VALUES (v_actor_id, v_actor_email, v_actor_roles, p_action, p_table_name, p_record_id, p_old_data, p_new_data,
            coalesce(p_request_id, app_request_id()), p_client_address)
    RETURNING id INTO new_id;
    PERFORM live_notify('audit', new_id::text, p_action, v_actor_email);
    RETURN new_id;
END $$;
